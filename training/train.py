"""`pete train`: dataset -> example pairs -> spec -> a new version, only when the key changed.

Units of work, each committed whole: the dataset; the spec (stored, then created on the
backend); the eval; the version row (with its eval) and its model_settings entry. Interrupted
half-way, the store holds whole units and the next run carries on from what is there.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.categories import Categories
from core.clock import utc_now_iso
from core.llm.base import LLMBackend, ModelSpec
from core.llm.selection import open_backend
from core.model_settings import ModelSettingsManager
from core.persona import Persona, load_persona
from core.quality.checks import ReplyChecker
from core.quality.rules import load_rules
from core.quality.service import safety_sentence_lookup
from core.settings import Settings
from training.config import TrainingConfig, VersioningConfig, load_training_config
from training.datasets import Dataset, DatasetBuilder, DatasetFilters, load_dataset, save_dataset
from training.examples import select_examples
from training.model_spec import build_spec, model_name, to_modelfile, version_key
from training.progress import Progress
from training.promotion import (
    NewlyListed,
    PromotionRefused,
    PromotionResult,
    ensure_entry,
    let_servers_register,
    promote,
    version_entry,
)
from training.semver import Bump, next_version
from training.store import open_store, transaction
from training.version_diff import VersionDiff, diff_versions
from training.versions import (
    VersionRecord,
    find_by_key,
    insert_version,
    list_versions,
    save_spec,
)

SOURCE = "training"


class TrainingError(Exception):
    pass


class TrainOptions(BaseModel):
    dataset_name: str = "default"
    filters: DatasetFilters = Field(default_factory=DatasetFilters)
    base_model: str | None = None
    major: bool = False
    evaluate: bool = True
    eval_limit: int | None = None  # None: config/training.toml
    promote: bool = False
    force_promote: bool = False
    reason: str | None = None


class DatasetSummary(BaseModel):
    id: int | None
    name: str
    content_hash: str
    conversations: int
    exchanges: int
    corrections: int


class TrainResult(BaseModel):
    status: Literal["created", "unchanged"]
    version: str
    model_name: str
    version_key: str
    bump: Bump | None = None
    reason: str = ""
    previous: str | None = None
    dataset: DatasetSummary
    examples: int
    eval: dict[str, Any] | None = None
    promotion: PromotionResult | None = None
    gate_failures: list[str] = Field(default_factory=list)
    diff: VersionDiff | None = None
    modelfile_path: str | None = None


def keep_words(persona: Persona) -> list[str]:
    """Names PII scrubbing must leave alone: Jamie's and the company's."""
    return [persona.name, persona.display_name, persona.company]


def _summary(dataset: Dataset) -> DatasetSummary:
    return DatasetSummary(
        id=dataset.id,
        name=dataset.name,
        content_hash=dataset.content_hash,
        conversations=dataset.conversations,
        exchanges=dataset.exchanges,
        corrections=dataset.corrections,
    )


def choose_bump(
    latest: VersionRecord | None,
    evaluation: dict[str, Any] | None,
    versions: list[VersionRecord],
    config: VersioningConfig,
    major: bool,
) -> Bump:
    if major:
        return "major"
    if latest is None:
        return "first"
    previous_eval = next((v.eval for v in reversed(versions) if v.eval), None)
    if evaluation and previous_eval:
        score_gain = evaluation["mean_jamie_score"] - previous_eval["mean_jamie_score"]
        pass_gain = evaluation["pass_rate"] - previous_eval["pass_rate"]
        if (
            score_gain >= config.minor_margin_mean_jamie_score
            or pass_gain >= config.minor_margin_pass_rate
        ):
            return "minor"
    return "patch"


def what_changed(latest: VersionRecord | None, spec: ModelSpec, dataset: Dataset) -> str:
    if latest is None:
        return "first version"
    changes = []
    if latest.dataset_hash != dataset.content_hash:
        changes.append("new data")
    if latest.spec.base_model != spec.base_model:
        changes.append(f"base model {spec.base_model}")
    if latest.spec.system != spec.system:
        changes.append("prompt")
    if latest.spec.parameters != spec.parameters:
        changes.append("parameters")
    if latest.spec.messages != spec.messages:
        changes.append("example pairs")
    return ", ".join(changes) or "rebuilt"


async def evaluate_candidate(
    settings: Settings, spec: ModelSpec, entry: dict[str, Any], limit: int | None, bar: bool
) -> dict[str, Any]:
    """`pete eval` on the candidate, with the candidate listed in a private copy of the config:
    the admin's model list only gets a version once it is recorded."""
    from training.evaluation import run_eval

    manager = ModelSettingsManager(
        settings.model_settings_path, fallback_path=settings.model_settings_fallback_path
    )
    data = manager.current.model_dump(mode="json")
    data["models"][spec.name] = entry
    with tempfile.TemporaryDirectory(prefix="pete-eval-") as tmp:
        config_copy = Path(tmp) / "config"
        shutil.copytree(settings.config_dir, config_copy)
        (config_copy / "model_settings.json").write_text(json.dumps(data, indent=2))
        report = await run_eval(
            settings.model_copy(update={"config_dir": config_copy}),
            model=spec.name,
            split="held_out",
            limit=limit or None,
            progress=bar,
        )
    return {**report.model_dump(), "limit": limit or None}


def _base_model(
    options: TrainOptions, config: TrainingConfig, manager: ModelSettingsManager
) -> str:
    if options.base_model:
        return options.base_model
    if config.base_model:
        return config.base_model
    return manager.entry(manager.current.default_model).base_model


def dataset_builder(settings: Settings, persona: Persona, categories: Categories) -> DatasetBuilder:
    checker = ReplyChecker(load_rules(settings.quality_dir, persona.name), persona.instructions)
    return DatasetBuilder(
        checker=checker,
        categories=categories,
        safety_sentence_for=safety_sentence_lookup(categories.emergencies),
        keep_words=keep_words(persona),
    )


async def build_and_save(settings: Settings, name: str, filters: DatasetFilters) -> Dataset:
    persona = load_persona(settings.personas_dir, settings.persona)
    builder = dataset_builder(settings, persona, Categories.load(settings.config_dir))
    async with open_store(settings) as database:
        dataset = await builder.build(database.conn, name, filters)
        return await save_dataset(database.conn, dataset)


async def list_datasets(settings: Settings) -> list[dict[str, Any]]:
    async with open_store(settings) as database:
        return await database.fetch_all(
            "SELECT id, name, content_hash, conversations, exchanges, corrections, created_at "
            "FROM datasets ORDER BY id"
        )


async def train(
    settings: Settings,
    options: TrainOptions,
    *,
    backend: LLMBackend | None = None,
    progress: Progress | None = None,
    newly_listed: NewlyListed | None = let_servers_register,
) -> TrainResult:
    """`newly_listed`: what to do before promoting a version that was just listed (by default,
    give a running server time to register it; see training.promotion)."""
    progress = progress or Progress()
    config = load_training_config(settings.config_dir)
    persona = load_persona(settings.personas_dir, settings.persona)
    categories = Categories.load(settings.config_dir)
    manager = ModelSettingsManager(
        settings.model_settings_path,
        persona_names=(persona.name,),
        fallback_path=settings.model_settings_fallback_path,
    )
    builder = dataset_builder(settings, persona, categories)
    async with open_store(settings) as database:
        conn = database.conn
        progress.stage("dataset", 1)
        dataset = await builder.build(conn, options.dataset_name, options.filters)
        progress.step()
        if not dataset.items:
            raise TrainingError(
                "the dataset is empty: import conversations (`pete import`, `pete demo-data`) "
                "or loosen the filters"
            )
        examples = select_examples(dataset.items, config.examples, categories)
        spec = build_spec(
            persona, _base_model(options, config, manager), config.parameters, examples
        )
        key = version_key(spec, dataset.content_hash)
        existing = await find_by_key(conn, key)
        if existing is not None:
            await ensure_entry(manager, existing, persona.display_name, SOURCE)
            stored = await load_dataset(conn, existing.dataset_id) if existing.dataset_id else None
            return TrainResult(
                status="unchanged",
                version=existing.label,
                model_name=existing.model_name,
                version_key=key,
                dataset=_summary(stored or dataset),
                examples=len(existing.spec.messages) // 2,
                eval=existing.eval,
            )
        dataset = await save_dataset(conn, dataset)
        spec = spec.model_copy(update={"name": model_name(config.model_prefix, key)})

        progress.stage("creating", 1)
        async with transaction(conn):
            await save_spec(conn, spec, key)
        own_backend = backend is None
        backend = backend or await open_backend(settings, load_weights=False)
        try:
            await backend.create(spec)
        finally:
            if own_backend:
                await backend.close()
        progress.step()

        versions = await list_versions(conn)
        latest = versions[-1] if versions else None
        draft = VersionRecord(
            version="0.0.0",
            model_name=spec.name,
            version_key=key,
            dataset_id=dataset.id,
            dataset_hash=dataset.content_hash,
            bump="patch",
            reason=options.reason or what_changed(latest, spec, dataset),
            eval=None,
            backend=backend.name,
            spec=spec,
            modelfile="",
            created_at=utc_now_iso(),
        )
        evaluation = None
        if options.evaluate:
            progress.stage("evaluating")
            limit = (
                options.eval_limit
                if options.eval_limit is not None
                else config.versioning.eval_limit
            )
            evaluation = await evaluate_candidate(
                settings,
                spec,
                version_entry(draft, persona.display_name),
                limit,
                progress.mode in ("bar", "json"),  # the admin reads the eval bar too
            )
        bump = choose_bump(latest, evaluation, versions, config.versioning, options.major)
        number = next_version(latest.semver if latest else None, bump)
        header = [
            f"{persona.display_name} v{number} ({bump}: {draft.reason})",
            f"model {spec.name}, version key {key}, created {draft.created_at}",
            f"dataset {dataset.name} {dataset.content_hash[:12]}: {dataset.conversations} "
            f"conversations, {dataset.exchanges} exchanges, {dataset.corrections} corrections",
            "example pairs are PII-scrubbed; the backend got the structured create call",
        ]
        record = draft.model_copy(
            update={
                "version": str(number),
                "bump": bump,
                "eval": evaluation,
                "modelfile": to_modelfile(spec, header),
            }
        )
        progress.stage("recording", 1)
        async with transaction(conn):
            await insert_version(conn, record)
        modelfile_path = settings.data_dir / "models" / f"{spec.name}.Modelfile"
        modelfile_path.parent.mkdir(parents=True, exist_ok=True)
        modelfile_path.write_text(record.modelfile)
        listed = await ensure_entry(manager, record, persona.display_name, SOURCE)
        progress.step()

        result = TrainResult(
            status="created",
            version=record.label,
            model_name=record.model_name,
            version_key=key,
            bump=bump,
            reason=record.reason,
            previous=latest.label if latest else None,
            dataset=_summary(dataset),
            examples=len(examples),
            eval=evaluation,
            modelfile_path=str(modelfile_path),
        )
        if latest is not None:
            previous_dataset = (
                await load_dataset(conn, latest.dataset_id) if latest.dataset_id else None
            )
            result.diff = diff_versions(latest, record, previous_dataset, dataset)
        if options.promote:
            if listed and newly_listed is not None:
                await newly_listed()
            promotion_backend = (
                await open_backend(settings, load_weights=False) if own_backend else backend
            )
            try:
                result.promotion = await promote(
                    conn,
                    manager,
                    promotion_backend,
                    record.version,
                    config=config.promotion,
                    display_name=persona.display_name,
                    force=options.force_promote,
                    source=SOURCE,
                )
                result.gate_failures = result.promotion.gate_failures
            except PromotionRefused as refused:
                result.gate_failures = refused.failures
            finally:
                if own_backend:
                    await promotion_backend.close()
        return result
