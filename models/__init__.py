"""ML platform: synthetic data, training (scikit-learn), ONNX export, registry, onnxruntime scoring.

Only `models.runtime` (onnxruntime) may be imported on request paths; training modules import
scikit-learn lazily and run in jobs.
"""
