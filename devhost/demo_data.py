"""A believable demo catalog from a seeded generator, for devhost's first start and benchmarks.

`seed_demo_catalog(data_dir)` is the devhost seeder (registered in devhost/seed.py); it calls
`seed_catalog(store=...)`, which creates categories, brands, a few hundred products (some with
size/colour/capacity variants), prices and stock through the services, so every event a real
admin would cause (ProductCreated, InventoryAdjusted...) is emitted too. Re-running it is safe:
fixed ids for categories and brands, and products whose sku already exists are skipped.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.service import create_product, find_sku
from shared.catalog.taxonomy import create_brand, create_category
from shared.inventory.service import adjust_stock
from shared.ports.documents import BatchFailed, DocumentExists, DocumentStore

log = logging.getLogger("smartcommerce.catalog.seed")


@dataclass(frozen=True)
class Department:
    key: str
    name: str
    nouns: tuple[str, ...]
    price_range: tuple[int, int]
    variants: str  # "size", "colour", "capacity" or "" (no variants)


DEPARTMENTS = (
    Department(
        "kitchen",
        "Kitchen",
        (
            "Chef's Knife",
            "Frying Pan",
            "Dutch Oven",
            "Cutting Board",
            "Kettle",
            "Coffee Grinder",
            "Mixing Bowl Set",
            "Espresso Cups",
        ),
        (12, 180),
        "",
    ),
    Department(
        "apparel",
        "Apparel",
        (
            "Hoodie",
            "Rain Jacket",
            "Chino Trousers",
            "Merino T-Shirt",
            "Denim Jacket",
            "Wool Socks",
            "Fleece Vest",
        ),
        (15, 160),
        "size",
    ),
    Department(
        "outdoor",
        "Outdoor",
        ("Tent", "Sleeping Bag", "Trekking Poles", "Headlamp", "Camping Stove", "Water Filter", "Daypack"),
        (18, 420),
        "colour",
    ),
    Department(
        "electronics",
        "Electronics",
        (
            "Wireless Earbuds",
            "Bluetooth Speaker",
            "Smartwatch",
            "USB-C Hub",
            "Portable SSD",
            "Mechanical Keyboard",
            "Webcam",
        ),
        (19, 350),
        "capacity",
    ),
    Department(
        "home-office",
        "Home Office",
        ("Desk Lamp", "Monitor Stand", "Ergonomic Chair", "Notebook", "Cable Organizer", "Standing Desk Mat"),
        (8, 480),
        "",
    ),
    Department(
        "sports",
        "Sports",
        ("Yoga Mat", "Kettlebell", "Running Shoes", "Jump Rope", "Foam Roller", "Cycling Gloves"),
        (9, 140),
        "size",
    ),
    Department(
        "garden",
        "Garden",
        ("Pruning Shears", "Garden Hose", "Raised Bed", "Watering Can", "Seed Kit", "Compost Bin"),
        (7, 220),
        "",
    ),
    Department(
        "beauty",
        "Beauty",
        ("Face Serum", "Shampoo Bar", "Hand Cream", "Beard Oil", "Lip Balm Set"),
        (5, 70),
        "",
    ),
    Department(
        "toys",
        "Toys & Games",
        ("Building Blocks", "Puzzle 1000 pcs", "Board Game", "Plush Bear", "Wooden Train Set"),
        (9, 90),
        "colour",
    ),
)
BRANDS = (
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Wingtip",
    "Alpine Ski House",
    "Woodgrove",
    "Lamna",
    "Trey Research",
)
ADJECTIVES = (
    "Classic",
    "Pro",
    "Everyday",
    "Ultralight",
    "Compact",
    "Premium",
    "Essential",
    "Heritage",
    "Urban",
    "Trail",
    "Studio",
    "Eco",
)
VARIANT_VALUES = {
    "size": ("S", "M", "L", "XL"),
    "colour": ("Black", "Olive", "Navy", "Sand"),
    "capacity": ("128GB", "256GB", "512GB"),
}
MATERIALS = ("steel", "cotton", "recycled polyester", "oak", "aluminium", "bamboo", "ceramic", "nylon")


def _price(rng: random.Random, low: int, high: int) -> str:
    whole = rng.randint(low, high)
    return str(Decimal(whole) + Decimal(rng.choice(("0.99", "0.49", "0.00", "0.95"))))


def generate_products(count: int, seed: int = 42) -> list[dict[str, Any]]:
    """Product bodies (API shape, camelCase) plus an `_stock` map of sku -> units to put on hand."""
    rng = random.Random(seed)
    products: list[dict[str, Any]] = []
    for n in range(count):
        dept = DEPARTMENTS[n % len(DEPARTMENTS)]
        brand_index = rng.randrange(len(BRANDS))
        noun = rng.choice(dept.nouns)
        name = f"{BRANDS[brand_index]} {rng.choice(ADJECTIVES)} {noun}"
        sku = f"{dept.key[:3].upper()}-{n:05d}"
        price = _price(rng, *dept.price_range)
        variants: list[dict[str, Any]] = []
        if dept.variants and rng.random() < 0.6:
            values = VARIANT_VALUES[dept.variants]
            for value in values[: rng.randint(2, len(values))]:
                variant: dict[str, Any] = {
                    "sku": f"{sku}-{value.upper()}",
                    "attributes": {dept.variants: value},
                }
                if dept.variants == "capacity" and value != values[0]:
                    bump = Decimal(price) + Decimal(40 * values.index(value))
                    variant["price"] = {"amount": str(bump), "currency": "USD"}
                variants.append(variant)
        sellable = [v["sku"] for v in variants] or [sku]
        stock = {s: (0 if rng.random() < 0.08 else rng.randint(3, 120)) for s in sellable}
        products.append(
            {
                "sku": sku,
                "name": name,
                "description": f"The {name.lower()}: {rng.choice(MATERIALS)}, built to last, "
                f"backed by a {rng.choice((1, 2, 3, 5))}-year warranty.",
                "categoryId": f"cat-{dept.key}",
                "brandId": f"brand-{brand_index:02d}",
                "price": {"amount": price, "currency": "USD"},
                "attributes": {"material": rng.choice(MATERIALS), "rating": round(rng.uniform(3.2, 5.0), 1)},
                "variants": variants,
                "_stock": stock,
            }
        )
    return products


def _ignore_existing(call: Any) -> None:
    try:
        call()
    except (DocumentExists, BatchFailed) as exc:
        if isinstance(exc, BatchFailed) and not isinstance(exc.cause, DocumentExists):
            raise


def seed_catalog(*, store: DocumentStore, count: int = 300, seed: int = 42) -> int:
    """Create the demo catalog; the number of products created (existing ones are skipped)."""
    for dept in DEPARTMENTS:
        _ignore_existing(
            lambda d=dept: create_category(  # type: ignore[misc]
                store=store, data=CategoryCreate(name=d.name), category_id=f"cat-{d.key}"
            )
        )
    for index, brand in enumerate(BRANDS):
        _ignore_existing(
            lambda i=index, b=brand: create_brand(  # type: ignore[misc]
                store=store, data=BrandCreate(name=b), brand_id=f"brand-{i:02d}"
            )
        )
    created = 0
    for body in generate_products(count, seed):
        stock = body.pop("_stock")
        if find_sku(store=store, sku=body["sku"]) is not None:
            continue
        create_product(store=store, data=ProductCreate.model_validate(body))
        for sku, units in stock.items():
            if units:
                adjust_stock(
                    store=store, sku=sku, delta=units, reason="demo data: initial stock", actor="seed"
                )
        created += 1
    return created


def seed_demo_catalog(data_dir: Path) -> None:
    """devhost seeder: the demo catalog in the store the settings select (data_dir is devhost's)."""
    from shared.composition import get_document_store

    created = seed_catalog(store=get_document_store())
    log.info("demo catalog: %d products created in %s", created, data_dir)
