"""Fraud context: the port the order workflow calls, its rules-only and model+rules scorers, and the
service behind `POST /api/fraud/score`. Imports onnxruntime at most, never scikit-learn."""
