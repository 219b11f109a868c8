"""`pete` as a user runs it: help text, and `pete serve` answering on a port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core.settings import PROJECT_ROOT

PETE = str(Path(sys.executable).parent / "pete")


def test_help_lists_commands():
    result = subprocess.run([PETE, "--help"], capture_output=True, text=True, check=True)
    assert "serve" in result.stdout
    serve = subprocess.run([PETE, "serve", "--help"], capture_output=True, text=True, check=True)
    assert "--backend" in serve.stdout and "--port" in serve.stdout


def test_serve_answers_then_stops_cleanly(tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    shutil.copytree(PROJECT_ROOT / "config", tmp_path / "config")
    env = {
        **os.environ,
        "PETE_DATA_DIR": str(tmp_path / "data"),
        "PETE_CONFIG_DIR": str(tmp_path / "config"),
        "OLLAMA_HOST": "127.0.0.1:9",
    }
    process = subprocess.Popen(
        [PETE, "serve", "--port", str(port), "--backend", "auto"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        for _ in range(300):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert health is not None, "pete serve did not answer"
        assert health["backend"] == "embedded" and health["database"] == "ok"
        reply = httpx.post(
            f"http://127.0.0.1:{port}/vapi/chat/completions",
            timeout=60,
            json={
                "messages": [{"role": "user", "content": "Hi"}],
                "stream": False,
                "max_tokens": 5,
            },
        )
        assert reply.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert '"backend_selected"' in err and '"no ollama server answered"' in err
    assert (tmp_path / "data" / "pete.db").exists()
