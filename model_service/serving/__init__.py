"""The local TF-Serving-compatible REST server and the HTTP pieces the explainer shares with it.

`server` (TensorFlow) answers status, metadata and predict; `app`, `repository`, `webio` and
`tensor_json` are TensorFlow-free: the application skeleton, version hot swap, request checks
and TF Serving's JSON tensor format.
"""
