"""How long the training commands take on this machine.

    .venv/bin/python bench/training_pipeline.py [--calls 2000] [--runs 3]

1. `pete import` of a seed-shaped pete.db with N calls (TranscriptionJson with opaque speaker
   labels, three calls per caller), phrases only, into an empty store: calls per second.
2. The same file imported again: every row already known, nothing added.
3. `pete train --no-eval` on the demo corpus (660 threads): dataset, scrubbing, example pairs,
   spec, version; then `pete train` again when nothing changed (what a scheduled job pays).
4. Once each, as a new `pete import` process: the import with the embedding second opinion
   (imports torch, embeds the corpus's opening lines and the new threads') before and after the
   corpus's vectors are cached.
Each figure is the median (and min–max) of --runs runs, each in a fresh data directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.corpus import insert_conversations  # noqa: E402
from core.logging import configure_logging  # noqa: E402
from core.store.database import Database  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.seed_files import seed_row, write_seed_db  # noqa: E402
from training.demo_data import generate_demo_conversations  # noqa: E402
from training.import_cli import run_import  # noqa: E402
from training.progress import Progress  # noqa: E402
from training.train import TrainOptions, train  # noqa: E402

PETE = str(Path(sys.executable).parent / "pete")


def seed_file(path: Path, calls: int, offset: int = 0) -> Path:
    threads = generate_demo_conversations(seed=7)
    rows = []
    for n in range(calls):
        thread = threads[n % len(threads)]
        segments: list[dict[str, Any]] = [
            {"speaker": "spk_1", "text": "Maple Grove, this is Jamie. How can I help?"}
        ]
        for exchange in thread.exchanges:
            segments += [
                {"speaker": "spk_2", "text": exchange.tenant},
                {"speaker": "spk_1", "text": exchange.jamie},
            ]
        day, hour = divmod(n, 24)
        rows.append(
            seed_row(
                f"2025-{1 + day // 28 % 12:02d}-{1 + day % 28:02d} {hour:02d}:00:00",
                phone=f"503{5_550_000 + offset + n // 3:07d}",
                name=f"Caller {n // 3}",
                segments=segments,
            )
        )
    return write_seed_db(path, rows)


def timed(runs: int, make: Callable[[Path], Awaitable[Any]]) -> list[float]:
    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            asyncio.run(make(Path(tmp)))
            seconds.append(time.perf_counter() - start)
    return seconds


def line(label: str, seconds: list[float], per: int | None = None) -> str:
    median = statistics.median(seconds)
    rate = f", {per / median:,.0f} calls/s" if per else ""
    return f"{label:<48} {median:7.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}){rate}"


async def demo_store(root: Path) -> Any:
    settings = make_settings(root)
    database = Database(settings.database_path)
    await database.open()
    await insert_conversations(database.conn, generate_demo_conversations())
    await database.conn.commit()
    await database.close()
    return settings


def second_opinion(tmp: Path, calls: int) -> tuple[list[float], list[float]]:
    """`pete import` as a user runs it (a new process: torch is imported each time), first with
    the reference vectors not yet cached, then with another file once they are."""
    settings = asyncio.run(demo_store(tmp / "store"))
    env = {**os.environ, "PETE_DATA_DIR": str(settings.data_dir), "OLLAMA_HOST": "127.0.0.1:9"}
    first, second = seed_file(tmp / "a.db", calls), seed_file(tmp / "b.db", calls, offset=50_000)
    seconds = []
    for path in (first, second):
        start = time.perf_counter()
        subprocess.run([PETE, "import", str(path)], env=env, check=True, capture_output=True)
        seconds.append(time.perf_counter() - start)
    return [seconds[0]], [seconds[1]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure_logging("WARNING", json_output=False)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seed = seed_file(Path(tmp) / "pete.db", args.calls)

        async def import_once(root: Path, again: bool = False) -> None:
            settings = make_settings(root)
            kwargs = dict(path=seed, file_format=None, logged_calls=False, progress=Progress())
            report = await run_import(settings, second_opinion=False, **kwargs)  # type: ignore[arg-type]
            assert report.calls_read == args.calls
            if again:
                start = time.perf_counter()
                report = await run_import(settings, second_opinion=False, **kwargs)  # type: ignore[arg-type]
                results.setdefault("again", []).append(time.perf_counter() - start)
                assert report.conversations_added == 0

        results["import"] = timed(args.runs, import_once)
        timed(args.runs, lambda root: import_once(root, again=True))

        async def train_once(root: Path) -> None:
            settings = await demo_store(root)
            start = time.perf_counter()
            created = await train(settings, TrainOptions(evaluate=False), newly_listed=None)
            results.setdefault("train", []).append(time.perf_counter() - start)
            start = time.perf_counter()
            same = await train(settings, TrainOptions(evaluate=False), newly_listed=None)
            results.setdefault("unchanged", []).append(time.perf_counter() - start)
            assert created.status == "created" and same.status == "unchanged"

        timed(args.runs, train_once)

        results["second_opinion"], results["second_opinion_cached"] = second_opinion(
            Path(tmp), args.calls
        )
    print(f"{args.calls} calls, {args.runs} runs each")
    print(line("import (phrases only), empty store", results["import"], args.calls))
    print(line("the same file again (nothing new)", results["again"], args.calls))
    print(line("train --no-eval on the demo corpus (660 threads)", results["train"]))
    print(line("train again, nothing changed", results["unchanged"]))
    print(
        line(
            "pete import, second opinion, vectors not cached", results["second_opinion"], args.calls
        )
    )
    print(
        line(
            "pete import, second opinion, corpus vectors cached",
            results["second_opinion_cached"],
            args.calls,
        )
    )
    print(json.dumps({k: [round(x, 3) for x in v] for k, v in results.items()}))


if __name__ == "__main__":
    main()
