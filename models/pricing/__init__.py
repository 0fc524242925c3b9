"""Demand, own-price elasticity and price recommendations. Entry points (docs/forecasting-pricing.md):

    from models import pricing
    dm = pricing.fit_demand(frame)                  # pandas frame: product_id, period, units, price, ...
    dm.elasticity(product_id=None) -> float         # pooled when None
    dm.elasticity_interval(product_id, level=0.9)   # (lo, hi)
    dm.predict_units(product_id, price, period=None) -> float
    artifact = pricing.export(dm)                   # ONNX + metadata, parity-checked (ModelArtifact)

Serving (numpy + onnxruntime only): `models.pricing.serving.DemandPredictor` on the artifact, and
`models.pricing.recommend.recommend_price` (pure) with `Guardrails`.
Importing this package imports neither pandas nor onnx: fit_demand/export load them when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.pricing.recommend import Guardrails, PriceRecommendation, recommend_price

if TYPE_CHECKING:
    from models.artifact import ModelArtifact
    from models.pricing.demand import DemandModel

MODEL_NAME = "demand"

__all__ = [
    "MODEL_NAME",
    "Guardrails",
    "PriceRecommendation",
    "evaluate",
    "export",
    "fit_demand",
    "recommend_price",
    "train",
]


def fit_demand(frame: Any, *, season_period: float | None = None) -> DemandModel:
    """Fit the pooled log-log demand model (see models.pricing.estimate and .shrinkage).

    frame: product_id, period (date or int), units (>= 0; rows with 0 carry no log-log information
    and are dropped, counted in dm.dropped_zero_rows), price (> 0), optional promo (0/1 or a share),
    optional category (the pooling group) and any other numeric covariates (controls).
    season_period: for integer periods, the length of a year in periods (e.g. 52 for weeks).
    Wrong input (missing columns, negative units, non-positive prices, NaN) -> ValueError.
    """
    from models.pricing.demand import fit
    from models.pricing.frame import prepare

    data, spec = prepare(frame, season_period)
    return fit(data, spec)


def export(dm: DemandModel, *, tolerance: float = 1e-4) -> ModelArtifact:
    """ONNX graph + metadata for the registry; raises models.parity.ParityError on mismatch."""
    from models.pricing.onnx_export import export_artifact

    return export_artifact(dm, tolerance=tolerance)


def train(frame: Any, **kwargs: Any) -> DemandModel:
    """Retraining hook (same as fit_demand): the shape the pluggable retraining steps call."""
    return fit_demand(frame, **kwargs)


def evaluate(dm: DemandModel, holdout: Any) -> dict[str, float]:
    """Holdout metrics for champion/challenger: see models.pricing.evaluation."""
    from models.pricing.evaluation import evaluate_demand

    return evaluate_demand(dm, holdout)
