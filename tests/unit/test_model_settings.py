"""The model settings file: aliases, atomic saves that keep every field, hand edits reloaded."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from core.model_settings import ModelSettingsManager, UnknownModel
from core.settings import PROJECT_ROOT


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "model_settings.json"
    shutil.copy(PROJECT_ROOT / "config" / "model_settings.json", path)
    data = json.loads(path.read_text())
    data["maintainer_note"] = "kept across saves"
    data["models"]["smollm2:135m"]["custom_field"] = 42
    path.write_text(json.dumps(data))
    return path


def test_aliases_resolve_to_the_default(settings_file: Path):
    manager = ModelSettingsManager(settings_file, persona_names=("jamie",))
    assert manager.resolve("jamie") == manager.resolve("Default") == manager.resolve(None)
    assert manager.resolve("llama3.2:3b") == "llama3.2:3b"
    with pytest.raises(UnknownModel):
        manager.resolve("gpt-4o")


async def test_save_keeps_default_and_unknown_fields(settings_file: Path):
    manager = ModelSettingsManager(settings_file)

    def rename(data: dict) -> None:
        data["models"]["llama3.2:3b"]["display_name"] = "Jamie Large"

    await manager.update(rename)
    saved = json.loads(settings_file.read_text())
    assert saved["default_model"] == "smollm2:135m"
    assert saved["maintainer_note"] == "kept across saves"
    assert saved["models"]["smollm2:135m"]["custom_field"] == 42
    assert saved["models"]["llama3.2:3b"]["display_name"] == "Jamie Large"
    assert not [p for p in settings_file.parent.iterdir() if p.name.endswith(".tmp")]


async def test_concurrent_updates_lose_nothing(settings_file: Path):
    manager = ModelSettingsManager(settings_file)

    def set_description(name: str, text: str):
        def mutate(data: dict) -> None:
            data["models"][name]["description"] = text

        return mutate

    await asyncio.gather(
        manager.update(set_description("smollm2:135m", "first")),
        manager.update(set_description("llama3.2:3b", "second")),
    )
    saved = json.loads(settings_file.read_text())
    assert saved["models"]["smollm2:135m"]["description"] == "first"
    assert saved["models"]["llama3.2:3b"]["description"] == "second"


async def test_invalid_update_is_refused_and_file_untouched(settings_file: Path):
    manager = ModelSettingsManager(settings_file)
    before = settings_file.read_text()

    def break_default(data: dict) -> None:
        data["default_model"] = "missing"

    with pytest.raises(ValueError, match="not in models"):
        await manager.update(break_default)
    assert settings_file.read_text() == before
    assert manager.current.default_model == "smollm2:135m"


def test_hand_edit_is_reloaded_and_a_broken_one_ignored(settings_file: Path):
    manager = ModelSettingsManager(settings_file)
    data = json.loads(settings_file.read_text())
    data["default_model"] = "llama3.2:3b"
    settings_file.write_text(json.dumps(data))
    os.utime(settings_file, ns=(1, 10**18))
    assert manager.reload_if_changed()
    assert manager.resolve("default") == "llama3.2:3b"

    settings_file.write_text("{ not json")
    os.utime(settings_file, ns=(1, 2 * 10**18))
    assert not manager.reload_if_changed()
    assert manager.resolve("default") == "llama3.2:3b"
