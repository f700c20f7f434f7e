"""What MongoDB and the document indexes can hold, checked before a value reaches the outbox.

BSON integers are 64-bit (pymongo refuses a larger Python int while encoding, client-side);
a BSON document holds at most 16 MiB, and the document size limit (``DOCUMENT_MAX_BYTES``)
keeps well under it. Attribute names and text values are keys of the wildcard index on
attributes, which MongoDB bounds (1024 bytes per key before 4.2, and large keys are costly
since), so each name with its value is kept under ``MAX_INDEXED_BYTES``.
"""

from __future__ import annotations

from typing import Any

import bson
from django.conf import settings

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: MongoDB's hard limit on one document (maxBsonObjectSize).
BSON_MAX_BYTES = 16 * 1024 * 1024
#: An attribute's name and text value together, in UTF-8 (an index key of the wildcard index).
MAX_INDEXED_BYTES = 1000
DEFAULT_DOCUMENT_MAX_BYTES = 512 * 1024


def document_max_bytes() -> int:
    """Return the largest document accepted by validation (the ``DOCUMENT_MAX_BYTES`` setting)."""
    return min(int(getattr(settings, "DOCUMENT_MAX_BYTES", DEFAULT_DOCUMENT_MAX_BYTES)), BSON_MAX_BYTES)


def bson_size(document: dict[str, Any]) -> int:
    """Return the size of ``document`` encoded as BSON; raises what pymongo would raise when it
    cannot be encoded (``OverflowError`` for an integer beyond 64 bits, ``InvalidDocument``)."""
    return len(bson.encode(document))
