"""Facet counts against ground truth: random filter combinations on a seeded catalog, every
count checked against one computed in Python from all documents of the subtree."""

import random
from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128
from django.core.management import call_command

from catalog import seeding
from catalog.listing import attribute_candidates
from categories.models import Category
from tests.conftest import wait_for_replicas

pytestmark = pytest.mark.django_db(transaction=True)
COMBINATIONS = 200


def kind(value):
    """A value as MongoDB tells values apart: booleans are not numbers, 1 equals 1.0."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    return ("text", value)


def elements(value):
    return set(map(kind, value if isinstance(value, list) else [value]))


def price_of(doc):
    price = doc["price"]
    return price.to_decimal() if isinstance(price, Decimal128) else Decimal(price)


def numbers(value):
    return [v for v in (value if isinstance(value, list) else [value]) if kind(v)[0] == "number"]


class Truth:
    """The filters of one combination, applied in Python."""

    def __init__(self, params):
        self.min_price = Decimal(params["min_price"]) if "min_price" in params else None
        self.max_price = Decimal(params["max_price"]) if "max_price" in params else None
        self.values = {}
        for raw in params.get("attr", []):
            key, _, value = raw.partition(":")
            self.values.setdefault(key, set()).update(map(kind, attribute_candidates(value)))
        self.ranges = {}
        for raw in params.get("attr_range", []):
            key, _, bounds = raw.partition(":")
            low, _, high = bounds.partition("..")
            self.ranges[key] = (float(low) if low else None, float(high) if high else None)

    def matches(self, doc, *, but=None):
        if but != "price":
            price = price_of(doc)
            if self.min_price is not None and price < self.min_price:
                return False
            if self.max_price is not None and price > self.max_price:
                return False
        attributes = doc.get("attributes") or {}
        for key, wanted in self.values.items():
            if key != but and (key not in attributes or not elements(attributes[key]) & wanted):
                return False
        for key, (low, high) in self.ranges.items():
            if key == but:
                continue
            if not any(
                (low is None or v >= low) and (high is None or v <= high)
                for v in numbers(attributes.get(key))
            ):
                return False
        return True


def random_params(rng, pools):
    params = {}
    if rng.random() < 0.4:
        low, high = sorted(rng.sample(pools["prices"], 2))
        if rng.random() < 0.7:
            params["min_price"] = str(low)
        if rng.random() < 0.7:
            params["max_price"] = str(high)
    keys = rng.sample(["brand", "color", "material", "in_stock", "sizes"], rng.randint(0, 3))
    params["attr"] = [f"{key}:{value}" for key in keys for value in rng.sample(pools[key], rng.randint(1, 2))]
    if rng.random() < 0.4:
        low, high = sorted(round(rng.uniform(0.1, 25.0), 1) for _ in range(2))
        low, high = rng.choice([(low, high), (low, ""), ("", high)])  # closed, or an open end
        params["attr_range"] = [f"weight_kg:{low}..{high}"]
    if rng.random() < 0.3:
        params["facets"] = ",".join(
            rng.sample(["brand", "color", "sizes", "weight_kg", "in_stock", "nope"], 3)
        )
    if rng.random() < 0.5:
        params["price_buckets"] = str(rng.randint(1, 20))
    if rng.random() < 0.3:
        params["include_descendants"] = "false"
    return params


@pytest.mark.wsgi_only  # 200 requests; the async view's JSON is compared with this one's elsewhere
def test_every_count_equals_the_ground_truth(products_collection, client):
    call_command("seed_catalog", categories=12, products=300, seed=11)
    wait_for_replicas()
    documents = list(products_collection.find({"is_published": True}))
    categories = {c.pk: c for c in Category.objects.all()}
    children = {}
    for category in categories.values():
        children.setdefault(category.parent_id, []).append(category.pk)

    def all_below(pk):
        found, todo = set(), [pk]
        while todo:
            current = todo.pop()
            found.add(current)
            todo += children.get(current, [])
        return found

    pools = {
        "prices": sorted({price_of(d) for d in documents}),
        "brand": list(seeding.BRANDS),
        "color": list(seeding.COLORS),
        "material": [m.lower() for m in seeding.MATERIALS],
        "in_stock": ["true", "false"],
        "sizes": list(seeding.SIZES),
    }
    rng = random.Random(20)
    checked = nonempty = truncated = filtered = 0
    for _ in range(COMBINATIONS):
        category = rng.choice(list(categories.values()))
        params = random_params(rng, pools)
        descendants = params.get("include_descendants") != "false"
        ids = all_below(category.pk) if descendants else {category.pk}
        docs = [d for d in documents if d["category_id"] in ids]
        response = client.get(f"/api/v1/categories/{category.slug}/facets/", params)
        assert response.status_code == 200, (params, response.content)
        body = response.json()
        truth = Truth(params)
        context = (category.slug, params)

        assert body["count"] == sum(1 for d in docs if truth.matches(d)), context
        checked += 1
        nonempty += body["count"] > 0
        truncated += bool(body["truncated"])
        filtered += bool(truth.values or truth.ranges or truth.min_price or truth.max_price)

        priced = [price_of(d) for d in docs if truth.matches(d, but="price")]
        if priced:
            assert (Decimal(body["price"]["min"]), Decimal(body["price"]["max"])) == (
                min(priced),
                max(priced),
            )
            buckets = body["price"]["buckets"]
            assert len(buckets) == min(
                int(params.get("price_buckets", 5)), int((max(priced) - min(priced)) * 100) + 1
            )
            assert sum(b["count"] for b in buckets) == len(priced), context
            for bucket in buckets:
                low, high = Decimal(bucket["min"]), Decimal(bucket["max"])
                assert bucket["count"] == sum(1 for p in priced if low <= p <= high), context
                checked += 1
        else:
            assert body["price"] == {"min": None, "max": None, "buckets": []}, context

        present = {}
        for d in docs:
            for key in d.get("attributes") or {}:
                present[key] = present.get(key, 0) + 1
        wanted = params["facets"].split(",") if "facets" in params else sorted(present)
        assert list(body["attributes"]) == sorted(wanted), context
        for key in wanted:
            counts = {}
            for d in docs:
                attributes = d.get("attributes") or {}
                if key in attributes and truth.matches(d, but=key):
                    for value in elements(attributes[key]):
                        counts[value] = counts.get(value, 0) + 1
            entries = body["attributes"][key]
            assert len(entries) == min(50, len(counts)), context
            assert (key in body["truncated"]) == (len(counts) > 50), context
            for entry in entries:
                assert entry["count"] == counts[kind(entry["value"])], (context, key, entry)
                assert entry["selected"] == (kind(entry["value"]) in truth.values.get(key, set())), context
                checked += 1
            shown = [entry["count"] for entry in entries]
            assert shown == sorted(shown, reverse=True), context
            left_out = sorted(counts.values(), reverse=True)[len(entries) :]
            assert not left_out or min(shown) >= left_out[0], context  # the most common are shown
    assert checked > COMBINATIONS * 5
    # The combinations are not trivial: many filter, many still find products, some cut values.
    assert nonempty > COMBINATIONS // 4 and filtered > COMBINATIONS // 2 and truncated > 0, (
        nonempty,
        filtered,
        truncated,
    )
