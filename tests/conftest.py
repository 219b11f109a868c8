from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.llm.embedded import EmbeddedBackend
from core.settings import PROJECT_ROOT, Settings
from voice.server import ServerThread


def make_settings(root: Path, **overrides: Any) -> Settings:
    """Settings isolated in `root`: its own data dir and a copy of the project's config."""
    config_dir = root / "config"
    if not config_dir.exists():
        shutil.copytree(PROJECT_ROOT / "config", config_dir)
    values: dict[str, Any] = {
        "data_dir": root / "data",
        "config_dir": config_dir,
        "backend": "embedded",
        "log_json": True,
        # Scoring loads torch (~8 s) and embeds the demo corpus: only the tests that need it.
        "quality_scoring": False,
        "seed_demo_data": False,
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def embedded_backend() -> Iterator[EmbeddedBackend]:
    """One embedded model for the whole run (one worker thread owns it, as in production)."""
    backend = EmbeddedBackend()
    asyncio.run(backend.start())
    yield backend
    asyncio.run(backend.close())


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, embedded_backend: EmbeddedBackend
) -> Iterator[ServerThread]:
    """The real server on a loopback port, answering with the embedded model."""
    settings = make_settings(tmp_path_factory.mktemp("server"))
    thread = ServerThread(settings, backend=embedded_backend).start()
    yield thread
    thread.stop()


def query_db(server: ServerThread, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows as the store has them once every queued write is committed."""
    server.call(server.services.writer.flush())
    with sqlite3.connect(server.settings.database_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]
