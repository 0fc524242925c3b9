"""`python -m tools.rebuild_orders`: recompute every order's stream head and read models (the
order document and the customer's list entry) from the event streams."""

from __future__ import annotations

from shared.composition import get_document_store
from shared.orders.stream import rebuild_projections


def main() -> int:
    count = rebuild_projections(get_document_store())
    print(f"rebuilt {count} order(s) from their streams")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
