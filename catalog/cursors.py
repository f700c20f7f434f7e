"""Keyset cursors: an opaque token holding the ordering and the last row's sort key.

Pages continue from the key, never from an OFFSET, so a deep page costs what the first costs.
The token is base64url of a small JSON array, signed (an HMAC under ``SECRET_KEY``, by
Django's signing, which also accepts ``SECRET_KEY_FALLBACKS`` while a key is rotated out): a
client cannot mint cursors, so it cannot choose cache keys of its own. The signature is checked
before anything else (a ValueError, which the API answers with a 400 naming ``cursor``), then
every part's type; the value only ever becomes a literal in a query.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from django.core import signing

MAX_TOKEN_LENGTH = 400
# The salt keeps a cursor's signature from being valid for any other signed value of the
# project (the pinning cookie, sessions), and '.' separates it without URL escaping.
_SALT = "catalog.cursors"
_SEPARATOR = "."


@dataclass(frozen=True)
class Cursor:
    ordering: str
    value: Any  # the sort field's value at the boundary row (datetime, Decimal or str)
    id: int
    reverse: bool = False  # True: the page before the boundary row


def _signer() -> signing.Signer:
    # Built per call (a few attribute reads): the keys are read from the settings each time.
    return signing.Signer(salt=_SALT, sep=_SEPARATOR)


def canonical(cursor: Cursor) -> str:
    """Return the unsigned text of ``cursor``: equal cursors give equal text (cache keys use it;
    it does not change when the secret key does)."""
    value = cursor.value.isoformat() if isinstance(cursor.value, datetime.datetime) else str(cursor.value)
    raw = orjson.dumps([cursor.ordering, value, cursor.id, int(cursor.reverse)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode(cursor: Cursor) -> str:
    """Return the opaque, signed token of ``cursor``."""
    return _signer().sign(canonical(cursor))


def decode(token: str, *, ordering: str) -> Cursor:
    """Return the cursor in ``token``; raise ValueError with a reason when it is not valid
    (no I/O: the signature is checked against the keys in the settings)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError("the cursor is too long")
    try:
        payload = _signer().unsign(token)
    except signing.BadSignature:
        raise ValueError("the cursor is not one this API issued") from None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        parts = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise ValueError("the cursor is not one this API issued") from None
    if not (isinstance(parts, list) and len(parts) == 4):
        raise ValueError("the cursor is not one this API issued")
    token_ordering, value, id_, reverse = parts
    if token_ordering != ordering:
        raise ValueError("the cursor belongs to another ordering; start again without it")
    if not (
        isinstance(value, str) and isinstance(id_, int) and not isinstance(id_, bool) and reverse in (0, 1)
    ):
        raise ValueError("the cursor is not one this API issued")
    if not 0 < id_ < 2**63:
        raise ValueError("the cursor is not one this API issued")
    return Cursor(ordering, _parse_value(ordering, value), id_, bool(reverse))


EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)
MAX_PRICE = Decimal("9999999999.99")


def _parse_value(ordering: str, value: str) -> Any:
    # Bounded to what both stores accept: anything else would fail in a query, not here.
    try:
        if ordering == "newest":
            parsed = datetime.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError
            parsed = parsed.astimezone(datetime.UTC)
            if not EARLIEST <= parsed <= LATEST:
                raise ValueError
            return parsed
        if ordering in ("price", "-price"):
            number = Decimal(value)
            if not number.is_finite() or not 0 <= number <= MAX_PRICE:
                raise ValueError
            return number.quantize(Decimal("0.01"))
    except (ValueError, ArithmeticError, OverflowError):
        raise ValueError("the cursor is not one this API issued") from None
    if len(value) > 200:
        raise ValueError("the cursor is not one this API issued")
    return value
