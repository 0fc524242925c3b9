"""Turn a shop history into the fraud model's raw columns, as the order workflow would see them.

Each order's history columns (counts, distinct cards, usual amount, new card) are computed from
the same customer's *earlier* orders only, exactly what is known when the order is scored.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from models.synthetic import DAY, Columns, ShopHistory

HOUR = 3600.0


def fraud_frame(history: ShopHistory) -> Columns:
    """Raw fraud columns (models.fraud.features.RAW_COLUMNS) + is_fraud, pattern, at; in time order."""
    orders, payments, labels = history.orders, history.payments, history.labels
    created = dict(zip(history.customers["customer_id"], history.customers["created_at"], strict=True))
    home = dict(zip(history.customers["customer_id"], history.customers["home_country"], strict=True))
    ip_of = dict(zip(history.sessions["session_id"], history.sessions["ip_country"], strict=True))
    # The generator writes payments and labels in order order; check rather than assume.
    if not (
        np.array_equal(payments["order_id"], orders["order_id"])
        and np.array_equal(labels["order_id"], orders["order_id"])
    ):
        raise ValueError("payments and labels must be aligned with orders")
    order = np.argsort(orders["at"], kind="stable")
    seen: dict[str, list[tuple[float, float, str]]] = defaultdict(list)  # customer -> (at, amount, card)
    out: dict[str, list[object]] = defaultdict(list)
    for i in order:
        cid, at, amount = str(orders["customer_id"][i]), float(orders["at"][i]), float(orders["amount"][i])
        card = str(payments["card_id"][i])
        past = seen[cid]
        hour = [p for p in past if at - p[0] <= HOUR]
        day = [p for p in past if at - p[0] <= DAY]
        out["amount"].append(amount)
        out["items"].append(int(orders["items"][i]))
        out["account_age_days"].append(max(at - float(created[cid]), 0.0) / DAY)
        out["prior_orders"].append(len(past))
        out["orders_last_hour"].append(len(hour))
        out["orders_last_day"].append(len(day))
        out["cards_last_hour"].append(len({p[2] for p in hour} | {card}))
        out["cards_last_day"].append(len({p[2] for p in day} | {card}))
        out["usual_amount"].append(float(np.mean([p[1] for p in past])) if past else 0.0)
        out["new_card"].append(int(card not in {p[2] for p in past}))
        out["card_country"].append(str(payments["card_country"][i]))
        out["ip_country"].append(str(ip_of[orders["session_id"][i]]))
        out["shipping_country"].append(str(orders["shipping_country"][i]))
        out["home_country"].append(str(home[cid]))
        out["provider_signal"].append(str(payments["provider_signal"][i]))
        out["is_fraud"].append(int(labels["is_fraud"][i]))
        out["pattern"].append(str(labels["pattern"][i]))
        out["at"].append(at)
        past.append((at, amount, card))
    return {k: np.array(v) for k, v in out.items()}
