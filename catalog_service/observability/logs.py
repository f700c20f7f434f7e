"""JSON log lines, one object per record, each with the id of the request it belongs to."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from catalog_service.observability.request_id import get_request_id

#: The keys every line has; anything passed with ``extra=`` is added beside them.
FIELDS = ("time", "level", "logger", "message", "request_id")
#: A line for people: time, level, logger, request id, message.
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"


def log_format(setting: str, stream: TextIO | None = None) -> str:
    """``json`` or ``text`` for a ``LOG_FORMAT`` value: ``auto`` is text when the log goes to a
    terminal (someone reads it: ``make run``), JSON otherwise (a collector parses it)."""
    if setting != "auto":
        return setting
    stream = sys.stderr if stream is None else stream
    return "text" if stream.isatty() else "json"


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request's id (None outside a request).

    Attached to the handler, not to a logger, so records of every logger that reach the
    handler are stamped, Django's and the libraries' included. A record that already has an id
    (gunicorn's access log passes the response's) keeps it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = get_request_id()
        return True


class JsonFormatter(BaseJsonFormatter):
    """python-json-logger's formatter with this service's field names:
    ``{"time": ISO 8601 UTC, "level", "logger", "message", "request_id", ...extra}``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message", "request_id"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        # Django's request logger passes the request object itself; its path is in the message.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(**kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        fields = dict(log_data)  # the time first, for people reading the lines
        log_data.clear()
        log_data["time"] = fields.pop("time", None)
        log_data.update(fields)
