"""Held-out evaluation of a demand model (champion/challenger, the retraining hook).

On the holdout rows with units > 0 of known products: mean absolute error of log units, next to
the no-price baseline (each product's own average level: what a forecast ignoring price would
say) measured on the same rows. Lower is better; `promote_if_better`-style code compares
`maeLogUnits` between versions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.pricing.demand import DemandModel


def evaluate_demand(dm: DemandModel, holdout: Any) -> dict[str, float]:
    from models.pricing.frame import prepare

    data, _ = prepare(holdout)
    known = {p: dm._index[p] for p in data.products if p in dm._index}
    rows = np.flatnonzero(
        (data.units > 0) & np.isin(np.asarray(data.products, dtype=object)[data.product], list(known))
    )
    if len(rows) == 0:
        raise ValueError("no holdout rows with units > 0 for products the model knows")
    pred, base = np.empty(len(rows)), np.empty(len(rows))
    periods = holdout["period"].to_numpy()
    covs = {c: holdout[c].to_numpy(dtype=float) for c in dm.spec.covariates if c in holdout.columns}
    for j, r in enumerate(rows):
        pid = data.products[data.product[r]]
        pred[j] = np.log(
            dm.predict_units(
                pid,
                float(np.exp(data.log_price[r])),
                periods[r],
                promo=float(data.promo[r]),
                covariates={c: float(v[r]) for c, v in covs.items()},
            )
        )
        base[j] = dm.level[known[pid]]
    actual = np.log(data.units[rows])
    return {
        "rows": float(len(rows)),
        "maeLogUnits": float(np.mean(np.abs(pred - actual))),
        "maeLogUnitsNoPrice": float(np.mean(np.abs(base - actual))),
    }
