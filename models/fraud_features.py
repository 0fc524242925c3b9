"""Fraud features: one definition shared by training (generator data) and serving (one request).

Outside the `models.fraud` package on purpose: serving (shared.fraud) imports this module and the
model name only, so `import function_app` never imports the training family `models.fraud`.

Raw columns (numpy arrays, one entry per transaction; the same names the generator produces):

| column | meaning |
|---|---|
| amount | order total in the shop currency (major units, float) |
| items | number of items in the order |
| account_age_days | days between the customer's sign-up and this order |
| prior_orders | the customer's orders before this one |
| orders_last_hour / orders_last_day | the customer's orders in the hour / day before this one |
| cards_last_hour / cards_last_day | distinct cards in that window, this order's card included |
| usual_amount | mean amount of the customer's earlier orders; 0 when there are none |
| new_card | 1 if this card was never used by the customer before |
| card_country, ip_country, shipping_country, home_country | ISO 3166-1 alpha-2 codes |
| provider_signal | the payment provider's risk signal: normal, elevated, highest, blocked |

Every feature is defined (no NaN) from a valid request; the graph still routes NaN exactly (parity edge rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

MODEL_NAME = "fraud"  # the registry prefix of the order fraud model

# Order matters: it is the column order of the model input. A model's metadata records it, and the
# scorer refuses a model whose list differs (serving and training must agree).
FEATURE_NAMES: tuple[str, ...] = (
    "log_amount",
    "items",
    "log_account_age_days",
    "log_prior_orders",
    "orders_last_hour",
    "orders_last_day",
    "cards_last_hour",
    "cards_last_day",
    "log_amount_vs_usual",
    "new_card",
    "card_ip_mismatch",
    "card_shipping_mismatch",
    "ip_shipping_mismatch",
    "shipping_not_home",
    "provider_signal",
)

RAW_COLUMNS: tuple[str, ...] = (
    "amount",
    "items",
    "account_age_days",
    "prior_orders",
    "orders_last_hour",
    "orders_last_day",
    "cards_last_hour",
    "cards_last_day",
    "usual_amount",
    "new_card",
    "card_country",
    "ip_country",
    "shipping_country",
    "home_country",
    "provider_signal",
)

PROVIDER_SIGNALS: tuple[str, ...] = ("normal", "elevated", "highest", "blocked")

# A first order has no "usual" amount: compare it with a typical basket instead, so a very large
# first order still stands out.
TYPICAL_FIRST_ORDER = 50.0


def _as_array(raw: Mapping[str, Any], name: str, dtype: Any = np.float64) -> np.ndarray:
    return np.asarray(raw[name], dtype=dtype).reshape(-1)


def _signal_level(values: np.ndarray) -> np.ndarray:
    levels = {name: float(i) for i, name in enumerate(PROVIDER_SIGNALS)}
    try:
        return np.array([levels[str(v)] for v in values], dtype=np.float64)
    except KeyError as exc:
        raise ValueError(f"unknown provider signal {exc.args[0]!r}") from None


def build_features(raw: Mapping[str, Any]) -> np.ndarray:
    """Raw columns (see module doc) -> float32 matrix [n, len(FEATURE_NAMES)]."""
    amount = np.maximum(_as_array(raw, "amount"), 0.0)
    usual = _as_array(raw, "usual_amount")
    reference = np.where(usual > 0, usual, TYPICAL_FIRST_ORDER)
    card = _as_array(raw, "card_country", object)
    ip = _as_array(raw, "ip_country", object)
    ship = _as_array(raw, "shipping_country", object)
    home = _as_array(raw, "home_country", object)
    columns = [
        np.log1p(amount),
        _as_array(raw, "items"),
        np.log1p(np.maximum(_as_array(raw, "account_age_days"), 0.0)),
        np.log1p(np.maximum(_as_array(raw, "prior_orders"), 0.0)),
        _as_array(raw, "orders_last_hour"),
        _as_array(raw, "orders_last_day"),
        _as_array(raw, "cards_last_hour"),
        _as_array(raw, "cards_last_day"),
        np.log((amount + 1.0) / (reference + 1.0)),
        _as_array(raw, "new_card"),
        (card != ip).astype(np.float64),
        (card != ship).astype(np.float64),
        (ip != ship).astype(np.float64),
        (ship != home).astype(np.float64),
        _signal_level(_as_array(raw, "provider_signal", object)),
    ]
    return np.column_stack(columns).astype(np.float32)
