"""A deterministic demo catalog: a three-level category tree and products with realistic
names, prices, attributes and image URLs. The same seed always yields the same catalog."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.text import slugify

DEPARTMENTS = (
    ("Home & Kitchen", ("Cookware", "Storage", "Lighting", "Bedding", "Tableware", "Decor")),
    ("Electronics", ("Audio", "Cameras", "Computers", "Phones", "Wearables", "Gaming")),
    ("Clothing", ("Jackets", "Shirts", "Trousers", "Shoes", "Knitwear", "Accessories")),
    ("Sports & Outdoors", ("Cycling", "Camping", "Running", "Fitness", "Climbing", "Water Sports")),
    ("Toys & Games", ("Board Games", "Puzzles", "Building Sets", "Dolls", "Outdoor Play", "Plush")),
    ("Garden", ("Tools", "Planters", "Furniture", "Watering", "Seeds", "Grills")),
    ("Office", ("Desks", "Chairs", "Stationery", "Organisers", "Printers", "Bags")),
    ("Beauty", ("Skincare", "Haircare", "Fragrance", "Makeup", "Bath", "Grooming")),
)
LEAF_QUALIFIERS = ("Essentials", "Premium", "Kids", "Travel", "Eco", "Pro", "Compact", "Classic")
ADJECTIVES = (
    "Ergonomic",
    "Rustic",
    "Sleek",
    "Durable",
    "Lightweight",
    "Handcrafted",
    "Modern",
    "Vintage",
    "Compact",
    "Deluxe",
    "Smart",
    "Classic",
    "Foldable",
    "Heavy-Duty",
    "Minimalist",
    "Portable",
)
MATERIALS = (
    "Oak",
    "Steel",
    "Cotton",
    "Bamboo",
    "Leather",
    "Aluminium",
    "Wool",
    "Ceramic",
    "Glass",
    "Linen",
    "Walnut",
    "Recycled Plastic",
    "Copper",
    "Granite",
    "Silicone",
    "Canvas",
)
COLORS = ("black", "white", "red", "blue", "green", "grey", "navy", "beige", "olive", "orange")
SIZES = ("XS", "S", "M", "L", "XL")
BRANDS = ("Northwind", "Acme", "Fjord", "Lumen", "Oakridge", "Vela", "Kestrel", "Marlow")
IMAGE_HOST = "https://images.example.com/products"


@dataclass(frozen=True)
class CategorySpec:
    key: int
    name: str
    slug: str
    parent_key: int | None
    position: int


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    category_key: int
    is_published: bool
    document: dict[str, Any] = field(compare=False)


def category_tree(count: int) -> list[CategorySpec]:
    """Return ``count`` categories in three levels, parents before children (``count`` >= 3)."""
    if count < 3:
        raise ValueError("a three-level tree needs at least 3 categories")
    n_top = max(1, round(count ** (1 / 3)))
    n_mid = max(1, round((count - n_top) * 0.15))
    n_leaf = count - n_top - n_mid
    specs: list[CategorySpec] = []

    def add(name: str, parent: int | None, position: int) -> int:
        key = len(specs)
        specs.append(CategorySpec(key, name, f"{slugify(name)}-{key + 1}", parent, position))
        return key

    tops = []
    for i in range(n_top):
        department, _ = DEPARTMENTS[i % len(DEPARTMENTS)]
        round_no = i // len(DEPARTMENTS)
        tops.append(add(department if round_no == 0 else f"{department} {round_no + 1}", None, i))
    mids = []
    for i in range(n_mid):
        top = tops[i % n_top]
        _, subs = DEPARTMENTS[top % len(DEPARTMENTS)]  # a top category's key is its index
        mids.append(add(subs[(i // n_top) % len(subs)], top, i // n_top))
    for i in range(n_leaf):
        mid = mids[i % n_mid]
        qualifier = LEAF_QUALIFIERS[(i // n_mid) % len(LEAF_QUALIFIERS)]
        add(f"{specs[mid].name} {qualifier}", mid, i // n_mid)
    return specs


def leaf_keys(tree: list[CategorySpec]) -> list[int]:
    """Return the keys of categories without children."""
    parents = {spec.parent_key for spec in tree}
    return [spec.key for spec in tree if spec.key not in parents]


def product_document(rng: random.Random, sku: str, category_name: str) -> dict[str, Any]:
    """Return the document part of a product: name, description, price, attributes, images."""
    adjective, material = rng.choice(ADJECTIVES), rng.choice(MATERIALS)
    noun = category_name.split()[0].rstrip("s") if category_name else "Item"
    brand = rng.choice(BRANDS)
    name = f"{brand} {adjective} {material} {noun}"
    price = (Decimal(rng.randint(199, 99_999)) / 100).quantize(Decimal("0.01"))
    attributes: dict[str, Any] = {
        "brand": brand,
        "color": rng.choice(COLORS),
        "material": material.lower(),
        "weight_kg": round(rng.uniform(0.1, 25.0), 2),
        "in_stock": rng.random() < 0.85,
    }
    if rng.random() < 0.4:
        attributes["sizes"] = sorted(rng.sample(SIZES, rng.randint(1, len(SIZES))), key=SIZES.index)
    images = [f"{IMAGE_HOST}/{sku.lower()}/{n}.jpg" for n in range(1, rng.randint(1, 4) + 1)]
    description = (
        f"The {name} is a {adjective.lower()} {noun.lower()} made of {material.lower()}, "
        f"by {brand}. Colour: {attributes['color']}."
    )
    return {
        "name": name,
        "description": description,
        "price": price,
        "attributes": attributes,
        "images": images,
    }


def products(tree: list[CategorySpec], count: int, seed: int) -> Iterator[ProductSpec]:
    """Yield ``count`` products spread over the leaf categories of ``tree``."""
    rng = random.Random(seed)
    leaves = leaf_keys(tree)
    for i in range(count):
        sku = f"SKU-{i + 1:08d}"
        category_key = leaves[rng.randrange(len(leaves))]
        yield ProductSpec(
            sku=sku,
            category_key=category_key,
            is_published=rng.random() < 0.95,
            document=product_document(rng, sku, tree[category_key].name),
        )
