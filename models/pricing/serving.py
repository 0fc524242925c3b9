"""Serving side of the demand model: onnxruntime + numpy only (no pandas, scipy or scikit-learn).

predictor = DemandPredictor(artifact.onnx, artifact.metadata)     # or a registry version's bytes
predictor = DemandPredictor.from_session(loaded.session, loaded.metadata)   # models.runtime
predictor.predict_units("SKU-001", [9.99, 10.49], period="2025-06-01")
predictor.recommend("SKU-001", current_price=9.99, unit_cost=5.20, guardrails=Guardrails(...))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort

from models.pricing.features import (
    FeatureSpec,
    control_matrix,
    default_covariates,
    feature_rows,
    period_number,
)
from models.pricing.recommend import Guardrails, PriceRecommendation, recommend_price


class DemandPredictor:
    def __init__(
        self,
        onnx_bytes: bytes | None,
        metadata: dict[str, Any],
        *,
        session: ort.InferenceSession | None = None,
    ):
        if session is None:
            if onnx_bytes is None:
                raise ValueError("need the ONNX bytes or a session")
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        self.session = session
        self.metadata = metadata
        self.spec = FeatureSpec.from_json(metadata["params"]["featureSpec"])
        self.products = list(metadata["products"])
        self._index = {p: i for i, p in enumerate(self.products)}

    @classmethod
    def from_session(cls, session: ort.InferenceSession, metadata: dict[str, Any]) -> DemandPredictor:
        return cls(None, metadata, session=session)

    def index(self, product_id: Any) -> int:
        try:
            return self._index[product_id]
        except (KeyError, TypeError):
            raise ValueError(f"unknown product {product_id!r}") from None

    def elasticity(self, product_id: Any = None) -> float:
        if product_id is None:
            return float(self.metadata["pooled"]["elasticity"])
        return float(self.metadata["elasticity"][self.index(product_id)])

    def elasticity_interval(self, product_id: Any = None) -> tuple[float, float]:
        lo, hi = (
            self.metadata["pooled"]["interval"]
            if product_id is None
            else self.metadata["elasticityInterval"][self.index(product_id)]
        )
        return float(lo), float(hi)

    def observed_range(self, product_id: Any) -> tuple[float, float]:
        lo, hi = self.metadata["priceRange"][self.index(product_id)]
        return float(lo), float(hi)

    def predict_units(
        self,
        product_id: Any,
        prices: Any,
        period: Any = None,
        *,
        promo: float = 0.0,
        covariates: dict[str, float] | None = None,
    ) -> np.ndarray:
        p = np.atleast_1d(np.asarray(prices, dtype=float))
        if np.any(~np.isfinite(p)) or np.any(p <= 0):
            raise ValueError("prices must be positive")
        if not 0 <= promo <= 1:
            raise ValueError("promo must be between 0 and 1")
        n = len(p)
        t = None if period is None else np.full(n, period_number(period, self.spec.period_kind))
        controls = control_matrix(self.spec, t, default_covariates(self.spec, covariates, n))
        rows = feature_rows(np.full(n, self.index(product_id)), np.log(p), np.full(n, float(promo)), controls)
        (units,) = self.session.run(["units"], {self.metadata["inputName"]: rows})
        return np.asarray(units, dtype=np.float64)

    def recommend(
        self,
        product_id: Any,
        *,
        current_price: float,
        unit_cost: float,
        guardrails: Guardrails | None = None,
        period: Any = None,
        promo: float = 0.0,
        covariates: dict[str, float] | None = None,
    ) -> PriceRecommendation:
        """Expected-profit-maximizing price for one product and period, within the guardrails."""
        return recommend_price(
            current_price=current_price,
            unit_cost=unit_cost,
            demand=lambda prices: self.predict_units(
                product_id, prices, period, promo=promo, covariates=covariates
            ),
            elasticity=self.elasticity(product_id),
            elasticity_interval=self.elasticity_interval(product_id),
            observed_range=self.observed_range(product_id),
            guardrails=guardrails,
        )
