"""`/admin/api/training/*`: promote, roll back and diff versions (in this process, at once), and
start, follow or cancel train / import / replay jobs (child processes, see training_jobs.py).

Promote and rollback change the server's own model settings, so the next turn of every call
uses the new default; a version missing from the backend is created again from its spec.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, Field

from admin.guard import request_session
from admin.http import read_body, reject
from admin.settings_audit import admin_source
from admin.state import admin_database
from admin.training_jobs import JobBusy, JobRunner
from core.llm.base import BackendError
from core.llm.registration import register_models
from training.config import load_training_config
from training.promotion import PromotionRefused, promote, rollback
from training.store import open_store
from training.version_diff import load_diff
from voice.http_errors import json_error
from voice.services import SERVICES, Services, services

JOBS = web.AppKey("training_jobs", JobRunner)
UPLOAD_LIMIT_BYTES = 512 * 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_UPLOAD_TYPES = (".db", ".sqlite", ".sqlite3", ".csv", ".json", ".jsonl", ".ndjson")


class VersionChange(BaseModel):
    version: str | None = None
    force: bool = False


class TrainRequest(BaseModel):
    evaluate: bool = True
    eval_limit: int | None = Field(default=None, ge=0)
    promote: bool = False
    force: bool = False
    major: bool = False
    reason: str | None = Field(default=None, max_length=200)
    categories: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    since: str | None = None
    until: str | None = None
    min_score: float | None = Field(default=None, ge=0, le=100)


class ReplayRequest(BaseModel):
    calls: str = Field(min_length=1, max_length=2000)
    model: str = Field(min_length=1, max_length=200)
    similarity: bool = True


def _actor(request: web.Request) -> str:
    session = request_session(request)
    return admin_source(session.label if session else "unknown")


async def _change_default(request: web.Request, action: str) -> web.Response:
    body = await read_body(request, VersionChange)
    if isinstance(body, web.Response):
        return body
    if action == "promote" and not body.version:
        return reject(request, 400, "invalid_request", "version: name the version to promote")
    svc = services(request)
    config = load_training_config(svc.settings.config_dir)
    source = _actor(request)

    async def register() -> None:  # the version was not listed: this server registers it now

        await register_models(svc.backend, svc.model_settings, svc.database)

    try:
        async with open_store(svc.settings) as database:
            common: dict[str, Any] = {
                "config": config.promotion,
                "display_name": svc.persona.display_name,
                "source": source,
                "newly_listed": register,
            }
            if action == "promote":
                assert body.version is not None
                result = await promote(
                    database.conn,
                    svc.model_settings,
                    svc.backend,
                    body.version,
                    force=body.force,
                    **common,
                )
            else:
                result = await rollback(
                    database.conn, svc.model_settings, svc.backend, body.version, **common
                )
    except PromotionRefused as refused:
        status = 404 if str(refused).startswith("no version") else 409
        return web.json_response(
            {
                "error": {
                    "code": "promotion_refused",
                    "message": str(refused),
                    "failures": refused.failures,
                }
            },
            status=status,
        )
    except BackendError as exc:
        return json_error(503, exc.code, f"the backend could not create the model: {exc}")
    return web.json_response(
        {**result.model_dump(), "default_model": svc.model_settings.current.default_model}
    )


async def promote_version(request: web.Request) -> web.Response:
    return await _change_default(request, "promote")


async def rollback_version(request: web.Request) -> web.Response:
    return await _change_default(request, "rollback")


async def diff(request: web.Request) -> web.Response:
    a, b = request.query.get("a", ""), request.query.get("b", "")
    if not a or not b:
        return json_error(400, "invalid_request", "give two versions: ?a=v0.1.0&b=v0.2.0")
    try:
        found = await load_diff(admin_database(request).conn, a, b)
    except LookupError as exc:
        return json_error(404, "version_not_found", str(exc.args[0]))
    return web.json_response(found.model_dump(mode="json"))


def _runner(request: web.Request) -> JobRunner:
    return request.app[JOBS]


async def _start(
    request: web.Request, kind: Any, label: str, args: list[str], cleanup: Any = None
) -> web.Response:
    try:
        job = await _runner(request).start(kind, label, args, cleanup)
    except JobBusy as busy:
        if cleanup is not None:
            await asyncio.to_thread(cleanup.unlink, missing_ok=True)
        return json_error(409, "job_running", f"{busy}; wait for it or cancel it")
    return web.json_response({"job": job.model_dump()}, status=202)


async def start_train(request: web.Request) -> web.Response:
    body = await read_body(request, TrainRequest)
    if isinstance(body, web.Response):
        return body
    args = ["train"]
    if not body.evaluate:
        args.append("--no-eval")
    if body.eval_limit is not None:
        args += ["--eval-limit", str(body.eval_limit)]
    args += ["--promote"] if body.promote else []
    args += ["--force"] if body.force else []
    args += ["--major"] if body.major else []
    args += ["--reason", body.reason] if body.reason else []
    for category in body.categories:
        args += ["--category", category]
    for source in body.sources:
        args += ["--source", source]
    for flag, value in (("--since", body.since), ("--until", body.until)):
        if value:
            args += [flag, value]
    if body.min_score is not None:
        args += ["--min-score", str(body.min_score)]
    return await _start(request, "train", "train a new version", args)


async def start_replay(request: web.Request) -> web.Response:
    body = await read_body(request, ReplayRequest)
    if isinstance(body, web.Response):
        return body
    args = ["replay", "--calls", body.calls, "--model", body.model]
    args += [] if body.similarity else ["--no-similarity"]
    return await _start(request, "replay", f"replay {body.calls} with {body.model}", args)


async def start_import(request: web.Request) -> web.Response:
    """multipart/form-data: `file` (a seed pete.db, CSV, JSON or JSONL), or `logged_calls=1`;
    `second_opinion=0` to categorise by phrases only. Streamed to disk, never held in memory."""
    if not request.content_type.startswith("multipart/"):
        return reject(request, 400, "invalid_request", "send multipart/form-data with a file")
    svc = services(request)
    reader = await request.multipart()
    fields: dict[str, str] = {}
    saved = None
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):  # a nested multipart: not a form field
                continue
            if part.name == "file" and part.filename:
                saved = await _save_upload(svc, part)
            elif part.name:
                fields[part.name] = (await part.text())[:100]
    except _UploadRejected as refused:
        return reject(request, refused.status, refused.code, str(refused))
    args = ["import"]
    if fields.get("logged_calls") in ("1", "on", "true"):
        if saved is not None:
            await asyncio.to_thread(saved.unlink, missing_ok=True)
            return reject(request, 400, "invalid_request", "a file or logged_calls, not both")
        args.append("--logged-calls")
        label = "import the logged calls"
    elif saved is None:
        return reject(request, 400, "invalid_request", "file: choose a file to import")
    else:
        args.append(str(saved))
        label = f"import {saved.name.split('-', 1)[1]}"
    if fields.get("second_opinion") in ("0", "off", "false"):
        args.append("--no-second-opinion")
    return await _start(request, "import", label, args, cleanup=saved)


class _UploadRejected(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


async def _save_upload(svc: Services, part: Any) -> Path:
    name = _SAFE_NAME.sub("_", part.filename or "upload")[-80:]
    if not name.lower().endswith(_UPLOAD_TYPES):
        raise _UploadRejected(400, "unsupported_file", f"{name}: expected .db, .csv, .json, .jsonl")
    folder = svc.settings.data_dir / "uploads"
    path = folder / f"{uuid.uuid4().hex[:8]}-{name}"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    handle = await asyncio.to_thread(path.open, "wb")
    size = 0
    try:
        while chunk := await part.read_chunk(1024 * 1024):
            size += len(chunk)
            if size > UPLOAD_LIMIT_BYTES:
                raise _UploadRejected(413, "request_too_large", "the file is over 512 MiB")
            await asyncio.to_thread(handle.write, chunk)
    except BaseException:
        handle.close()
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    handle.close()
    return path


async def list_jobs(request: web.Request) -> web.Response:
    return web.json_response({"jobs": [job.model_dump() for job in _runner(request).list()]})


async def cancel_job(request: web.Request) -> web.Response:
    job_id = request.match_info["job_id"]
    if job_id not in _runner(request).jobs:
        return json_error(404, "job_not_found", f"no job {job_id}")
    if not _runner(request).cancel(job_id):
        return json_error(409, "job_not_running", f"job {job_id} is not running")
    return web.json_response({"cancelling": job_id}, status=202)


async def _jobs_lifecycle(app: web.Application) -> AsyncIterator[None]:
    app[JOBS] = JobRunner(app[SERVICES].settings)
    yield
    await app[JOBS].close()


def add_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(_jobs_lifecycle)
    app.router.add_post("/admin/api/training/promote", promote_version)
    app.router.add_post("/admin/api/training/rollback", rollback_version)
    app.router.add_get("/admin/api/training/diff", diff)
    app.router.add_post("/admin/api/training/train", start_train)
    app.router.add_post("/admin/api/training/replay", start_replay)
    app.router.add_post("/admin/api/training/import", start_import)
    app.router.add_get("/admin/api/training/jobs", list_jobs)
    app.router.add_post("/admin/api/training/jobs/{job_id}/cancel", cancel_job)
