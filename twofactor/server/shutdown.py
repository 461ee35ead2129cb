"""Graceful shutdown: open WebSockets close with 1001 (going away) before the server stops.

uvicorn, on SIGTERM or SIGINT, stops accepting connections, lets in-flight requests finish
(up to SHUTDOWN_TIMEOUT), closes WebSockets with 1012 and then runs the lifespan's shutdown (the
mail worker finishes its sends there). A client told 1001 reconnects at once, to another
process behind the load balancer; so the served app closes its sockets itself first, then
hands the signal on to uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Final, Protocol

log = logging.getLogger("twofactor")

# The WebSocket close code for "the server is going away": clients reconnect.
GOING_AWAY: Final = 1001
# uvicorn's timeout_graceful_shutdown: in-flight requests have this long to finish at shutdown.
SHUTDOWN_TIMEOUT: Final = 30
# Closing every WebSocket is given this long before uvicorn takes over.
CLOSE_TIMEOUT: Final = 5.0
_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


class Closable(Protocol):
    async def close(self, code: int, reason: str) -> None: ...


class OpenSockets:
    """The WebSocket connections this process serves, so that shutdown can close them."""

    def __init__(self) -> None:
        self._open: set[Closable] = set()
        self.closing = False

    def __len__(self) -> int:
        return len(self._open)

    def add(self, socket: Closable) -> None:
        """A socket accepted (its handler runs)."""
        self._open.add(socket)

    def discard(self, socket: Closable) -> None:
        """A socket ended."""
        self._open.discard(socket)

    async def close_all(self, code: int = GOING_AWAY, reason: str = "Server shutting down") -> None:
        """Close every open socket with `code` (each one's handler then ends its subscriptions)."""
        self.closing = True
        sockets = list(self._open)
        if sockets:
            log.info("closing %d WebSocket(s): the server is going away", len(sockets))
        results = await asyncio.gather(*(s.close(code=code, reason=reason) for s in sockets), return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.debug("a WebSocket could not be closed cleanly: %s", type(result).__name__)


Handler = Callable[[int, FrameType | None], Any] | int | None


def close_sockets_before_exit(sockets: OpenSockets) -> Callable[[], None]:
    """Put a handler before the server's for SIGINT and SIGTERM: it closes `sockets` with 1001,
    then calls the server's (a second signal goes straight to it). Returns what undoes this.

    Call it from the running server's lifespan (uvicorn has installed its handlers by then).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Handler] = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    pending: set[asyncio.Task[None]] = set()

    def hand_on(sig: int, frame: FrameType | None) -> None:
        handler = previous[sig]
        if callable(handler):
            handler(sig, frame)
        else:  # the default action (or none): as if we had never been here
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            signal.raise_signal(sig)

    async def close_then_hand_on(sig: int, frame: FrameType | None) -> None:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await sockets.close_all()
        except TimeoutError:
            log.warning("WebSockets still closing after %.0f s; stopping anyway", CLOSE_TIMEOUT)
        finally:
            hand_on(sig, frame)

    def on_signal(sig: int, frame: FrameType | None) -> None:
        if sockets.closing:
            hand_on(sig, frame)
            return
        sockets.closing = True

        def start() -> None:
            task = loop.create_task(close_then_hand_on(sig, frame))
            pending.add(task)
            task.add_done_callback(pending.discard)

        loop.call_soon_threadsafe(start)

    for sig in _SIGNALS:
        signal.signal(sig, on_signal)

    def undo() -> None:
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                if signal.getsignal(sig) is on_signal:
                    signal.signal(sig, handler if handler is not None else signal.SIG_DFL)

    return undo
