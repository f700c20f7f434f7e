"""Every cache key of the catalog's API responses, built here and nowhere else."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.conf import settings

from catalog import cursors
from catalog.listing import FacetQuery, ListingQuery


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def category_generation_key(slug: str) -> str:
    """The generation of a category's listings; bumped when anything they show changes."""
    return f"gen:category:{slug}"


def product_generation_key(product_id: int) -> str:
    """The generation of one product's detail response."""
    return f"gen:product:{product_id}"


def listing_key(*, base_url: str, slug: str, query: ListingQuery) -> str:
    """The key of one listing page: the category, and the normalized query (parameters sorted,
    defaults filled in, the cursor re-encoded without its signature), under ``base_url``: the
    origin and script prefix its links start with (``catalog.api.links.link_base``)."""
    params = query.canonical_params()  # str pairs: the standard library's urlencode suffices
    if query.cursor is not None:
        params.append(("cursor", cursors.canonical(query.cursor)))
    # The page's links carry cursors signed under the secret key: a new key, new entries (cached
    # pages never hand out cursors signed by a key that is being rotated out).
    signed_under = _digest(settings.SECRET_KEY)
    return f"listing:{slug}:{_digest(base_url + '?' + urlencode(params) + '#' + signed_under)}"


def facets_key(*, slug: str, query: FacetQuery) -> str:
    """The key of one category's facets: the normalized query. Entries live under the category's
    generation (``category_generation_key``), like its listing pages, so a write that outdates
    the listing outdates the facets too. The body holds no links, so no origin is in the key."""
    return f"facets:{slug}:{_digest(urlencode(query.canonical_params()))}"


def product_key(*, base_url: str, product_id: int) -> str:
    """The key of one product's detail response, under ``base_url`` (as ``listing_key``)."""
    return f"product:{product_id}:{_digest(base_url)}"
