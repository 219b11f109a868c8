"""Make the configured models servable: the embedded backend serves only what it was given.

Ollama already has its models. On the embedded backend each entry of the model settings is
registered, a trained version (its entry has a `version_key`) with its stored spec, example
pairs included.
"""

from __future__ import annotations

from core.llm.base import BackendError, LLMBackend, ModelSpec
from core.logging import get_logger
from core.model_settings import ModelSettingsManager
from core.store.database import Database
from core.store.model_specs import stored_specs

log = get_logger(__name__)


async def register_models(
    backend: LLMBackend, model_settings: ModelSettingsManager, database: Database
) -> None:
    if backend.name != "embedded":
        return
    known = set(await backend.list())
    specs = await stored_specs(database.conn)
    for name, entry in model_settings.current.models.items():
        if name in known:
            continue
        spec = specs.get(name)
        if spec is None and (entry.model_extra or {}).get("version_key"):
            log.warning("trained_version_without_spec", model=name)
            continue
        try:
            await backend.create(
                spec.model_copy(update={"name": name})
                if spec is not None
                else ModelSpec(name=name, base_model=entry.base_model, parameters=entry.options)
            )
        except BackendError as exc:
            log.info("model_not_servable_here", model=name, backend=backend.name, reason=str(exc))
