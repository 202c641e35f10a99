"""Grad-CAM from tf-explain: conv outputs and gradients, and the normalised class activation map.

`make_heatmap` is the pure maths and `gradients_and_filters` the only place that runs the model;
the picture is drawn by `model_service.explain.overlay`, which needs no TensorFlow.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

with warnings.catch_warnings():
    # tf-explain imports `requests`, whose urllib3 check raises a DeprecationWarning on import.
    warnings.simplefilter("ignore", DeprecationWarning)
    from tf_explain.core.grad_cam import GradCAM

# tf-explain builds `Model([model.inputs], ...)`, a nested input list Keras 3 warns about on every
# call; the model is still called correctly.
KERAS3_INPUT_WARNING = r"The structure of `inputs` doesn't match the expected structure"
# Plain Grad-CAM (Selvaraju et al.): guided gradients would hide evidence that works through
# negative activations and make maps spottier.
USE_GUIDED_GRADS = False
# Below this the map carries no signal (flat or all-negative): show no highlight rather than noise.
FLAT_EPSILON = 1e-8


def gradients_and_filters(
    model: Any, images: np.ndarray, layer_name: str, class_index: int
) -> tuple[np.ndarray, np.ndarray]:
    """Conv-layer outputs and d(score of class)/d(outputs) for a batch, via tf-explain."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=KERAS3_INPUT_WARNING, category=UserWarning)
        outputs, grads = GradCAM.get_gradients_and_filters(
            model, images, layer_name, class_index, USE_GUIDED_GRADS
        )
    return np.asarray(outputs), np.asarray(grads)


def make_heatmap(conv_output: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """Grad-CAM for one image: gradient-weighted sum of filters, ReLU, scaled to 0..1."""
    (cam,) = GradCAM.generate_ponderated_output(conv_output[None], gradients[None])
    positive = np.maximum(np.nan_to_num(np.asarray(cam, dtype=np.float64)), 0.0)
    peak = float(positive.max(initial=0.0))
    if peak <= FLAT_EPSILON:
        return np.zeros(positive.shape, dtype=np.float32)
    return (positive / peak).astype(np.float32)
