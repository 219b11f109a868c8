"""Promote a version to default, or roll back to an earlier one, in one step.

The default model lives in model_settings.json, which the turn engine reads on every turn, so
a call in progress gets the new model on its next turn (a separate server process picks the
file change up within a second). A version whose model is missing from the backend is created
again from its stored spec first. Promotion can be gated on the version's eval results;
a rollback is not gated (the version served before).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import aiosqlite
from pydantic import BaseModel, Field

from core.llm.base import LLMBackend
from core.model_settings import ModelSettingsManager
from training.config import PromotionConfig
from training.store import transaction
from training.versions import (
    VersionRecord,
    find_version,
    list_versions,
    promotions,
    record_promotion,
)

BackendState = Literal["present", "recreated", "stored_spec", "not_a_version"]
NewlyListed = Callable[[], Awaitable[None]]
# A running server reads model_settings.json this often (voice/app.py) and then registers new
# entries; a separate process waits this long before making a just-listed version the default.
SERVER_SETTINGS_POLL_S = 1.0


async def let_servers_register() -> None:
    await asyncio.sleep(2 * SERVER_SETTINGS_POLL_S)


class PromotionRefused(Exception):
    def __init__(self, message: str, failures: list[str] | None = None):
        super().__init__(message)
        self.failures = failures or []


class PromotionResult(BaseModel):
    action: str
    model_name: str
    version: str | None
    previous_model: str
    forced: bool = False
    backend_state: BackendState
    gate_failures: list[str] = Field(default_factory=list)


def gate_failures(evaluation: dict[str, Any] | None, config: PromotionConfig) -> list[str]:
    if evaluation is None:
        return ["not evaluated (run `pete train` with eval)"] if config.require_eval else []
    failures = []
    if evaluation.get("errors"):
        failures.append(f"{evaluation['errors']} eval turns failed")
    if evaluation.get("pass_rate", 0) < config.min_pass_rate:
        failures.append(f"pass rate {evaluation.get('pass_rate'):.0%} < {config.min_pass_rate:.0%}")
    if evaluation.get("mean_jamie_score", 0) < config.min_mean_jamie_score:
        failures.append(
            f"mean Jamie score {evaluation.get('mean_jamie_score')} < {config.min_mean_jamie_score}"
        )
    recall = evaluation.get("emergency_recall")
    if recall is not None and recall < config.min_emergency_recall:
        failures.append(f"emergency recall {recall:.0%} < {config.min_emergency_recall:.0%}")
    return failures


def version_entry(record: VersionRecord, display_name: str) -> dict[str, Any]:
    """The model_settings.json entry of a version (options: the parameters the engine sends)."""
    return {
        "display_name": f"{display_name} {record.label}",
        "description": f"Trained version {record.label} ({record.bump}: {record.reason}); "
        f"{len(record.spec.messages) // 2} example pairs, dataset {record.dataset_hash[:12]}.",
        "base_model": record.spec.base_model,
        "show_in_ui": True,
        "auto_preload": False,
        "version": record.label,
        "version_key": record.version_key,
        "options": dict(record.spec.parameters),
    }


async def ensure_entry(
    model_settings: ModelSettingsManager, record: VersionRecord, display_name: str, source: str
) -> bool:
    """List the version in model_settings.json; True when it was not listed yet."""
    if record.model_name in model_settings.current.models:
        return False

    def add(data: dict[str, Any]) -> None:
        data["models"].setdefault(record.model_name, version_entry(record, display_name))

    await model_settings.update(add, source=source)
    return True


async def ensure_on_backend(backend: LLMBackend, record: VersionRecord) -> BackendState:
    if backend.name == "embedded":
        # It keeps nothing between runs: every embedded backend registers the stored spec.
        await backend.create(record.spec)
        return "stored_spec"
    names = set(await backend.list())
    if record.model_name in names or f"{record.model_name}:latest" in names:  # Ollama's tag
        return "present"
    await backend.create(record.spec)
    return "recreated"


async def _make_default(model_settings: ModelSettingsManager, name: str, source: str) -> str:
    previous = model_settings.current.default_model

    def switch(data: dict[str, Any]) -> None:
        models = data["models"]
        models[name]["auto_preload"] = True
        for other, entry in models.items():
            if other != name and entry.get("version_key"):
                entry["auto_preload"] = False  # one trained version kept loaded: the default
        data["default_model"] = name

    await model_settings.update(switch, source=source)
    return previous


async def promote(
    conn: aiosqlite.Connection,
    model_settings: ModelSettingsManager,
    backend: LLMBackend,
    ref: str,
    *,
    config: PromotionConfig,
    display_name: str,
    force: bool = False,
    action: Literal["promote", "rollback"] = "promote",
    source: str = "cli",
    newly_listed: NewlyListed | None = None,
) -> PromotionResult:
    """`newly_listed` runs when the version had to be added to the model list first: a server
    must register it (the embedded backend) before it becomes the default, or a turn in
    between would ask for a model the backend does not have yet."""
    record = await find_version(conn, ref)
    if record is None:
        raise PromotionRefused(f"no version {ref!r} (see `pete models versions`)")
    failures = gate_failures(record.eval, config) if action == "promote" else []
    if failures and not force:
        raise PromotionRefused(
            f"{record.label} does not pass the promotion gate: " + "; ".join(failures), failures
        )
    state = await ensure_on_backend(backend, record)
    if await ensure_entry(model_settings, record, display_name, source) and newly_listed:
        await newly_listed()
    previous = await _make_default(model_settings, record.model_name, source)
    async with transaction(conn):
        await record_promotion(
            conn,
            action=action,
            model_name=record.model_name,
            version=record.version,
            previous_model=previous,
            forced=bool(failures),
            source=source,
        )
    return PromotionResult(
        action=action,
        model_name=record.model_name,
        version=record.label,
        previous_model=previous,
        forced=bool(failures),
        backend_state=state,
        gate_failures=failures,
    )


async def rollback_target(conn: aiosqlite.Connection, current_default: str) -> str:
    """What served before the current default was promoted (so rolling back again goes further
    back), else the version numbered just below the current one."""
    for promotion in await promotions(conn, limit=1000):
        if promotion.action == "promote" and promotion.model_name == current_default:
            return promotion.previous_model
    versions = await list_versions(conn)
    names = [v.model_name for v in versions]
    if current_default in names and names.index(current_default) > 0:
        return versions[names.index(current_default) - 1].model_name
    raise PromotionRefused("nothing to roll back to: no earlier default is recorded")


async def rollback(
    conn: aiosqlite.Connection,
    model_settings: ModelSettingsManager,
    backend: LLMBackend,
    ref: str | None,
    *,
    config: PromotionConfig,
    display_name: str,
    source: str = "cli",
    newly_listed: NewlyListed | None = None,
) -> PromotionResult:
    target = ref or await rollback_target(conn, model_settings.current.default_model)
    if await find_version(conn, target) is not None:
        return await promote(
            conn,
            model_settings,
            backend,
            target,
            config=config,
            display_name=display_name,
            action="rollback",
            source=source,
            newly_listed=newly_listed,
        )
    if target not in model_settings.current.models:  # a base model that was removed since
        raise PromotionRefused(f"cannot roll back to {target!r}: it is not a version or a model")
    previous = await _make_default(model_settings, target, source)
    async with transaction(conn):
        await record_promotion(
            conn,
            action="rollback",
            model_name=target,
            version=None,
            previous_model=previous,
            forced=False,
            source=source,
        )
    return PromotionResult(
        action="rollback",
        model_name=target,
        version=None,
        previous_model=previous,
        backend_state="not_a_version",
    )
