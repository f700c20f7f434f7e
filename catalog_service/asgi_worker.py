"""gunicorn's worker for the ASGI service: uvicorn on uvloop and httptools, without lifespan
(Django's ASGI handler does not speak it; clients are opened lazily, per event loop)."""

from uvicorn_worker import UvicornWorker


class CatalogUvicornWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "lifespan": "off"}
