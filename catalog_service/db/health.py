"""Which replicas may take reads: down marks with a cooldown, and sampled replay lag.

A replica that fails to connect is marked down for ``REPLICA_COOLDOWN_SECONDS``. The mark is
shared by every worker through Redis while Redis answers (so one worker's failed connect
spares the others the connect timeout), and kept per process otherwise. Replay lag is
sampled off the request path: a thread per replica and process samples it about once a second
over a connection of its own, bounded (connect timeout, then ``LAG_REPLY_TIMEOUT`` for the
answer), and requests read the last sample; a replica whose sample fails is marked down, and
one lagging more than ``MAX_REPLICA_LAG_SECONDS`` is left out until it catches up. Every change
of a replica's state is logged once, not once per request.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from django_redis import get_redis_connection

from catalog_service.db.bounded import BoundedConnection
from catalog_service.db.config import replica_aliases
from catalog_service.event_loop import in_event_loop

log = logging.getLogger("catalog_service.db.routing")

# Replay lag of a standby: zero when it streams and has replayed all it received, else the age
# of the last replayed transaction (after a quiet spell that age overstates the lag until
# replay catches up, which errs on the side of the primary). A standby whose WAL receiver is
# not streaming falls behind unseen, so its lag is that age too.
REPLICA_LAG_SQL = """
SELECT CASE
    WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')
        THEN COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""
LAG_SAMPLE_INTERVAL = 1.0
# The sampler gives a replica this long to answer its query once connected: a stuck replica
# then costs its sampler, never a request, a second, and is marked down.
LAG_REPLY_TIMEOUT = 1.0
SHARED_REFRESH_INTERVAL = 1.0
REDIS_RETRY_AFTER = 5.0

UP, DOWN, LAGGING = "up", "down", "lagging"


def _describe(error: BaseException | str) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}" if isinstance(error, BaseException) else first


@dataclass
class _Lag:
    sampled_at: float = float("-inf")
    seconds: float | None = None


class ReplicaHealth:
    """Down marks and lag samples of the replicas, for the router and /readyz."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_until: dict[str, float] = {}
        self._announced: dict[str, str] = {}
        self._lag: dict[str, _Lag] = {}
        self._samplers: dict[str, threading.Thread] = {}
        self._sampling = threading.Event()  # set (and replaced) to stop this set of samplers
        self._pid = os.getpid()
        self._shared: dict[str, float] = {}
        self._shared_read_at = float("-inf")
        self._redis_failed_at = float("-inf")

    # -- down marks ---------------------------------------------------------------------

    def mark_down(self, alias: str, error: BaseException | str) -> None:
        """Take ``alias`` out of rotation for the cooldown (shared through Redis if it answers)."""
        cooldown = settings.REPLICA_COOLDOWN_SECONDS
        until = time.time() + cooldown
        with self._lock:
            self._down_until[alias] = until
        self._announce(alias, DOWN, f"{_describe(error)}; reads fail over for {cooldown:g}s")
        self._redis("set", self._key(alias), f"{until:.3f}", ex=max(1, int(cooldown + 0.5)))

    def mark_up(self, alias: str) -> None:
        """Record that ``alias`` answered again (logged once, when it had been down)."""
        with self._lock:
            was_down = self._down_until.pop(alias, None) is not None
        if was_down:
            self._redis("delete", self._key(alias))
        self._announce(alias, UP, "answering again")

    def is_down(self, alias: str) -> bool:
        """Return True while ``alias`` is within a cooldown, by this process's or another's mark."""
        now = time.time()
        until = self._down_until.get(alias)
        if until is not None and until > now:
            return True
        shared = self._shared_marks(now).get(alias)
        if shared is not None and shared > now:
            with self._lock:
                self._down_until[alias] = shared
            return True
        return False

    def down_until(self, alias: str) -> float | None:
        """Return when ``alias``'s cooldown ends (epoch seconds), or None when it is not down."""
        return self._down_until.get(alias) if self.is_down(alias) else None

    # -- lag ----------------------------------------------------------------------------

    def lag(self, alias: str) -> float | None:
        """Return ``alias``'s replay lag in seconds as last sampled (about once a second, off the
        request path), or None before the first sample and when it could not be sampled."""
        self._ensure_sampler(alias)
        sample = self._lag.get(alias)
        return sample.seconds if sample is not None else None

    def is_lagging(self, alias: str) -> bool:
        """Return True while ``alias``'s replay lag exceeds ``MAX_REPLICA_LAG_SECONDS``."""
        lag = self.lag(alias)
        lagging = lag is not None and lag > settings.MAX_REPLICA_LAG_SECONDS
        if lagging:
            self._announce(alias, LAGGING, f"replay lag {lag:.1f}s; left out until it catches up")
        elif self._announced.get(alias) == LAGGING:
            self._announce(alias, UP, "caught up")
        return lagging

    def usable(self, alias: str) -> bool:
        """Return True when ``alias`` may take reads (not down, not lagging)."""
        if self.is_down(alias) or self.is_lagging(alias):
            return False
        return not self.is_down(alias)  # sampling the lag may just have found it down

    def status(self, alias: str) -> str:
        """Return ``alias``'s state as the router sees it: up, down or lagging."""
        if self.is_down(alias):
            return DOWN
        return LAGGING if self.is_lagging(alias) else UP

    def note_fallback(self, fell_back: bool) -> None:
        """Log once when reads start, and stop, falling back to the primary."""
        detail = "none usable; reads go to the primary" if fell_back else "reads go to replicas again"
        self._announce("replicas", DOWN if fell_back else UP, detail)

    def forget(self) -> None:
        """Drop every mark and sample of this process (tests)."""
        with self._lock:
            self._down_until.clear()
            self._announced.clear()
            self._lag.clear()
            self._shared.clear()
            self._shared_read_at = float("-inf")
            self._redis_failed_at = float("-inf")
            self._stop_samplers()

    # -- internals ----------------------------------------------------------------------

    def _announce(self, alias: str, state: str, detail: str) -> None:
        with self._lock:
            previous = self._announced.get(alias, UP)
            self._announced[alias] = state
        if previous != state:
            level = logging.INFO if state == UP else logging.WARNING
            fields = {"event": "database_state", "database": alias, "state": state, "previous": previous}
            log.log(level, "database %s is %s: %s", alias, state, detail.strip(), extra=fields)

    def _stop_samplers(self) -> None:
        """Ask this set of sampler threads to stop (each closes its connection as it ends, at
        most one bounded sample later); the next ``lag`` starts new ones. Under the lock."""
        self._sampling.set()
        self._sampling = threading.Event()
        self._samplers = {}

    def _ensure_sampler(self, alias: str) -> None:
        thread = self._samplers.get(alias)
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's threads did not come along
                self._pid = os.getpid()
                self._samplers = {}
            thread = self._samplers.get(alias)
            if thread is not None and thread.is_alive():
                return
            thread = threading.Thread(
                target=self._sample_forever, args=(alias, self._sampling), name=f"lag-{alias}", daemon=True
            )
            self._samplers[alias] = thread
            thread.start()  # under the lock: a caller that finds it in the dict finds it alive

    def _sample_forever(self, alias: str, stopped: threading.Event) -> None:
        """A sampler thread: sample ``alias``'s lag about once a second until ``stopped``."""
        conn: psycopg.Connection | None = None
        try:
            while not stopped.is_set():
                started = time.monotonic()
                try:
                    if conn is None or conn.closed:
                        conn = self.connect_for_lag(alias)
                    row = conn.execute(REPLICA_LAG_SQL).fetchone()
                    seconds: float | None = float(row[0])
                except psycopg.Error as exc:
                    if conn is not None:
                        with contextlib.suppress(psycopg.Error):
                            conn.close()
                    conn, seconds = None, None
                    if not stopped.is_set():
                        self.mark_down(alias, exc)
                if not stopped.is_set():
                    self._lag[alias] = _Lag(sampled_at=time.monotonic(), seconds=seconds)
                stopped.wait(max(0.0, LAG_SAMPLE_INTERVAL - (time.monotonic() - started)))
        finally:
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()

    def connect_for_lag(self, alias: str) -> BoundedConnection:
        """Open a connection to ``alias`` as its lag sampler does (autocommit, bounded replies)."""
        params = connections[alias].get_connection_params()
        params["application_name"] = f"{params.get('application_name', 'catalog')}-lag"
        params.pop("cursor_factory", None)
        params.pop("context", None)
        # prepare_threshold stays as Django sets it (None): a statement prepared in one
        # server session is missing in the next one PgBouncer hands out.
        conn = BoundedConnection.connect(**params, autocommit=True)
        conn.reply_timeout = LAG_REPLY_TIMEOUT
        return conn

    def _key(self, alias: str) -> str:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "catalog")
        return f"{prefix}:db:down:{alias}"

    def _shared_marks(self, now: float) -> dict[str, float]:
        if time.monotonic() - self._shared_read_at < SHARED_REFRESH_INTERVAL or in_event_loop():
            return self._shared
        self._shared_read_at = time.monotonic()
        aliases = replica_aliases(settings.DATABASES)
        values = self._redis("mget", [self._key(a) for a in aliases]) if aliases else None
        if values is not None:
            self._shared = {a: float(v) for a, v in zip(aliases, values, strict=True) if v is not None}
        return self._shared

    def _redis(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call Redis, or return None when it fails (then leave it alone for a few seconds)."""
        if time.monotonic() - self._redis_failed_at < REDIS_RETRY_AFTER or in_event_loop():
            return None
        try:
            return getattr(get_redis_connection("default"), method)(*args, **kwargs)
        except Exception as exc:  # Redis is an optimisation here; the marks stay per process
            self._redis_failed_at = time.monotonic()
            log.debug("replica health not shared through Redis: %s", exc)
            return None


replica_health = ReplicaHealth()
