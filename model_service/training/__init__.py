"""Training: datasets, model definitions, the training loop, evaluation and the export.

`preprocess` is the one decode path: the training data, the exported serving graph and the
explainer all decode and resize photos with it.
"""
