import io
import json
import logging

import pytest


@pytest.fixture
def json_log_lines():
    """The lines the service's configured console handler writes (settings.LOGGING), parsed:
    call the returned function to read what was logged so far."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    console = next(h for h in handlers if any(type(f).__name__ == "RequestIdFilter" for f in h.filters))
    stream = io.StringIO()
    previous = console.setStream(stream)

    def lines(logger=None):
        parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
        return [p for p in parsed if logger is None or p["logger"] == logger]

    yield lines
    console.setStream(previous)
