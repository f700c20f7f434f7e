"""Routing state of the current unit of work, in context variables.

A request (or, outside requests, the current thread or task) carries one ``RoutingState``.
Context variables make it right under threads and in async views: each request gets its own
state object, and code run through ``sync_to_async`` shares the object (it is mutable), so a
write made in a thread is seen by the awaiting coroutine.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

Target = Literal["primary", "replica"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RoutingState:
    """What the router needs to know about the current unit of work."""

    #: The client wrote recently (the signed pinning cookie) or this request is unsafe.
    pinned: bool = False
    #: Something was written in this unit of work: later reads must see it.
    wrote: bool = False
    #: A write of this unit of work was committed (set on commit; a rollback never sets it).
    committed_write: bool = False
    #: The replica this unit of work reads from, once chosen (reads stay on one host).
    replica: str | None = None
    #: A request is being served, with its method (the primary-read guard watches those).
    in_request: bool = False
    safe_request: bool = False
    #: The router sent a read to the primary on purpose (no replica was usable).
    fell_back: bool = False


_state: ContextVar[RoutingState | None] = ContextVar("catalog_db_routing_state", default=None)
_forced: ContextVar[Target | None] = ContextVar("catalog_db_forced_target", default=None)


def current() -> RoutingState:
    """Return the current unit of work's state, creating it for this context if needed."""
    state = _state.get()
    if state is None:
        state = RoutingState()
        _state.set(state)
    return state


def forced() -> Target | None:
    """Return the target forced by ``use_primary``/``use_replica`` around this code, if any."""
    return _forced.get()


@contextmanager
def scope(state: RoutingState | None = None) -> Iterator[RoutingState]:
    """Run the block as a fresh unit of work (a request); the previous state returns after."""
    state = state or RoutingState()
    token = _state.set(state)
    try:
        yield state
    finally:
        _state.reset(token)


def reset() -> None:
    """Forget the current context's state (tests; long-running loops between jobs)."""
    _state.set(None)


class _Force:
    """Forces reads to ``target``: a context manager, and a decorator of sync or async functions."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._tokens: list[Any] = []

    def __enter__(self) -> None:
        self._tokens.append(_forced.set(self.target))

    def __exit__(self, *exc: object) -> None:
        _forced.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        target = self.target
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with _Force(target):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _Force(target):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def use_primary() -> _Force:
    """Send reads to the primary: ``with use_primary():`` or ``@use_primary()``."""
    return _Force("primary")


def use_replica() -> _Force:
    """Send reads to a replica even after a write: ``with use_replica():`` or ``@use_replica()``.

    For reads that tolerate lag (reports, exports); a replica that is down still fails over.
    """
    return _Force("replica")
