"""The labelled query set for search relevance, generated from the 300-product demo catalog.

Reproducible: `python -m bench.search_queries` rewrites bench/data/search_queries.json from the
demo generator (seed 42) and the tables below; a test checks the file is what this produces.
Labels come from the generator's own fields (brand, product type = the department noun, department),
never from any search system's output. Grades (0 = not listed):

- exact / misspelled (a product's full name; the same with one seeded edit in a word of 4+ letters):
  3 = that name, 2 = same brand and product type, 1 = same product type.
- descriptive / synonym ("something for ...", words the catalog never uses): by the hand-written
  INTENTS / SYNONYMS tables, product type -> grade (2 = what the shopper asked for, 1 = related).
- category (department words and near forms): 1 = every product of that department.
- brand (a brand's name): 1 = every product of that brand.

Split: within each type, queries 0, 2, 5, 7, ... (i % 5 in {0, 2}) are `validation` (tuning the
hybrid blend), the rest `test` (reported).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from bench.search_catalog import BRAND_BY_ID, DEPARTMENT_BY_ID, demo_documents

OUT = Path(__file__).parent / "data" / "search_queries.json"
SEED = 42

INTENTS: dict[str, dict[str, int]] = {
    "something for making tea": {"Kettle": 2},
    "something to grind coffee beans": {"Coffee Grinder": 2, "Espresso Cups": 1},
    "something for slicing vegetables": {"Chef's Knife": 2, "Cutting Board": 2},
    "something for slow cooking a stew": {"Dutch Oven": 2, "Frying Pan": 1},
    "something for frying eggs": {"Frying Pan": 2},
    "something to keep me dry in a storm": {"Rain Jacket": 2},
    "something warm to wear on a chilly evening": {
        "Hoodie": 2,
        "Fleece Vest": 2,
        "Merino T-Shirt": 1,
        "Wool Socks": 1,
    },
    "something for warm feet in winter": {"Wool Socks": 2},
    "something to sleep in when camping": {"Sleeping Bag": 2, "Tent": 1},
    "shelter for a night in the woods": {"Tent": 2, "Sleeping Bag": 1},
    "light for hiking at night": {"Headlamp": 2},
    "something to cook on while camping": {"Camping Stove": 2},
    "clean drinking water on a hike": {"Water Filter": 2},
    "bag to carry on a day hike": {"Daypack": 2},
    "something to listen to music on the go": {"Wireless Earbuds": 2, "Bluetooth Speaker": 1},
    "something to play music at a party": {"Bluetooth Speaker": 2},
    "something to track my fitness": {"Smartwatch": 2},
    "extra storage for my files": {"Portable SSD": 2, "USB-C Hub": 1},
    "something for video calls": {"Webcam": 2},
    "something for typing all day": {"Mechanical Keyboard": 2, "Ergonomic Chair": 1},
    "something for reading at my desk at night": {"Desk Lamp": 2},
    "something for back pain when working from home": {
        "Ergonomic Chair": 2,
        "Standing Desk Mat": 2,
        "Monitor Stand": 1,
    },
    "something to tidy the wires under my desk": {"Cable Organizer": 2},
    "something for a home workout": {"Kettlebell": 2, "Jump Rope": 2, "Yoga Mat": 2, "Foam Roller": 1},
    "something for stretching sore muscles": {"Foam Roller": 2, "Yoga Mat": 1},
    "something for running a marathon": {"Running Shoes": 2},
    "something to protect my hands when cycling": {"Cycling Gloves": 2},
    "something for watering plants": {"Watering Can": 2, "Garden Hose": 2},
    "something for trimming hedges": {"Pruning Shears": 2},
    "something to grow vegetables at home": {"Raised Bed": 2, "Seed Kit": 2, "Compost Bin": 1},
    "something for dry skin": {"Hand Cream": 2, "Face Serum": 2, "Lip Balm Set": 1},
    "something for grooming a beard": {"Beard Oil": 2},
    "plastic-free hair washing": {"Shampoo Bar": 2},
    "a gift for a toddler": {"Plush Bear": 2, "Building Blocks": 2, "Wooden Train Set": 2},
    "something for a family game night": {"Board Game": 2, "Puzzle 1000 pcs": 1},
    "a rainy day activity for kids": {"Puzzle 1000 pcs": 2, "Building Blocks": 1, "Board Game": 1},
}
SYNONYMS: dict[str, dict[str, int]] = {
    "headphones": {"Wireless Earbuds": 2},
    "earphones": {"Wireless Earbuds": 2},
    "sneakers": {"Running Shoes": 2},
    "trainers for jogging": {"Running Shoes": 2},
    "backpack": {"Daypack": 2},
    "flashlight": {"Headlamp": 2},
    "skillet": {"Frying Pan": 2},
    "casserole pot": {"Dutch Oven": 2},
    "sweatshirt": {"Hoodie": 2},
    "pants": {"Chino Trousers": 2},
    "laptop dock": {"USB-C Hub": 2},
    "external hard drive": {"Portable SSD": 2},
    "office chair": {"Ergonomic Chair": 2},
    "moisturizer": {"Hand Cream": 2, "Face Serum": 1},
    "teddy": {"Plush Bear": 2},
    "jigsaw": {"Puzzle 1000 pcs": 2},
    "secateurs": {"Pruning Shears": 2},
    "fitness tracker": {"Smartwatch": 2},
    "journal": {"Notebook": 2},
    "skipping rope": {"Jump Rope": 2},
}
CATEGORY_WORDS = {
    "kitchen": "kitchen",
    "kitchenware": "kitchen",
    "apparel": "apparel",
    "clothing": "apparel",
    "outdoor": "outdoor",
    "camping gear": "outdoor",
    "electronics": "electronics",
    "gadgets": "electronics",
    "home office": "home-office",
    "office supplies": "home-office",
    "sports": "sports",
    "fitness equipment": "sports",
    "garden": "garden",
    "gardening": "garden",
    "beauty": "beauty",
    "skincare": "beauty",
    "toys": "toys",
    "toys and games": "toys",
}


def product_type(name: str, category_id: str) -> str:
    nouns = DEPARTMENT_BY_ID[category_id].nouns
    return next(n for n in sorted(nouns, key=len, reverse=True) if name.endswith(n))


def misspell(word: str, rng: random.Random) -> str:
    """One edit (delete, transpose, substitute or insert a letter) at a seeded position."""
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("delete", "transpose", "substitute", "insert"))
    letters = "aeioulnrst"
    if op == "delete":
        return word[:i] + word[i + 1 :]
    if op == "transpose" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "insert":
        return word[:i] + rng.choice(letters) + word[i:]
    return word[:i] + rng.choice([c for c in letters if c != word[i]]) + word[i + 1 :]


def build() -> dict[str, Any]:
    docs = demo_documents(300, SEED)
    facts = [
        (d.product_id, d.name, d.brand_id, product_type(d.name, d.category_id), d.category_id) for d in docs
    ]
    vocabulary = {w.lower() for _, name, *_ in facts for w in name.split()}
    rng = random.Random(SEED)
    queries: list[dict[str, Any]] = []

    def add(kind: str, text: str, labels: dict[str, int]) -> None:
        queries.append({"type": kind, "query": text, "labels": dict(sorted(labels.items()))})

    def name_labels(name: str, brand: str, ptype: str) -> dict[str, int]:
        out = {}
        for pid, n, b, t, _ in facts:
            if n == name:
                out[pid] = 3
            elif b == brand and t == ptype:
                out[pid] = 2
            elif t == ptype:
                out[pid] = 1
        return out

    picks = rng.sample(range(len(facts)), 60)
    for i, index in enumerate(picks):
        _, name, brand, ptype, _ = facts[index]
        if i < 30:
            add("exact", name, name_labels(name, brand, ptype))
            continue
        words = name.split()
        choices = [j for j, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        j = rng.choice(choices)
        typo = misspell(words[j], rng)
        while typo.lower() in vocabulary or typo == words[j]:
            typo = misspell(words[j], rng)
        add("misspelled", " ".join([*words[:j], typo, *words[j + 1 :]]), name_labels(name, brand, ptype))
    for kind, table in (("descriptive", INTENTS), ("synonym", SYNONYMS)):
        for text, grades in table.items():
            add(kind, text, {pid: grades[t] for pid, _, _, t, _ in facts if t in grades})
    for text, key in CATEGORY_WORDS.items():
        add("category", text, {pid: 1 for pid, _, _, _, c in facts if c == f"cat-{key}"})
    for brand_id, brand in BRAND_BY_ID.items():
        add("brand", brand.lower(), {pid: 1 for pid, _, b, _, _ in facts if b == brand_id})
    seen: dict[str, int] = {}
    for q in queries:
        n = seen[q["type"]] = seen.get(q["type"], -1) + 1
        q["split"] = "validation" if n % 5 in (0, 2) else "test"
        q["id"] = f"{q['type']}-{n:02d}"
    return {
        "catalog": {"generator": "devhost.demo_data.generate_products", "count": 300, "seed": SEED},
        "rule": __doc__,
        "queries": queries,
    }


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")
    data = json.loads(OUT.read_text())
    print(f"{len(data['queries'])} queries -> {OUT}")


if __name__ == "__main__":
    main()
