"""Which cached responses a write outdates: bumped after commit, ancestors included.

A product change outdates the listings of its category and of every ancestor (they list
descendants' products), before and after a move, and its own detail. A category whose slug
or parent changes outdates the listings of its old and new ancestor chains, and, for a new
slug, the details of its products (they show the slug).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, transaction

from catalog.cache_keys import category_generation_key, product_generation_key
from catalog_service.caching.generations import bump
from catalog_service.db.state import use_primary
from categories.selectors import category_tree

log = logging.getLogger(__name__)


def _chain_slugs(category_ids: Iterable[int]) -> set[str]:
    category_ids = set(category_ids)
    if not category_ids:
        return set()
    with use_primary():
        tree = category_tree()
    slugs: set[str] = set()
    for category_id in set(category_ids):
        node = tree.nodes.get(category_id)
        if node is not None:
            slugs.add(node.slug)
            slugs.update(a.slug for a in tree.ancestors(node))
    return slugs


def generation_keys(*, category_ids: Iterable[int] = (), slugs: Iterable[str] = (),
                    product_ids: Iterable[int] = ()) -> list[str]:  # fmt: skip
    """Return the generations to bump for these categories (with ancestors) and products."""
    names = {category_generation_key(slug) for slug in _chain_slugs(category_ids) | set(slugs)}
    names |= {product_generation_key(pk) for pk in product_ids}
    return sorted(names)


def invalidate_after_commit(*, using: str, category_ids: Iterable[int] = (), slugs: Iterable[str] = (),
                            product_ids: Iterable[int] = ()) -> None:  # fmt: skip
    """Bump, once the transaction commits, what these categories and products outdate."""
    category_ids, slugs, product_ids = list(category_ids), list(slugs), list(product_ids)

    def run() -> None:
        try:
            keys = generation_keys(category_ids=category_ids, slugs=slugs, product_ids=product_ids)
        except DatabaseError:  # the tree could not be read: bump what is known without it
            log.exception("cache invalidation: category tree unavailable; bumping known keys only")
            keys = generation_keys(slugs=slugs, product_ids=product_ids)
        bump(keys)

    # robust: the write has committed; a failing invalidation must not turn it into an error
    transaction.on_commit(run, using=using, robust=True)


def invalidate_now(*, category_ids: Iterable[int] = (), product_ids: Iterable[int] = ()) -> None:
    """Bump at once (a document just reached MongoDB: listings built before now are outdated)."""
    bump(generation_keys(category_ids=category_ids, product_ids=product_ids))
