"""gunicorn's logger, writing JSON lines: one object per request in the access log, carrying
the request id the application answered with (X-Request-ID), and JSON for gunicorn's own
messages too, so one parser reads everything the process writes. On a terminal
(``LOG_FORMAT=auto``, the default) it writes text lines for people instead, like the service's.

Configured with ``logger_class`` in ``config/gunicorn.conf.py``; the access log still goes
where ``accesslog`` (``--access-logfile``) says, and is off when that is unset.
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

from gunicorn.glogging import Logger

from catalog_service.observability.logs import TEXT_FORMAT, JsonFormatter, RequestIdFilter, log_format

REQUEST_ID_ATOM = "{x-request-id}o"


class JsonLogger(Logger):
    """gunicorn's Logger with JSON formatters on its handlers and a structured access record."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # gunicorn reads its config before Django's settings exist: the variable, read here.
        text = log_format(os.environ.get("LOG_FORMAT", "auto").strip().lower() or "auto") == "text"
        for handler in [*self.error_log.handlers, *self.access_log.handlers]:
            if text:
                handler.addFilter(RequestIdFilter())
                handler.setFormatter(logging.Formatter(TEXT_FORMAT))
            else:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta) -> None:
        """Log one request: method, path, query, status, duration, size, client, request id."""
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        status = atoms["s"]
        fields = {
            "request_id": atoms.get(REQUEST_ID_ATOM),
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or None,
            "status": int(status) if str(status).isdigit() else status,
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "bytes": atoms["B"],
            "remote_addr": atoms["h"],
            "user_agent": atoms["a"],
            "protocol": atoms["H"],
        }
        try:
            self.access_log.info(
                "%s %s %s %.1f ms", atoms["m"], atoms["U"], status, fields["duration_ms"], extra=fields
            )
        except Exception:
            self.exception("access log record failed")
