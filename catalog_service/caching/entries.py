"""What the response cache stores and answers with: plain values, no I/O.

An entry (a dict, msgpack-encoded in Redis) holds the rendered body, its ETag, its content type,
the generation it was built under and when. It is fresh when that generation is still the
current one and it is younger than its soft TTL.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

Entry = dict[str, Any]  # {"g": generation, "t": built at, "b": body, "e": ETag, "c": content type}


@dataclass
class Built:
    """A response to cache: its body and content type."""

    body: bytes
    content_type: str = "application/json"


@dataclass
class Served:
    """What the cache layer answers with, and how (for headers and tests)."""

    body: bytes
    etag: str
    content_type: str
    state: str  # hit, stale, miss (built here), wait (built by another), stale_if_error, bypass


class Read(NamedTuple):
    """One read of the cache (one MGET): the key's current generation, its entry, and whether
    the generation was bumped lately (rebuilds then read the primary)."""

    generation: int | None
    entry: Entry | None
    recent: bool


@dataclass
class Peeked:
    """What ``peek`` saw: the fresh entry, or the read that ``cached`` can start from."""

    key: str
    served: Served | None
    read: Read | None
    # Redis was tried and could not answer: the full path builds without waiting on it again.
    unavailable: bool = False


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def is_fresh(entry: Entry, generation: int | None, ttl: float) -> bool:
    """True when ``entry`` was built under the current ``generation`` less than ``ttl`` ago."""
    return generation is not None and entry.get("g") == generation and time.time() - entry["t"] < ttl


def served_from(entry: Entry, state: str) -> Served:
    return Served(entry["b"], entry["e"], entry.get("c", "application/json"), state)


def entry_of(built: Built, etag: str, generation: int) -> Entry:
    """The entry to store for ``built``, stamped with the generation it was built under."""
    return {"g": generation, "t": time.time(), "b": built.body, "e": etag, "c": built.content_type}
