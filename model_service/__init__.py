"""Model service: catalog import, demo garage, training, export, serving, explainer."""
