"""The runner's own MongoDB stand-in, held in memory.

When the stack's MongoDB is the mongo-java-server stand-in, the runner starts a second one
with the in-memory backend on a free port for the run, and stops it afterwards. The stack's
stand-in keeps its data in an H2 file, which costs about 100 µs to read each document (an
``$in`` of 100 ids: 11 ms, against 1.8 ms in memory, measured with the same client): a cost
of the stand-in's storage, not of MongoDB (whose working set sits in its cache) nor of the
service, and one that only the batched variants pay per document, so it compressed every
ratio this benchmark exists to show. A real ``mongod`` or an external ``MONGODB_URL`` is used
as it is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pymongo

from loadtests.bench.paths import ROOT

JAR = ROOT / "tools" / "mongo-standin" / "target" / "mongo-standin.jar"


def stack_runs_standin() -> bool:
    """Whether ``bin/stack`` reports its MongoDB as the stand-in."""
    status = subprocess.run([str(ROOT / "bin" / "stack"), "status"], capture_output=True, text=True).stdout
    return any(line.startswith("mongo") and "standin" in line for line in status.splitlines())


def stack_mongodb_port() -> int:
    """The stack's MongoDB port (``bin/stack``'s default unless STACK_MONGO_PORT says)."""
    return int(os.environ.get("STACK_MONGO_PORT", "57017"))


def heap_mb(products: int) -> int:
    """Java heap for ``products`` documents (about 2.5 KB each held, plus headroom)."""
    return max(1024, products // 250)


def start(port: int, products: int, log: Path) -> tuple[subprocess.Popen, str]:
    """Start an in-memory stand-in on ``port``; return it and its URL once it answers."""
    if not JAR.exists():
        raise SystemExit(f"{JAR} is missing: `bin/stack up` builds it")
    with log.open("w") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            ["java", f"-Xmx{heap_mb(products)}m", "-jar", str(JAR),
             "--host", "127.0.0.1", "--port", str(port), "--memory"],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    deadline = time.monotonic() + 60
    try:
        with pymongo.MongoClient(url, serverSelectionTimeoutMS=500) as client:
            while True:
                try:
                    client.admin.command("ping")
                    return process, url
                except pymongo.errors.PyMongoError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"the in-memory MongoDB stand-in did not start; see {log}") from None
                    time.sleep(0.2)
    except BaseException:  # not started, or interrupted: leave nothing running
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
        raise
