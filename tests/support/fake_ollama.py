"""A scripted stand-in for an Ollama server (the real one needs a GPU pod), speaking its wire
format: `/api/chat` NDJSON lines as recorded in protocols.md §6, `/api/create`, `/api/tags`,
`/api/ps`, `/api/delete`, `/api/version`. It records every request body it receives.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CREATED_AT = "2026-11-26T10:00:00.000000Z"


@dataclass
class ScriptedModel:
    tokens: list[str]
    token_delay_s: float = 0.0
    first_token_delay_s: float = 0.0
    disconnect_after: int | None = None  # drop the connection after this many tokens
    error_after: int | None = None  # send an {"error": ...} line after this many tokens
    # Sent after the tokens, in one line, as Ollama streams them when the request has `tools`:
    # [{"function": {"name": "...", "arguments": {...}}}] (arguments is an object).
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeOllama:
    models: dict[str, ScriptedModel] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)
    stopped_streams: int = 0
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in self.requests if p == path]

    async def start(self) -> FakeOllama:
        app = web.Application()
        app.router.add_get("/api/version", self._version)
        app.router.add_post("/api/chat", self._chat)
        app.router.add_post("/api/create", self._create)
        app.router.add_get("/api/tags", self._tags)
        app.router.add_get("/api/ps", self._ps)
        app.router.add_delete("/api/delete", self._delete)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _body(self, request: web.Request) -> dict[str, Any]:
        body = await request.json() if request.can_read_body else {}
        self.requests.append((request.path, body))
        return body

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.13.0"})

    def _missing(self, model: str) -> web.Response:
        return web.json_response({"error": f"model '{model}' not found"}, status=404)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        name = body.get("model", "")
        script = self.models.get(name)
        if script is None:
            return self._missing(name)
        if not body.get("messages"):  # an empty request loads or unloads the model
            unloading = body.get("keep_alive") == 0
            (self.loaded.discard if unloading else self.loaded.add)(name)
            return web.json_response(
                {
                    "model": name,
                    "created_at": CREATED_AT,
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "unload" if unloading else "load",
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        sent = 0
        try:
            await asyncio.sleep(script.first_token_delay_s)
            for token in script.tokens:
                if script.disconnect_after is not None and sent >= script.disconnect_after:
                    assert request.transport is not None
                    request.transport.close()
                    return response
                if script.error_after is not None and sent >= script.error_after:
                    await response.write(b'{"error":"model runner has unexpectedly stopped"}\n')
                    await response.write_eof()
                    return response
                line = {
                    "model": name,
                    "created_at": CREATED_AT,
                    "message": {"role": "assistant", "content": token},
                    "done": False,
                }
                await response.write(json.dumps(line).encode() + b"\n")
                sent += 1
                await asyncio.sleep(script.token_delay_s)
            if script.tool_calls:
                message = {"role": "assistant", "content": "", "tool_calls": script.tool_calls}
                line = {"model": name, "created_at": CREATED_AT, "message": message, "done": False}
                await response.write(json.dumps(line).encode() + b"\n")
        except (asyncio.CancelledError, ConnectionResetError):
            self.stopped_streams += 1
            raise
        final = {
            "model": name,
            "created_at": CREATED_AT,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": 4883583458,
            "load_duration": 1334875,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 342546000,
            "eval_count": sent,
            "eval_duration": 4535599000,
        }
        await response.write(json.dumps(final).encode() + b"\n")
        await response.write_eof()
        return response

    async def _create(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if not body.get("from") and not body.get("files"):
            return web.json_response(
                {"error": "neither 'from' or 'files' was specified"}, status=400
            )
        self.models[body["model"]] = ScriptedModel(tokens=["Created", " model", "."])
        return web.json_response({"status": "success"})

    async def _tags(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "models": [
                    {
                        "name": n,
                        "model": n,
                        "modified_at": CREATED_AT,
                        "size": 1,
                        "digest": "sha256:0",
                        "details": {"format": "gguf", "family": "llama"},
                    }
                    for n in sorted(self.models)
                ]
            }
        )

    async def _ps(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "models": [
                    {
                        "name": n,
                        "model": n,
                        "size": 1,
                        "digest": "sha256:0",
                        "details": {},
                        "expires_at": "2318-01-01T00:00:00Z",
                        "size_vram": 1,
                    }
                    for n in sorted(self.loaded)
                ]
            }
        )

    async def _delete(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if self.models.pop(body.get("model", ""), None) is None:
            return self._missing(body.get("model", ""))
        return web.json_response({})
