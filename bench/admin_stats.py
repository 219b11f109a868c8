"""How long the stats and benchmark pages take with many stored turns.

    .venv/bin/python bench/admin_stats.py [--turns 20000] [--runs 20]

Seeds a fresh database with `--turns` turns over the last 7 days (3 models, 70% of turns
scored), starts `pete serve` on it, logs in, and times each stats endpoint `--runs` times,
printing p50/p95 in milliseconds. The figures are computed from every turn in the window on
each request (no cache), so they grow with the number of turns; the work is done inside
SQLite (on the admin pages' own read connection), and a second client polling `/vapi/models`
(answered from memory, as a call's turn starts) meanwhile shows how much the event loop that
serves the calls is held up, compared with the same polling while the server is idle.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import pendulum

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.stats import percentile  # noqa: E402
from core.store.database import connect, migrate  # noqa: E402

TOKEN = "bench-admin-token"
MODELS = ("smollm2:135m", "llama3.2:3b", "jamie-v2")
ENDPOINTS = (
    "/admin/api/stats?window=7d",
    "/admin/stats?window=7d",
    "/admin/benchmarks?window=7d",
    "/admin/api/benchmarks.csv?window=7d",
)


async def create_schema(path: Path) -> None:
    conn = await connect(path)
    await migrate(conn)
    await conn.close()


def seed(path: Path, turns: int) -> None:
    rng = random.Random(7)
    now = pendulum.now("UTC")
    calls, turn_rows, scores = [], [], []
    for index in range(turns):
        if index % 4 == 0:
            call_id = f"bench-{uuid.uuid4().hex}"
            started = now.subtract(seconds=rng.uniform(0, 7 * 86400)).to_iso8601_string()
            calls.append((call_id, "vapi", started, started))
        uid = uuid.uuid4().hex
        ttft = rng.lognormvariate(5, 0.4)
        turn_rows.append(
            (
                uid,
                call_id,
                index % 4,
                "vapi",
                "jamie",
                rng.choice(MODELS),
                None,
                "bench",
                "My sink leaks.",
                "I will send someone today.",
                started,
                ttft,
                ttft + 1,
                ttft + rng.uniform(300, 1500),
                rng.randint(10, 60),
                int(rng.random() < 0.05),
                "stop",
                None,
            )
        )
        if rng.random() < 0.7:
            scores.append(
                (uid, int(rng.random() < 0.8), rng.uniform(0.3, 1), "[]", "{}", None, started)
            )
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO calls (id, channel, started_at, last_activity_at) VALUES (?, ?, ?, ?)",
            calls,
        )
        conn.executemany(
            "INSERT INTO turns (uid, call_id, turn_index, channel, persona, model, model_version, "
            "backend, user_text, reply_text, started_at, ttft_ms, first_byte_out_ms, total_ms, "
            "tokens, interrupted, finish_reason, error) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            turn_rows,
        )
        conn.executemany("INSERT INTO turn_scores VALUES (?, ?, ?, ?, ?, ?, ?)", scores)


def probe(base: str, stop: threading.Event) -> list[float]:
    """`/vapi/models` round trips (ms) until `stop` is set, one every 20 ms."""
    times: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            start = time.perf_counter()
            client.get("/vapi/models").raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
            time.sleep(0.02)
    return times


def probed(base: str, work) -> list[float]:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    result: list[list[float]] = []
    thread = threading.Thread(target=lambda: result.append(probe(base, stop)))
    thread.start()
    try:
        work()
    finally:
        stop.set()
        thread.join()
    return result[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pete-bench-admin-"))
    shutil.copytree(ROOT / "config", workdir / "config")
    database = workdir / "data" / "pete.db"
    asyncio.run(create_schema(database))
    seed(database, args.turns)
    port = free_port()
    env = {
        **os.environ,
        "PETE_DATA_DIR": str(workdir / "data"),
        "PETE_CONFIG_DIR": str(workdir / "config"),
        "PETE_ADMIN_TOKEN": TOKEN,
        "PETE_QUALITY_SCORING": "false",
        "PETE_SEED_DEMO_DATA": "false",
        "PETE_LOG_LEVEL": "WARNING",
    }
    pete = str(Path(sys.executable).parent / "pete")
    server = subprocess.Popen(
        [pete, "serve", "--port", str(port), "--backend", "embedded"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            for _ in range(300):
                try:
                    client.get("/health")
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            time.sleep(3)  # let the start-up preload and warm-up finish
            login = client.post("/admin/login", data={"token": TOKEN, "next": "/admin"})
            assert login.status_code == 303, login.text
            print(f"{args.turns} turns over 7 days, 3 models; {args.runs} requests per endpoint")
            print(f"{'endpoint':40} {'p50 ms':>8} {'p95 ms':>8}")

            def time_endpoints() -> None:
                for path in ENDPOINTS:
                    client.get(path).raise_for_status()  # warm
                    times = []
                    for _ in range(args.runs):
                        start = time.perf_counter()
                        client.get(path).raise_for_status()
                        times.append((time.perf_counter() - start) * 1000)
                    p50, p95 = percentile(times, 50), percentile(times, 95)
                    print(f"{path:40} {p50:8.1f} {p95:8.1f}")

            busy = probed(base, time_endpoints)
            idle = probed(base, lambda: time.sleep(5))
            for label, times in (("while idle", idle), ("during the stats requests", busy)):
                p50, p95 = percentile(times, 50), percentile(times, 95)
                print(
                    f"{'/vapi/models ' + label:40} {p50:8.1f} {p95:8.1f}"
                    f"   (max {max(times):.1f}, {len(times)} probes)"
                )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
