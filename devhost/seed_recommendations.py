"""devhost seeder: demo shoppers' interactions over the demo catalog, then the first
recommendation model trained and promoted through the retraining steps.

Synthetic and seeded (`random.Random(11)`), and said so: 400 shoppers, each with one or two
favourite categories, browse mostly there; every product has two "partner" products in its
category that its buyers tend to look at and buy too, which is the co-purchase signal
"customers also bought" should find. Timestamps spread over the last 60 days. Runs after the
catalog seeder (devhost/seed.py); re-running adds nothing (interaction ids are fixed).
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.messaging.outbox import NOT_OUTBOX
from shared.ports.blobs import BlobStore
from shared.ports.documents import BatchFailed, BatchOp, DocumentStore, Filter, Query
from shared.recommendations.catalog_view import PRODUCTS, PRODUCTS_PK
from shared.recommendations.interactions import InteractionStore, iso

log = logging.getLogger("devhost.seed.recommendations")
SHOPPERS = 400
RUN_ID = "seed"


def seed_interactions(store: DocumentStore, *, shoppers: int = SHOPPERS, seed: int = 11) -> int:
    rng = random.Random(seed)
    products = store.container(PRODUCTS, PRODUCTS_PK).query_all(
        Query(where=(Filter("docType", "=", "product"), Filter("status", "=", "active"), NOT_OUTBOX))
    )
    by_category: dict[str, list[str]] = defaultdict(list)
    for doc in sorted(products, key=lambda d: d["id"]):
        by_category[str(doc.get("categoryId") or "")].append(doc["id"])
    categories = sorted(by_category)
    if not categories:
        return 0
    partners = {
        pid: rng.sample([p for p in members if p != pid], k=min(2, len(members) - 1))
        for members in by_category.values()
        for pid in members
    }
    container = InteractionStore(store, cache_seconds=lambda: 0.0).container
    now = datetime.now(UTC)
    created = 0
    for n in range(shoppers):
        user = f"demo-shopper-{n:04d}"
        docs: list[dict[str, str]] = []
        favourites = rng.sample(categories, k=min(len(categories), rng.choice((1, 2))))
        for step in range(rng.randint(12, 36)):
            category = rng.choice(favourites) if rng.random() < 0.85 else rng.choice(categories)
            pid = rng.choice(by_category[category])
            at = now - timedelta(days=rng.uniform(0, 60))
            kind = rng.choices(("view", "click", "add_to_cart", "purchase"), weights=(60, 20, 10, 10))[0]
            chain = [(pid, kind)]
            if kind in ("add_to_cart", "purchase"):
                chain += [(p, rng.choice(("view", "purchase"))) for p in partners[pid] if rng.random() < 0.6]
            for m, (product, what) in enumerate(chain):
                docs.append(
                    {
                        "id": f"demo-{n}-{step}-{m}",
                        "userId": user,
                        "productId": product,
                        "type": what,
                        "at": iso(at + timedelta(minutes=m)),
                        "source": "demo",
                    }
                )
        # One transactional batch per shopper and 100 documents (Cosmos' batch limit): seconds,
        # not the minute one write each would take. A batch seeded before fails as a whole: skip it.
        for start in range(0, len(docs), 100):
            chunk = docs[start : start + 100]
            try:
                container.batch(user, [BatchOp("create", document=d) for d in chunk])
                created += len(chunk)
            except BatchFailed:
                continue
    return created


def seed_recommendations_into(store: DocumentStore, blobs: BlobStore) -> str | None:
    """Interactions, then the first model (idempotent: a champion already there is kept)."""
    from models.registry import CONTAINER, ModelRegistry
    from shared.recommendations import retraining
    from shared.recommendations.scorer_source import MODEL_NAME

    created = seed_interactions(store)
    registry = ModelRegistry(blobs.container(CONTAINER))
    champion = registry.champion(MODEL_NAME)
    if champion is not None:
        return champion.version
    result = retraining.retrain_now(store, blobs, run_id=RUN_ID)
    log.info(
        "demo recommendations: %d interactions, model %s (%s)", created, result["version"], result["metrics"]
    )
    return str(result["version"])


def seed_demo_recommendations(data_dir: Path) -> None:
    from shared.composition import get_blob_store, get_document_store

    seed_recommendations_into(get_document_store(), get_blob_store())
