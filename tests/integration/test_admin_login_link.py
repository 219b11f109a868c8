"""`pete serve` creates the admin token (mode 0600) and prints a login link that works once."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from core.settings import PROJECT_ROOT

PETE = str(Path(sys.executable).parent / "pete")


def test_first_serve_creates_the_token_and_prints_a_one_time_login_link(tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    shutil.copytree(PROJECT_ROOT / "config", tmp_path / "config")
    env = {key: value for key, value in os.environ.items() if key != "PETE_ADMIN_TOKEN"} | {
        "PETE_DATA_DIR": str(tmp_path / "data"),
        "PETE_CONFIG_DIR": str(tmp_path / "config"),
        "PETE_QUALITY_SCORING": "false",
        "PETE_SEED_DEMO_DATA": "false",
    }
    process = subprocess.Popen(
        [PETE, "serve", "--port", str(port), "--backend", "embedded"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()
    try:
        printed = []
        while not any("login link" in line for line in printed):
            printed.append(lines.get(timeout=120))
        token_file = tmp_path / "data" / "admin_token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        assert any(f"Admin token created in {token_file}" in line for line in printed)
        assert not any(token in line for line in printed), "the token itself is never printed"
        link = next(line for line in printed if "login link" in line).split()[-1]
        assert link.startswith(f"http://127.0.0.1:{port}/admin/login?code=")

        with httpx.Client(follow_redirects=False, timeout=30) as browser:
            entered = browser.get(link)
            assert entered.status_code == 303 and entered.headers["location"] == "/admin"
            assert browser.get(f"http://127.0.0.1:{port}/admin/api/settings").status_code == 200
        with httpx.Client(follow_redirects=False, timeout=30) as second:
            assert second.get(link).status_code == 401  # used once already
            login = second.post(
                f"http://127.0.0.1:{port}/admin/login", data={"token": token, "next": "/ui"}
            )
            assert login.status_code == 303 and login.headers["location"] == "/ui"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0
