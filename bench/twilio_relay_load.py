"""Concurrent ConversationRelay calls against the real server: what the server adds.

    .venv/bin/python bench/twilio_relay_load.py [--calls 50 200] [--turns 3] [--spread-s 2]

The server runs in its own process (the real app, `handler_cancellation` as in `pete serve`,
INFO JSON logs to a file) with a paced backend standing in for Ollama: its first token comes
after `--first-token-ms`, then one token every `--token-ms`. This process plays Twilio for N
calls at once: signed websocket upgrades, `setup`, then `--turns` rounds in which every call
sends a `prompt` at a random moment within `--spread-s`. In the second round each call barges
in (`interrupt`) after its fifth text frame.

Reported, per N:
  added      prompt sent -> first `text` frame received, minus the backend's scripted first
             token delay (so the client's own send/receive time counts against the server)
  in / out   its two halves, from the backend's timeline (CLOCK_MONOTONIC is shared by the
             processes): prompt sent -> backend asked; backend's first token -> frame received
  interrupt  `interrupt` sent -> the backend stream closed
  memory     server RSS with N calls open minus RSS before, per call
  errors     failed calls, wrong or missing frames, turns missing from the store
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AUTH_TOKEN = "bench-auth-token"
PUBLIC_URL = "https://pete.bench.test"
REPLY = (
    "Okay, I have that noted and maintenance will come by this afternoon "
    "to take a look at it for you today."
)
INTERRUPT_AFTER_FRAMES = 5
INTERRUPT_TURN = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# --- the server process ----------------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    from core.logging import configure_logging
    from tests.conftest import make_settings
    from tests.support.paced_backend import Pace, PacedBackend, word_tokens
    from voice.app import create_app
    from voice.server import start_site

    root = Path(args.root)
    settings = make_settings(
        root,
        public_url=PUBLIC_URL,
        twilio_auth_token=AUTH_TOKEN,
        oncall_number="+15550109999",
        quality_scoring=args.with_scoring,
        seed_demo_data=args.with_scoring,
        log_level="INFO",
    )
    configure_logging("INFO", json_output=True)
    tokens = word_tokens(REPLY)
    backend = PacedBackend(
        Pace(
            tokens,
            first_token_delay_s=args.first_token_ms / 1000,
            token_interval_s=args.token_ms / 1000,
        )
    )

    async def run() -> None:
        runner, _port = await start_site(create_app(settings, backend), "127.0.0.1", args.port)
        loop = asyncio.get_running_loop()
        print("ready", flush=True)
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if command == "stats":
                records = [
                    {
                        "utterance": r.utterance,
                        "started_ns": r.started_ns,
                        "first_token_ns": r.first_token_ns,
                        "ended_ns": r.ended_ns,
                        "stopped_early": r.stopped_early,
                        "tokens": r.tokens,
                    }
                    for r in backend.streams
                ]
                Path(args.stats).write_text(json.dumps(records))  # noqa: ASYNC240
                print("ok", flush=True)
            elif command == "reset":
                backend.streams.clear()
                print("ok", flush=True)
            else:
                break
        await runner.cleanup()

    asyncio.run(run())


# --- the Twilio side ---------------------------------------------------------------------------


@dataclass
class TurnTiming:
    tag: str
    sent_ns: int
    first_frame_ns: int | None = None
    interrupt_ns: int | None = None


@dataclass
class Load:
    """Shared by the simulated calls: the start signal and what they measured."""

    calls: int
    connected: int = 0
    all_connected: asyncio.Event = field(default_factory=asyncio.Event)
    go: asyncio.Event = field(default_factory=asyncio.Event)
    start: float = 0.0
    turns: list[TurnTiming] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_peak_kib: int = 0


def setup_frame(index: int) -> str:
    return json.dumps(
        {
            "type": "setup",
            "callSid": f"CA{index:032d}",
            "sessionId": f"VX{index:032d}",
            "accountSid": "AC" + "0" * 32,
            "from": f"+1555{index:07d}",
            "to": "+15550100000",
            "direction": "inbound",
            "callType": "PSTN",
            "callStatus": "RINGING",
            "customParameters": {},
        }
    )


async def play_call(
    index: int, url: str, signature: str, schedule: list[float], load: Load
) -> None:
    from websockets.asyncio.client import connect

    try:
        async with connect(
            url,
            additional_headers={"X-Twilio-Signature": signature},
            max_queue=None,
            open_timeout=60,
        ) as ws:
            await ws.send(setup_frame(index))
            load.connected += 1
            if load.connected == load.calls:
                load.all_connected.set()
            await load.go.wait()
            for turn, at in enumerate(schedule):
                delay = load.start + at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await play_turn(ws, f"call {index} turn {turn}", turn == INTERRUPT_TURN, load)
    except Exception as exc:  # every failure is counted; none stops the run
        load.errors.append(f"call {index}: {type(exc).__name__}: {exc}")


async def play_turn(ws: Any, tag: str, barge_in: bool, load: Load) -> None:
    prompt = {
        "type": "prompt",
        "voicePrompt": f"Bench {tag}: the porch light is out.",
        "last": True,
    }
    timing = TurnTiming(tag, time.perf_counter_ns())
    await ws.send(json.dumps(prompt))
    load.turns.append(timing)
    frames: list[dict[str, Any]] = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if timing.first_frame_ns is None:
            timing.first_frame_ns = time.perf_counter_ns()
        if frame.get("type") != "text":
            load.errors.append(f"{tag}: unexpected frame {frame}")
            return
        frames.append(frame)
        if barge_in and len(frames) == INTERRUPT_AFTER_FRAMES:
            heard = "".join(f["token"] for f in frames)
            timing.interrupt_ns = time.perf_counter_ns()
            interrupt = {"type": "interrupt", "utteranceUntilInterrupt": heard}
            await ws.send(json.dumps({**interrupt, "durationUntilInterruptMs": 700}))
            await drain(ws, 0.3)
            return
        if frame["last"]:
            text = "".join(f["token"] for f in frames)
            if text != REPLY:
                load.errors.append(f"{tag}: reply was {text!r}")
            return


async def drain(ws: Any, quiet_s: float) -> None:
    """Frames already in flight when the interrupt left; the next reply must start clean."""
    while True:
        try:
            await asyncio.wait_for(ws.recv(), quiet_s)
        except TimeoutError:
            return


async def sample_rss(pid: int, load: Load, stop: asyncio.Event) -> None:
    while not stop.is_set():
        load.rss_peak_kib = max(load.rss_peak_kib, rss_kib(pid))
        await asyncio.sleep(0.05)


def control(server: subprocess.Popen[str], command: str) -> None:
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(command + "\n")
    server.stdin.flush()
    assert server.stdout.readline().strip() == "ok"


async def run_load(
    calls: int, args: argparse.Namespace, port: int, server: subprocess.Popen[str], stats: Path
) -> dict[str, Any]:
    from twilio.request_validator import RequestValidator

    rng = random.Random(calls)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL.replace("https://", "wss://") + "/twilio/relay", {}
    )
    reply_s = (args.first_token_ms + args.token_ms * len(REPLY.split(" "))) / 1000
    round_s = args.spread_s + reply_s + 1.0
    schedules = [
        [r * round_s + rng.uniform(0, args.spread_s) for r in range(args.turns)]
        for _ in range(calls)
    ]
    control(server, "reset")
    rss_before = rss_kib(server.pid)
    load = Load(calls)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server.pid, load, stop))
    url = f"ws://127.0.0.1:{port}/twilio/relay"
    tasks = [
        asyncio.create_task(play_call(i, url, signature, schedules[i], load)) for i in range(calls)
    ]
    done_early = asyncio.create_task(asyncio.wait(tasks))
    await asyncio.wait(
        {done_early, asyncio.create_task(load.all_connected.wait())},
        return_when=asyncio.FIRST_COMPLETED,
    )
    load.start = time.perf_counter() + 0.5
    load.go.set()
    await done_early
    stop.set()
    await sampler
    control(server, "stats")
    records = {
        r["utterance"].removeprefix("Bench ").split(":")[0]: r
        for r in json.loads(stats.read_text())  # noqa: ASYNC240
    }
    return summarize(calls, args, load, records, rss_before)


def summarize(
    calls: int, args: argparse.Namespace, load: Load, records: dict[str, Any], rss_before: int
) -> dict[str, Any]:
    from core.stats import percentile

    added, into, out, late, stops = [], [], [], [], []
    errors = list(load.errors)
    for timing in load.turns:
        record = records.get(timing.tag)
        if record is None or timing.first_frame_ns is None:
            errors.append(f"{timing.tag}: no reply")
            continue
        added.append((timing.first_frame_ns - timing.sent_ns) / 1e6 - args.first_token_ms)
        into.append((record["started_ns"] - timing.sent_ns) / 1e6)
        if record["first_token_ns"] is not None:
            out.append((timing.first_frame_ns - record["first_token_ns"]) / 1e6)
            own = (record["first_token_ns"] - record["started_ns"]) / 1e6
            late.append(own - args.first_token_ms)
        if timing.interrupt_ns is not None:
            if not record["stopped_early"] or record["ended_ns"] is None:
                errors.append(f"{timing.tag}: the backend did not stop at the interrupt")
            else:
                stops.append((record["ended_ns"] - timing.interrupt_ns) / 1e6)

    def pct(values: list[float], q: float) -> float:
        return percentile(values, q)

    return {
        "calls": calls,
        "turns": len(load.turns),
        "added_p50": pct(added, 50),
        "added_p99": pct(added, 99),
        "added_max": max(added, default=float("nan")),
        "in_p50": pct(into, 50),
        "in_p99": pct(into, 99),
        "out_p50": pct(out, 50),
        "out_p99": pct(out, 99),
        "first_token_ms": args.first_token_ms,
        "late_p50": pct(late, 50),
        "late_p99": pct(late, 99),
        "stop_p50": pct(stops, 50),
        "stop_p99": pct(stops, 99),
        "stop_max": max(stops, default=float("nan")),
        "interrupts": len(stops),
        "rss_per_call_kib": (load.rss_peak_kib - rss_before) / calls,
        "errors": errors,
    }


def stored_turns(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(interrupted), 0) FROM turns "
            "WHERE channel = 'twilio_relay'"
        ).fetchone()
    return {"turns": row[0], "interrupted": row[1]}


async def main(args: argparse.Namespace) -> int:
    port = free_port()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "config", Path(tmp) / "config")
        stats = Path(tmp) / "stats.json"
        log_path = Path(tmp) / "server.log"
        with log_path.open("w") as log_file:
            server = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "serve",
                    "--port",
                    str(port),
                    "--root",
                    tmp,
                    "--stats",
                    str(stats),
                    "--first-token-ms",
                    str(args.first_token_ms),
                    "--token-ms",
                    str(args.token_ms),
                    *(["--with-scoring"] if args.with_scoring else []),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
            )
            try:
                assert server.stdout is not None
                if server.stdout.readline().strip() != "ready":
                    raise RuntimeError("the server did not start; see its log")
                expected_turns = 0
                print(
                    f"backend: first token {args.first_token_ms} ms, then one token every "
                    f"{args.token_ms} ms ({len(REPLY.split(' '))} tokens); {args.turns} turns per "
                    f"call, each round spread over {args.spread_s} s; barge-in in round "
                    f"{INTERRUPT_TURN + 1}"
                )
                for calls in args.calls:
                    result = await run_load(calls, args, port, server, stats)
                    expected_turns += calls * args.turns
                    report(result)
                    failures += len(result["errors"])
                server.stdin.write("quit\n")  # type: ignore[union-attr]
                server.stdin.flush()  # type: ignore[union-attr]
                server.wait(60)
            finally:
                if server.poll() is None:
                    server.kill()
        stored = stored_turns(Path(tmp) / "data" / "pete.db")
        lost = expected_turns - stored["turns"]
        print(
            f"store: {stored['turns']} relay turns of {expected_turns} sent "
            f"({stored['interrupted']} interrupted); lost: {lost}"
        )
        failures += abs(lost)
    return 1 if failures else 0


def report(r: dict[str, Any]) -> None:
    print(f"\n{r['calls']} concurrent calls, {r['turns']} turns")
    print(
        f"  server adds (prompt -> first text frame, minus backend first token) "
        f"p50 {r['added_p50']:6.2f} ms  p99 {r['added_p99']:6.2f} ms  max {r['added_max']:6.2f} ms"
    )
    print(
        f"    prompt -> backend asked               "
        f"p50 {r['in_p50']:6.2f} ms  p99 {r['in_p99']:6.2f} ms"
    )
    print(
        f"    backend first token -> frame received "
        f"p50 {r['out_p50']:6.2f} ms  p99 {r['out_p99']:6.2f} ms"
    )
    print(
        f"    backend's own {r['first_token_ms']:.0f} ms wait overran by "
        f"p50 {r['late_p50']:6.2f} ms  p99 {r['late_p99']:6.2f} ms"
    )
    print(
        f"  interrupt -> backend stopped ({r['interrupts']} barge-ins) "
        f"p50 {r['stop_p50']:6.2f} ms  p99 {r['stop_p99']:6.2f} ms  max {r['stop_max']:6.2f} ms"
    )
    print(f"  server memory per open call {r['rss_per_call_kib']:.0f} KiB")
    print(f"  errors: {len(r['errors'])}")
    for error in r["errors"][:10]:
        print(f"    {error}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="mode")
    server_args = sub.add_parser("serve", help="(internal) the server process")
    server_args.add_argument("--port", type=int, required=True)
    server_args.add_argument("--root", required=True)
    server_args.add_argument("--stats", required=True)
    for target in (parser, server_args):
        target.add_argument("--first-token-ms", type=float, default=50)
        target.add_argument("--token-ms", type=float, default=20)
        target.add_argument(
            "--with-scoring",
            action="store_true",
            help="also run the reply-quality scoring worker (loads torch)",
        )
    parser.add_argument("--calls", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--spread-s", type=float, default=2.0)
    arguments = parser.parse_args()
    if arguments.mode == "serve":
        serve(arguments)
    else:
        sys.exit(asyncio.run(main(arguments)))
