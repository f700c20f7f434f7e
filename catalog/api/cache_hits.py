"""Cache hits served before DRF's dispatch (the listing and the facets of a category).

A hit needs the validated query, one MGET and the stored body; DRF's request wrapping, content
negotiation and response finalizing would cost more than all of that together. So the URL
points at a thin function: a JSON GET whose query is valid and whose entry is fresh is
answered here, and every other request (a miss, bad input, the browsable API, other methods)
goes to the DRF view unchanged, which owns the schema, the 4xx bodies and the rebuild.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers
from rest_framework.exceptions import ValidationError

from catalog.api.params import parse_facet_query, parse_listing_query
from catalog.cache_keys import category_generation_key, facets_key, listing_key
from catalog_service.api import throttling
from catalog_service.api.origin import link_base
from catalog_service.caching.entries import Served
from catalog_service.caching.stampede import peek
from categories.models import SLUG_MAX_LENGTH

#: What every response of an endpoint that negotiates varies on, on every path (hits served
#: here, DRF's responses, the async views, errors and 304s, which keep their response's Vary).
VARY = ("Accept",)


def wants_json(request: HttpRequest) -> bool:
    """True when DRF's negotiation would surely pick JSON: no other format asked for by
    parameter, and an Accept header that is absent or names JSON or anything, and not HTML
    while the browsable API is on (a browser gets it then; without it the API is JSON only).
    Anything unusual takes the DRF path, which negotiates."""
    if request.GET.get("format", "json") != "json":
        return False
    accept = request.META.get("HTTP_ACCEPT", "")  # request.headers would copy every header
    if not accept:
        return True
    if "html" in accept:
        return not settings.API_BROWSABLE
    ranges = {part.split(";", 1)[0].strip() for part in accept.split(",")}
    return bool(ranges & {"application/json", "*/*", "application/*"})


KEYS_REMEMBERED = 4096
_keys: dict[tuple[str, str, str, str], str | None] = {}


@receiver(setting_changed)
def _forget_keys(**kwargs: Any) -> None:
    # A key was computed under the settings of its time (the secret keys a cursor's signature
    # was checked against, the origin); they change only in tests, which then start afresh.
    _keys.clear()


def key_of(request: HttpRequest, slug: str) -> str | None:
    """Return the cache key of this listing request, or None when its query is not valid.

    Remembered per URL (up to ``KEYS_REMEMBERED``, then started afresh): validating the query
    and normalizing it into a key cost about 50 µs, a fifth of a hit served from memory, and
    a catalog's traffic asks for the same few pages again and again."""
    url = ("listing", link_base(request), slug, request.META.get("QUERY_STRING", ""))
    try:
        return _keys[url]
    except KeyError:
        pass
    try:
        key: str | None = listing_key(base_url=url[1], slug=slug, query=parse_listing_query(request.GET))
    except ValidationError:
        key = None
    return _remember(url, key)


def facets_key_of(request: HttpRequest, slug: str) -> str | None:
    """As ``key_of``, for the facets of a category."""
    url = ("facets", "", slug, request.META.get("QUERY_STRING", ""))  # no links: no origin in the key
    try:
        return _keys[url]
    except KeyError:
        pass
    try:
        key: str | None = facets_key(slug=slug, query=parse_facet_query(request.GET))
    except ValidationError:
        key = None
    return _remember(url, key)


def _remember(url: tuple[str, str, str, str], key: str | None) -> str | None:
    if len(_keys) >= KEYS_REMEMBERED:
        _keys.clear()
    _keys[url] = key
    return key


def keys_remembered() -> int:
    """How many URLs' keys are remembered now (at most ``KEYS_REMEMBERED``)."""
    return len(_keys)


def response_of(served: Served) -> HttpResponse:
    """The response of a cached (or just built) body, with its ETag, X-Cache and Vary."""
    response = HttpResponse(served.body, content_type=served.content_type)
    response["ETag"] = served.etag
    response["X-Cache"] = served.state
    response["Vary"] = VARY[0]
    return response


def varying(response: HttpResponseBase) -> HttpResponseBase:
    """Return ``response`` with ``VARY`` added to its Vary header."""
    patch_vary_headers(response, VARY)
    return response


def serve_listing_hits(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap the listing's DRF view (keeping its attributes, for the schema generator)."""
    return serve_category_hits(view, key_of)


def serve_facet_hits(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap the facets' DRF view, as ``serve_listing_hits``."""
    return serve_category_hits(view, facets_key_of)


def serve_category_hits(
    view: Callable[..., HttpResponseBase], key_for: Callable[[HttpRequest, str], str | None]
) -> Callable[..., HttpResponseBase]:
    """Wrap a DRF view of a category's cached responses: a fresh hit under the key
    ``key_for(request, slug)`` gives, with the category's generation, is served here."""

    @functools.wraps(view)
    def listing(request: HttpRequest, slug: str) -> HttpResponseBase:
        if len(slug) > SLUG_MAX_LENGTH:  # no such category: DRF's 404, before any I/O
            return varying(view(request, slug=slug))
        # A throttled request, or one that cannot be counted, takes DRF's path to its 429/503.
        throttled_away = bool(settings.API_THROTTLE_RATE) and not throttling.decide(request)
        if request.method == "GET" and wants_json(request) and not throttled_away:
            key = key_for(request, slug)
            if key is not None:  # else the DRF view answers with the 400
                peeked = peek(key, category_generation_key(slug), settings.CACHE_TTLS["listing"])
                if peeked.served is not None:
                    return response_of(peeked.served)
                request.cache_peek = peeked  # the view's cache lookup starts from this read
        return varying(view(request, slug=slug))

    return listing
