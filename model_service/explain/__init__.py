"""The Grad-CAM explainer: `server` (the HTTP service and its cache), `gradcam` (pure maths) and
`overlay` (drawing the heatmap on the photo, TensorFlow-free)."""
