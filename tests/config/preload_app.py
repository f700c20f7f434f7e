"""The service's WSGI application for the gunicorn test, imported the way ``--preload`` does,
in the master: its import opens a Postgres connection and a MongoClient, as an application
whose start-up touches its servers would, and writes the Postgres session's pid to
``$PRELOAD_PID_FILE`` so that the test can tell whether the master let go of it before forking."""

import os
from pathlib import Path

from django.db import connections

from catalog_service.documents.client import get_client
from catalog_service.wsgi import application

with connections["default"].cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    Path(os.environ["PRELOAD_PID_FILE"]).write_text(str(cursor.fetchone()[0]))
get_client().admin.command("ping")

__all__ = ["application"]
