"""Everything a request handler needs, created once per process and shared by all handlers."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from core.engine.turn_engine import TurnEngine
from core.llm.base import LLMBackend
from core.model_settings import ModelSettingsManager
from core.persona import Persona
from core.quality.service import QualityService
from core.settings import Settings
from core.store.database import Database
from core.store.writer import StoreWriter


@dataclass
class Services:
    settings: Settings
    backend: LLMBackend
    model_settings: ModelSettingsManager
    persona: Persona
    database: Database
    writer: StoreWriter
    engine: TurnEngine
    quality: QualityService | None = None  # None when PETE_QUALITY_SCORING is off


SERVICES = web.AppKey("services", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]
