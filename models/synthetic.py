"""Seeded synthetic shop history with known fraud ground truth.

No public card-fraud data set installs offline here, so models are trained and evaluated on this
generator's data (and say so). The history has four tables plus the ground truth, each a dict of
equal-length numpy arrays ("columns"):

- customers: customer_id, created_at (seconds from the window start), home_country
- sessions: session_id, customer_id, started_at, ip_country
- orders: order_id, customer_id, session_id, at, amount, items, shipping_country
- payments: payment_id, order_id, card_id, card_country, provider_signal
- labels: order_id, is_fraud (0/1), pattern ("legit" or the fraud pattern that produced the order)

Fraud patterns: card testing bursts, account takeover, mismatched countries, high-value first
orders and card velocity. Legitimate customers also travel, ship gifts abroad, make a big first
purchase now and then and get an "elevated" provider signal, so no single column gives fraud away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Columns = dict[str, np.ndarray]

DAY = 86_400.0
HOME_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "PL", "SE", "CA")
HOME_WEIGHTS = (0.30, 0.14, 0.13, 0.1, 0.06, 0.07, 0.07, 0.05, 0.04, 0.04)
FRAUD_COUNTRIES = ("NG", "RU", "VN", "ID", "BR", "RO", "UA", "PH")
FRAUD_PATTERNS = (
    "card_testing",
    "account_takeover",
    "mismatched_countries",
    "high_value_first_order",
    "velocity",
)
SIGNALS = ("normal", "elevated", "highest", "blocked")


@dataclass
class _Tables:
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {t: [] for t in ("customers", "sessions", "orders", "payments", "labels")}
    )

    def columns(self, table: str) -> Columns:
        rows = self.rows[table]
        return {key: np.array([r[key] for r in rows]) for key in rows[0]} if rows else {}


@dataclass(frozen=True)
class ShopHistory:
    customers: Columns
    sessions: Columns
    orders: Columns
    payments: Columns
    labels: Columns
    days: float


class _Builder:
    def __init__(self, rng: np.random.Generator, days: float) -> None:
        self.rng = rng
        self.end = days * DAY
        self.t = _Tables()
        self._ids = {"c": 0, "s": 0, "o": 0, "card": 0}

    def _next(self, kind: str) -> str:
        self._ids[kind] += 1
        return f"{kind}{self._ids[kind]:07d}"

    def customer(self, created_at: float, home: str) -> str:
        cid = self._next("c")
        self.t.rows["customers"].append({"customer_id": cid, "created_at": created_at, "home_country": home})
        return cid

    def card(self) -> str:
        return self._next("card")

    def order(
        self,
        cid: str,
        at: float,
        *,
        amount: float,
        items: int,
        ip: str,
        ship: str,
        card: tuple[str, str],
        signal: str,
        pattern: str,
    ) -> None:
        sid, oid = self._next("s"), self._next("o")
        rows = self.t.rows
        rows["sessions"].append(
            {"session_id": sid, "customer_id": cid, "started_at": at - 300.0, "ip_country": ip}
        )
        rows["orders"].append(
            {
                "order_id": oid,
                "customer_id": cid,
                "session_id": sid,
                "at": at,
                "amount": round(float(amount), 2),
                "items": int(items),
                "shipping_country": ship,
            }
        )
        rows["payments"].append(
            {
                "payment_id": "p" + oid[1:],
                "order_id": oid,
                "card_id": card[0],
                "card_country": card[1],
                "provider_signal": signal,
            }
        )
        rows["labels"].append({"order_id": oid, "is_fraud": int(pattern != "legit"), "pattern": pattern})

    def signal(self, fraud: bool) -> str:
        p = (0.7, 0.2, 0.07, 0.03) if fraud else (0.95, 0.04, 0.009, 0.001)
        return str(self.rng.choice(SIGNALS, p=p))

    def home(self) -> str:
        return str(self.rng.choice(HOME_COUNTRIES, p=HOME_WEIGHTS))

    def elsewhere(self, *avoid: str, pool: tuple[str, ...] = HOME_COUNTRIES + FRAUD_COUNTRIES) -> str:
        choices = [c for c in pool if c not in avoid]
        return str(self.rng.choice(choices))


def _legit_customer(b: _Builder, usual_scale: float) -> None:
    rng = b.rng
    home = b.home()
    created = float(rng.uniform(-200 * DAY, b.end - 2 * DAY))
    cid = b.customer(created, home)
    usual = float(rng.lognormal(np.log(usual_scale), 0.5))
    # Most cards are domestic; expats and business travellers carry foreign ones.
    cards = [
        (b.card(), home if rng.random() > 0.06 else b.elsewhere(home, pool=HOME_COUNTRIES))
        for _ in range(int(rng.integers(1, 4)))
    ]
    n_orders = int(min(rng.poisson(3.0) + 1, 25))
    start = max(created + 60.0, 0.0)
    times = np.sort(rng.uniform(start, b.end, n_orders))
    if rng.random() < 0.3 and created > 0:  # many people sign up to place their first order
        times[0] = created + float(rng.uniform(60, 3600))
    if rng.random() < 0.15:  # some customers buy twice within an hour (forgotten item)
        times = np.sort(np.append(times[:-1], times[0] + float(rng.uniform(120, 3000))))
    for i, at in enumerate(times):
        first_big = i == 0 and rng.random() < 0.03  # a real customer's big first purchase
        amount = float(rng.uniform(300, 1500)) if first_big else usual * float(rng.lognormal(0, 0.45))
        travelling = rng.random() < 0.08
        ip = b.elsewhere(home) if travelling else home
        ship = b.elsewhere(home, pool=HOME_COUNTRIES) if rng.random() < 0.04 else home  # gifts abroad
        card = cards[0] if rng.random() < 0.7 else cards[int(rng.integers(0, len(cards)))]
        b.order(
            cid,
            float(at),
            amount=max(amount, 1.0),
            items=int(rng.integers(1, 6)),
            ip=ip,
            ship=ship,
            card=card,
            signal=b.signal(False),
            pattern="legit",
        )


def _card_testing(b: _Builder) -> None:
    rng = b.rng
    at = float(rng.uniform(0, b.end - DAY))
    home, ip = b.home(), b.elsewhere(pool=FRAUD_COUNTRIES)
    cid = b.customer(at - float(rng.uniform(60, 6 * 3600)), home)
    for _ in range(int(rng.integers(3, 12))):
        at += float(rng.uniform(30, 600))
        card = (b.card(), b.elsewhere())
        b.order(
            cid,
            at,
            amount=float(rng.uniform(1, 20)),
            items=1,
            ip=ip,
            ship=home,
            card=card,
            signal=b.signal(True),
            pattern="card_testing",
        )


def _account_takeover(b: _Builder, victim: str, created: float, home: str) -> None:
    rng = b.rng
    at = float(rng.uniform(max(created, 0.0) + 10 * DAY, b.end)) if created + 10 * DAY < b.end else b.end - 1
    # Careful takeovers proxy through the victim's country and ship to a domestic reshipper.
    careful = rng.random() < 0.4
    ip = home if careful else b.elsewhere(home, pool=FRAUD_COUNTRIES)
    ship = home if careful else b.elsewhere(home)
    card = (b.card(), home if careful else b.elsewhere(home))
    for _ in range(int(rng.integers(1, 4))):
        b.order(
            victim,
            at,
            amount=float(rng.uniform(120, 1500)),
            items=int(rng.integers(1, 8)),
            ip=ip,
            ship=ship,
            card=card,
            signal=b.signal(True),
            pattern="account_takeover",
        )
        at += float(rng.uniform(300, 4 * 3600))


def _mismatched_countries(b: _Builder) -> None:
    rng = b.rng
    at = float(rng.uniform(0, b.end - DAY))
    home = b.home()
    cid = b.customer(at - float(rng.uniform(60, 3 * DAY)), home)
    card_country = b.elsewhere(home)
    ip = b.elsewhere(card_country, pool=FRAUD_COUNTRIES)
    ship = b.elsewhere(card_country, ip)
    for _ in range(int(rng.integers(1, 3))):
        b.order(
            cid,
            at,
            amount=float(rng.uniform(60, 700)),
            items=int(rng.integers(1, 6)),
            ip=ip,
            ship=ship,
            card=(b.card(), card_country),
            signal=b.signal(True),
            pattern="mismatched_countries",
        )
        at += float(rng.uniform(600, 20_000))


def _high_value_first_order(b: _Builder) -> None:
    rng = b.rng
    at = float(rng.uniform(0, b.end))
    home = b.home()
    cid = b.customer(at - float(rng.uniform(60, 7200)), home)
    # Careful fraudsters keep the countries consistent: only the size and the new account show.
    ip = home if rng.random() < 0.6 else b.elsewhere(home, pool=FRAUD_COUNTRIES)
    b.order(
        cid,
        at,
        amount=float(rng.uniform(400, 3000)),
        items=int(rng.integers(3, 11)),
        ip=ip,
        ship=home,
        card=(b.card(), home),
        signal=b.signal(True),
        pattern="high_value_first_order",
    )


def _velocity(b: _Builder) -> None:
    rng = b.rng
    at = float(rng.uniform(0, b.end - DAY))
    home = b.home()
    cid = b.customer(at - float(rng.uniform(DAY, 20 * DAY)), home)
    card = (b.card(), home)
    amount = float(rng.uniform(40, 150))
    for _ in range(int(rng.integers(3, 7))):
        b.order(
            cid,
            at,
            amount=amount,
            items=int(rng.integers(1, 4)),
            ip=home,
            ship=b.elsewhere(home),
            card=card,
            signal=b.signal(True),
            pattern="velocity",
        )
        at += float(rng.uniform(600, 3 * 3600))
        amount *= float(rng.uniform(1.2, 1.8))


def generate_history(
    n_customers: int = 5000, *, seed: int = 7, days: float = 90.0, fraud_rate: float = 0.02
) -> ShopHistory:
    """A shop's history over `days` days; `fraud_rate` is roughly the share of fraudulent orders."""
    if n_customers < 10:
        raise ValueError("n_customers must be at least 10")
    rng = np.random.default_rng(seed)
    b = _Builder(rng, days)
    for _ in range(n_customers):
        _legit_customer(b, usual_scale=60.0)
    legit = b.t.rows["customers"][:n_customers]
    # ~4 orders per legit customer; each fraud episode adds ~3 fraudulent orders.
    episodes = max(5, int(n_customers * 4 * fraud_rate / 3))
    for pattern in rng.choice(FRAUD_PATTERNS, size=episodes, p=(0.2, 0.25, 0.2, 0.2, 0.15)):
        if pattern == "account_takeover":
            victim = legit[int(rng.integers(0, len(legit)))]
            _account_takeover(b, victim["customer_id"], victim["created_at"], victim["home_country"])
        else:
            {
                "card_testing": _card_testing,
                "mismatched_countries": _mismatched_countries,
                "high_value_first_order": _high_value_first_order,
                "velocity": _velocity,
            }[str(pattern)](b)
    t = b.t
    return ShopHistory(
        t.columns("customers"),
        t.columns("sessions"),
        t.columns("orders"),
        t.columns("payments"),
        t.columns("labels"),
        days,
    )
