"""Training pages: versions with promote / roll back / diff, train, import and replay forms with
live job progress, and the turn-by-turn result of a replay."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from admin.state import admin_database
from admin.templating import render
from admin.training_api import JOBS
from core.categories import Categories
from training.config import load_training_config
from training.promotion import gate_failures
from training.version_diff import format_diff, load_diff
from training.versions import list_versions, promotions
from voice.services import services


async def training_page(request: web.Request) -> web.Response:
    svc = services(request)
    database = admin_database(request)
    config = load_training_config(svc.settings.config_dir)
    default = svc.model_settings.current.default_model
    versions = []
    for record in reversed(await list_versions(database.conn)):
        versions.append(
            {
                "label": record.label,
                "model_name": record.model_name,
                "created_at": record.created_at[:19].replace("T", " "),
                "bump": record.bump,
                "reason": record.reason,
                "pairs": len(record.spec.messages) // 2,
                "dataset_hash": record.dataset_hash[:12],
                "eval": record.eval,
                "gate": gate_failures(record.eval, config.promotion),
                "is_default": record.model_name == default,
                "listed": record.model_name in svc.model_settings.current.models,
            }
        )
    runs = await database.fetch_all(
        "SELECT id, model_name, version, selection, status, calls, turns, summary, started_at "
        "FROM replay_runs ORDER BY started_at DESC LIMIT 20"
    )
    for run in runs:
        run["summary"] = json.loads(run["summary"] or "{}")
    sources = await database.fetch_all("SELECT DISTINCT source FROM conversations ORDER BY 1")
    counts = await database.fetch_all(
        "SELECT split, COUNT(*) AS n FROM conversations GROUP BY split ORDER BY split"
    )
    return render(
        request,
        "training.html",
        title="Training",
        versions=versions,
        default_model=default,
        models=list(svc.model_settings.current.models),
        history=await promotions(database.conn, limit=15),
        runs=runs,
        jobs=[job.model_dump() for job in request.app[JOBS].list()],
        categories=Categories.load(svc.settings.config_dir).names,
        sources=[row["source"] for row in sources],
        corpus={row["split"]: row["n"] for row in counts},
        eval_limit=config.versioning.eval_limit,
    )


async def diff_page(request: web.Request) -> web.Response:
    a, b = request.query.get("a", ""), request.query.get("b", "")
    try:
        found = await load_diff(admin_database(request).conn, a, b)
    except LookupError as exc:
        return render(request, "not_found.html", status=404, title=str(exc.args[0]))
    return render(
        request,
        "training_diff.html",
        title=f"{found.a} → {found.b}",
        diff=found,
        text=format_diff(found),
    )


def _run_turns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        for side in ("original", "candidate"):
            row[f"{side}_violations"] = json.loads(row[f"{side}_violations"] or "[]")
    return rows


async def replay_page(request: web.Request) -> web.Response:
    database = admin_database(request)
    run_id = request.match_info["run_id"]
    runs = await database.fetch_all("SELECT * FROM replay_runs WHERE id = ?", (run_id,))
    if not runs:
        return render(request, "not_found.html", status=404, title="Replay not found")
    run = runs[0]
    run["summary"] = json.loads(run["summary"] or "{}")
    rows = await database.fetch_all(
        "SELECT * FROM replay_results WHERE run_id = ? ORDER BY call_id, turn_index", (run_id,)
    )
    return render(
        request,
        "training_replay.html",
        title=f"Replay {run_id}",
        run=run,
        turns=_run_turns(rows),
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/training", training_page)
    app.router.add_get("/admin/training/diff", diff_page)
    app.router.add_get("/admin/training/replays/{run_id}", replay_page)
