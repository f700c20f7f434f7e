"""The category page's facets: exact counts for every filter, in one SQL query and one aggregate.

A facet count is disjunctive: the counts of one attribute key's values apply every filter but
that key's own (a shopper who picked red still sees how many are blue), the price figures
every filter but the price range, and ``count`` all of them. Each of these sets is one
sub-pipeline of a single ``$facet`` stage, after a ``$match`` on the subtree:

- ``count``: every filter, counted;
- ``prices``: every filter but the price range, grouped by price (the buckets' edges depend on
  the lowest and highest price, so they are cut here, from the distinct prices and counts);
- ``values``: every filter, each document's attributes unwound to (key, value) pairs and
  counted, the keys without a filter of their own only (for them "every filter" is the set);
- ``k0``, ``k1``, ...: one per filtered key, every filter but that key's, its values counted;
- ``keys`` (only when the request names no keys): the keys present in the subtree, by the
  number of products that have them, the first ``MAX_FACET_KEYS``.

Attribute paths in the pipeline are built only from validated key names; keys read from the
data are compared as literals, never made into paths. Values are counted once per product: a
list is made a set (``$setDifference`` with nothing) before it is unwound.

The reads are steps (as in ``catalog.selectors``): ``product_facets`` runs them on the blocking
clients, ``catalog.aio_selectors.product_facets`` on the asyncio ones.
"""

from __future__ import annotations

from typing import Any

from catalog.listing import MAX_FACET_KEYS, MAX_FACET_VALUES, FacetQuery, attribute_candidates
from catalog.selectors import (
    ONLY,
    SUBTREE,
    Aggregate,
    Sql,
    Steps,
    attribute_conditions,
    price_cents,
    price_condition,
    run_steps,
    subtree_condition,
)

# One more than is shown: a key with more values than that is named in ``truncated``.
VALUES_FETCHED = MAX_FACET_VALUES + 1


def product_facets(*, slug: str, query: FacetQuery) -> dict[str, Any] | None:
    """Return the facets body of the category ``slug``'s published products (and of its
    descendants unless the query says otherwise); None when there is no such category."""
    return run_steps(facet_steps(slug=slug, query=query))


def facet_steps(*, slug: str, query: FacetQuery) -> Steps:
    """The facets' reads, as steps: the subtree's ids (SQL), then one aggregate."""
    cte = SUBTREE if query.include_descendants else ONLY
    rows = yield Sql(f"{cte} SELECT id FROM subtree", [slug])
    if not rows:
        return None
    filtered = sorted(attribute_conditions(query).items())
    found = yield Aggregate(facet_pipeline([row[0] for row in rows], query, filtered))
    return facets_body(found[0] if found else {}, query, [key for key, _ in filtered])


def facet_pipeline(
    category_ids: list[int], query: FacetQuery, filtered: list[tuple[str, list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    """Return the aggregate of the facets (see the module's docstring)."""
    price = price_condition(query)
    parts: list[tuple[str | None, dict[str, Any]]] = [(None, price)] if price is not None else []
    parts += [(key, condition) for key, conditions in filtered for condition in conditions]

    def matching(*, but: str | None = "") -> list[dict[str, Any]]:
        # The $match of every filter except key ``but``'s (None: the price range's; "": none).
        conditions = [c for owner, c in parts if owner != but]
        return [{"$match": {"$and": conditions}}] if conditions else []

    filtered_keys = [key for key, _ in filtered]
    if query.facets:
        wanted = [key for key in query.facets if key not in filtered_keys]
        unfiltered_keys: dict[str, Any] = {"$in": ["$$pair.k", wanted]}
    else:
        unfiltered_keys = {"$not": [{"$in": ["$$pair.k", filtered_keys]}]}
    stages: dict[str, list[dict[str, Any]]] = {
        "count": [*matching(), {"$group": {"_id": None, "n": {"$sum": 1}}}],
        "prices": [*matching(but=None), {"$group": {"_id": "$price", "n": {"$sum": 1}}}],
        "values": [
            *matching(),
            {
                "$project": {
                    "pairs": {
                        "$map": {
                            "input": {
                                "$filter": {
                                    "input": {"$objectToArray": {"$ifNull": ["$attributes", {}]}},
                                    "as": "pair",
                                    "cond": unfiltered_keys,
                                }
                            },
                            "as": "pair",
                            "in": {"k": "$$pair.k", "v": _as_set("$$pair.v")},
                        }
                    }
                }
            },
            {"$unwind": "$pairs"},
            {"$unwind": "$pairs.v"},
            {"$group": {"_id": {"k": "$pairs.k", "v": "$pairs.v"}, "n": {"$sum": 1}}},
            {"$sort": {"n": -1, "_id.v": 1}},
            {"$group": {"_id": "$_id.k", "values": {"$push": {"v": "$_id.v", "n": "$n"}}}},
            {"$project": {"values": {"$slice": ["$values", VALUES_FETCHED]}}},
        ],
    }
    for i, key in enumerate(filtered_keys):
        if query.facets and key not in query.facets:
            continue
        stages[f"k{i}"] = [
            *matching(but=key),
            {"$project": {"v": _as_set(f"$attributes.{key}")}},
            {"$unwind": "$v"},
            {"$group": {"_id": "$v", "n": {"$sum": 1}}},
            {"$sort": {"n": -1, "_id": 1}},
            {"$limit": VALUES_FETCHED},
        ]
    if not query.facets:
        stages["keys"] = [
            {"$project": {"pairs": {"$objectToArray": {"$ifNull": ["$attributes", {}]}}}},
            {"$unwind": "$pairs"},
            {"$group": {"_id": "$pairs.k", "n": {"$sum": 1}}},
            {"$sort": {"n": -1, "_id": 1}},
            {"$limit": MAX_FACET_KEYS},
        ]
    return [{"$match": subtree_condition(category_ids)}, {"$facet": stages}]


def _as_set(value: str) -> dict[str, Any]:
    # A list's distinct elements (a product counts once per value); anything else as it is.
    return {"$cond": [{"$isArray": value}, {"$setDifference": [value, []]}, value]}


def facets_body(result: dict[str, Any], query: FacetQuery, filtered_keys: list[str]) -> dict[str, Any]:
    """Shape the aggregate's single document into the API's body."""
    count = result.get("count") or []
    keys = list(query.facets) or sorted(group["_id"] for group in result.get("keys", []))
    counted: dict[str, list[dict[str, Any]]] = {
        group["_id"]: [{"_id": pair["v"], "n": pair["n"]} for pair in group["values"]]
        for group in result.get("values", [])
    }
    for i, key in enumerate(filtered_keys):
        if f"k{i}" in result:
            counted[key] = result[f"k{i}"]
    selected = {key: [] for key in filtered_keys}
    for key, value in query.attributes:
        selected[key].extend(attribute_candidates(value))
    attributes, truncated = {}, []
    for key in keys:
        groups = sorted(counted.get(key, []), key=lambda group: (-group["n"], value_order(group["_id"])))
        if len(groups) > MAX_FACET_VALUES:
            truncated.append(key)
        chosen = selected.get(key, [])
        attributes[key] = [
            {
                "value": group["_id"],
                "count": group["n"],
                "selected": any(same_value(group["_id"], c) for c in chosen),
            }
            for group in groups[:MAX_FACET_VALUES]
        ]
    return {
        "count": count[0]["n"] if count else 0,
        "price": price_facet(result.get("prices", []), query.price_buckets),
        "attributes": attributes,
        "truncated": truncated,
    }


def price_facet(groups: list[dict[str, Any]], buckets: int) -> dict[str, Any]:
    """Return the lowest and highest price and ``buckets`` equal-width buckets over them.

    Buckets are cut in cents, both ends inclusive, so ``min_price=bucket.min&max_price=bucket.max``
    lists exactly the bucket's count; their widths differ by at most a cent, and a range
    narrower than ``buckets`` cents has one bucket per cent."""
    counts: dict[int, int] = {}
    for group in groups:
        cents = price_cents(group["_id"])
        if cents is not None:
            counts[cents] = counts.get(cents, 0) + group["n"]
    if not counts:
        return {"min": None, "max": None, "buckets": []}
    low, high = min(counts), max(counts)
    span = high - low + 1
    n = min(buckets, span)
    # Bucket i holds the cents c with i <= (c - low) * n / span < i + 1: from
    # low + ceil(i * span / n) to one cent below the next bucket's start.
    edges = [low - (-span * i // n) for i in range(n + 1)]
    totals = [0] * n
    for cents, number in counts.items():
        i = (cents - low) * n // span
        totals[i] += number
    return {
        "min": cents_text(low),
        "max": cents_text(high),
        "buckets": [
            {"min": cents_text(edges[i]), "max": cents_text(edges[i + 1] - 1), "count": totals[i]}
            for i in range(n)
        ],
    }


def cents_text(cents: int) -> str:
    """Return an amount in cents as the API's decimal string."""
    digits = str(abs(cents)).rjust(3, "0")
    return f"{'-' if cents < 0 else ''}{digits[:-2]}.{digits[-2:]}"


def value_order(value: Any) -> tuple[int, Any]:
    """Return a sort key that orders attribute values as MongoDB does: numbers, then text,
    then booleans."""
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value))


def same_value(stored: Any, candidate: Any) -> bool:
    """True when a stored value equals a filter's literal as MongoDB compares them (a boolean
    is not the number 1 or 0)."""
    if isinstance(stored, bool) or isinstance(candidate, bool):
        return isinstance(stored, bool) and isinstance(candidate, bool) and stored == candidate
    return stored == candidate and isinstance(stored, str) == isinstance(candidate, str)
