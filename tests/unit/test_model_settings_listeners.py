"""Model settings: listeners hear every change; a read-only config folder saves to the data dir."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.model_settings import ModelSettingsFile, ModelSettingsManager
from core.settings import PROJECT_ROOT


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "model_settings.json"
    shutil.copy(PROJECT_ROOT / "config" / "model_settings.json", path)
    return path


async def test_listeners_hear_updates_and_hand_edits(settings_file: Path):
    manager = ModelSettingsManager(settings_file)
    heard: list[tuple[str, str, str]] = []

    def listen(before: ModelSettingsFile, after: ModelSettingsFile, source: str) -> None:
        heard.append((before.default_model, after.default_model, source))

    manager.listeners.append(listen)
    await manager.update(lambda d: d.update(default_model="llama3.2:3b"), source="admin:abc")
    data = json.loads(settings_file.read_text())
    data["default_model"] = "smollm2:135m"
    settings_file.write_text(json.dumps(data))
    os.utime(settings_file, ns=(1, 10**18))
    assert manager.reload_if_changed()
    assert heard == [
        ("smollm2:135m", "llama3.2:3b", "admin:abc"),
        ("llama3.2:3b", "smollm2:135m", "file"),
    ]


async def test_a_failing_listener_does_not_undo_the_save(settings_file: Path):
    manager = ModelSettingsManager(settings_file)

    def broken(*_args: object) -> None:
        raise RuntimeError("listener bug")

    manager.listeners.append(broken)
    await manager.update(lambda d: d.update(default_model="llama3.2:3b"))
    assert json.loads(settings_file.read_text())["default_model"] == "llama3.2:3b"


def test_a_newer_data_dir_copy_is_the_one_read(settings_file: Path, tmp_path: Path):
    fallback = tmp_path / "data" / "model_settings.json"
    fallback.parent.mkdir()
    data = json.loads(settings_file.read_text())
    data["default_model"] = "llama3.2:3b"
    fallback.write_text(json.dumps(data))
    os.utime(settings_file, ns=(1, 10**18))
    os.utime(fallback, ns=(1, 2 * 10**18))
    manager = ModelSettingsManager(settings_file, fallback_path=fallback)
    assert manager.path == fallback and manager.current.default_model == "llama3.2:3b"
    os.utime(settings_file, ns=(1, 3 * 10**18))  # config edited (deployed) since: it wins
    assert ModelSettingsManager(settings_file, fallback_path=fallback).path == settings_file


_SAVE_AS_OTHER_USER = """
import asyncio, sys
from pathlib import Path
from core.model_settings import ModelSettingsManager
config, fallback = Path(sys.argv[1]), Path(sys.argv[2])
manager = ModelSettingsManager(config, fallback_path=fallback)
asyncio.run(manager.update(lambda d: d["models"]["smollm2:135m"].update(display_name="Saved")))
print(manager.path)
"""


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """Under /tmp, reachable by an unprivileged user (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="pete-readonly-"))
    path.chmod(0o755)
    yield path
    for folder in path.rglob("*"):
        if folder.is_dir():
            folder.chmod(0o755)
    shutil.rmtree(path)


def test_a_read_only_config_folder_saves_to_the_data_dir(shared_dir: Path):
    config = shared_dir / "config"
    data_dir = shared_dir / "data"
    config.mkdir()
    data_dir.mkdir()
    settings = config / "model_settings.json"
    shutil.copy(PROJECT_ROOT / "config" / "model_settings.json", settings)
    settings.chmod(0o444)
    config.chmod(0o555)
    data_dir.chmod(0o777)
    before = settings.read_text()
    command = [sys.executable, "-c", _SAVE_AS_OTHER_USER, str(settings), str(data_dir / "m.json")]
    if os.geteuid() == 0:  # root writes anywhere: save as an unprivileged user instead
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(data_dir / "m.json")
    assert settings.read_text() == before
    saved = json.loads((data_dir / "m.json").read_text())
    assert saved["models"]["smollm2:135m"]["display_name"] == "Saved"
    assert saved["default_model"] == "smollm2:135m"
    assert stat.S_ISREG((data_dir / "m.json").stat().st_mode)
    assert ModelSettingsManager(settings, fallback_path=data_dir / "m.json").path == (
        data_dir / "m.json"
    )
