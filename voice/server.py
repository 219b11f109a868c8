"""Run the app on a socket: in the foreground (`pete serve`) or on a thread (tests, benches)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from aiohttp import web

from admin.login import login_banner
from core.llm.base import LLMBackend
from core.settings import Settings
from voice.app import create_app
from voice.services import SERVICES, Services


async def start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    # handler_cancellation: a caller hanging up cancels its handler, which stops generation.
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    assert server is not None
    bound_port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    return runner, bound_port


async def serve_forever(settings: Settings) -> None:
    app = create_app(settings)
    runner, port = await start_site(app, settings.host, settings.port)
    print(f"PeteOllama listening on http://{settings.host}:{port}", flush=True)
    for line in login_banner(app, settings, port):
        print(line, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


@dataclass
class ServerThread:
    """The real server on a loopback port, driven from a thread with its own event loop."""

    settings: Settings
    backend: LLMBackend | None = None
    port: int = 0
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    _app: web.Application | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def services(self) -> Services:
        assert self._app is not None
        return self._app[SERVICES]

    def start(self) -> ServerThread:
        ready = threading.Event()
        failure: list[BaseException] = []

        async def boot() -> None:
            try:
                self._app = create_app(self.settings, self.backend)
                self._runner, self.port = await start_site(self._app, "127.0.0.1", 0)
            except BaseException as exc:
                failure.append(exc)
            finally:
                ready.set()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.create_task(boot())
            self.loop.run_forever()

        self._thread = threading.Thread(target=run, name="pete-server", daemon=True)
        self._thread.start()
        ready.wait(120)
        if failure:
            raise failure[0]
        return self

    def call(self, coro, timeout: float = 60.0):  # type: ignore[no-untyped-def]
        """Run a coroutine on the server's loop (e.g. flush the store writer) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self._runner is not None:
            self.call(self._runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(30)
        self.loop.close()
