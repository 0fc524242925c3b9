"""Recommendations: implicit-feedback interactions, serving the champion recommendation model
(models/recommend, onnxruntime) with real-time fold-in of each user's history, and A/B experiments.

Modules: `ports.py` (what the context needs from outside), `feedback.py` (interaction weights),
`interactions.py` (the history store), `catalog_view.py` (the catalog/inventory snapshot adapter),
`scorer_source.py` (the champion model per process), `service.py` (serving), `experiments.py`,
`assignment.py`, `stats.py` (A/B maths, pure Python), `events.py` (order events),
`retraining.py` (the steps the retraining orchestration runs), `schemas.py` (the HTTP shapes).
"""
