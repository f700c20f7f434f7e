"""What a run ran on, for the report: the machine and the MongoDB server."""

from __future__ import annotations

import contextlib
import os
import platform
from typing import Any

import pymongo

from loadtests.bench import standin


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as info:
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": platform.platform()}  # fmt: skip


def mongodb_server(env: dict[str, str], *, own_standin: bool) -> str:
    """Name the MongoDB the run reads from, for the report."""
    url = env.get("MONGODB_URL", f"mongodb://127.0.0.1:{standin.stack_mongodb_port()}/?directConnection=true")
    with pymongo.MongoClient(url, serverSelectionTimeoutMS=2000) as client:
        version = client.server_info().get("version", "?")
    if own_standin:
        return f"mongo-java-server 1.46 stand-in, in memory, the runner's own (declares MongoDB {version})"
    if standin.stack_runs_standin() and f"127.0.0.1:{standin.stack_mongodb_port()}" in url:
        return f"mongo-java-server 1.46 stand-in, file-backed (declares MongoDB {version})"
    return f"MongoDB {version}"
