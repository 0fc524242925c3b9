"""Pricing context: sku economics (unit cost, MAP, competitor price, lead time: admin only),
price recommendations from the ONNX demand model within guardrails, and price proposals that
wait for an admin's approval in a durable orchestration before the catalog applies them.

Request paths here use numpy + onnxruntime only (models.pricing.serving); the demand model is
trained by the retraining orchestration's activities (models.pricing.family).
"""
