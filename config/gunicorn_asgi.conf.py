"""gunicorn settings for the ASGI service: ``gunicorn -c config/gunicorn_asgi.conf.py
catalog_service.asgi:application`` (``make run-asgi``).

Everything but the worker is the WSGI service's configuration (``gunicorn.conf.py``: bind,
timeouts, graceful restarts, max_requests with jitter, logging, hooks). One uvicorn worker per
core: each runs one event loop that serves many requests at once while they wait on I/O.
"""

import multiprocessing
import os
import runpy

_wsgi = runpy.run_path(os.path.join(os.path.dirname(__file__), "gunicorn.conf.py"))
globals().update({name: value for name, value in _wsgi.items() if not name.startswith("_")})

worker_class = "catalog_service.asgi_worker.CatalogUvicornWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = 1
