"""Model service: everything that touches images as training data or TensorFlow models.

Subpackages, with imports going one way (explain -> training, serving; the others stand alone):

- `catalog`: import real photos (CSV, `<Make>/<Model>/` folders, Car Connection) into a catalog.
- `garage`: the offline demo garage, a renderer of fictional cars that builds a catalog.
- `training`: datasets, models, training, evaluation, export, and the one image decode path.
- `serving`: the local TF-Serving-compatible REST server and the HTTP plumbing it shares.
- `explain`: the Grad-CAM explainer service, its maths and its overlay drawing.

Importing a subpackage imports no TensorFlow; the modules that need it load it themselves.
"""
