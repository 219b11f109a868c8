"""The first-token deadline: while the backend is silent, hand out filler lines to speak.

Waiting never cancels the backend's pending read: it runs as its own task and each deadline
only wakes the waiter. After `give_up_s` without a token the stream is cancelled and the turn
fails with `FirstTokenTimeout` (the caller then hears the apology).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from core.llm.base import BackendError, Token
from core.spoken_lines import SpokenLines

_END = Token(done=True, finish_reason="stop")


class FirstTokenTimeout(BackendError):
    code = "first_token_timeout"


@dataclass(frozen=True)
class FallbackPolicy:
    """What a speaking channel does when the backend is slow or fails."""

    deadline_s: float
    give_up_s: float
    fillers: tuple[str, ...]
    apology: str

    @classmethod
    def from_lines(
        cls, lines: SpokenLines, deadline_ms: int = 1500, give_up_ms: int = 8000
    ) -> FallbackPolicy:
        return cls(deadline_ms / 1000, give_up_ms / 1000, lines.fillers, lines.apology)


class FirstTokenWait:
    def __init__(self, stream: AsyncIterator[Token], policy: FallbackPolicy):
        self._stream = stream
        self._policy = policy
        self.first: Token | None = None

    async def _next(self) -> Token:
        return await anext(self._stream, _END)

    async def fillers(self) -> AsyncGenerator[str, None]:
        """Yields a filler at each deadline; on return `first` holds the first token.

        Raises the backend's error, or `FirstTokenTimeout` after `give_up_s`.
        """
        policy = self._policy
        loop = asyncio.get_running_loop()
        started = loop.time()
        pending = asyncio.ensure_future(self._next())
        try:
            for attempt in range(1, 1_000_000):
                wake_at = min(attempt * policy.deadline_s, policy.give_up_s)
                await asyncio.wait((pending,), timeout=max(0.0, started + wake_at - loop.time()))
                if pending.done():
                    self.first = pending.result()
                    return
                if wake_at >= policy.give_up_s:
                    raise FirstTokenTimeout(
                        f"no token from the backend within {policy.give_up_s:.1f} s"
                    )
                if attempt <= len(policy.fillers):
                    yield policy.fillers[attempt - 1]
        finally:
            if not pending.done():
                pending.cancel()
                # The read must be over before the stream can be closed.
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending
            elif not pending.cancelled():
                pending.exception()  # mark a late error as seen: the turn is over anyway
