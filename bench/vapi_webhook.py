"""How long VAPI waits on `POST /vapi/webhook`: per message type, one at a time, then in bursts.

    .venv/bin/python bench/vapi_webhook.py [--runs 200] [--burst 50]

The server runs as its own process (`pete serve --backend embedded`, X-Vapi-Secret auth); the
client is aiohttp in this process, so each figure is the whole round trip over loopback:
authentication, parsing, the handler, and for `create_work_order` a committed SQLite write
(the ticket is read back only once it is stored). VAPI allows 7.5 s for `assistant-request`
and, by default, 20 s for a tool call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.llm_ttft import free_port, wait_for_health  # noqa: E402
from core.stats import percentile  # noqa: E402

SECRET = "bench-webhook-secret"
CALLER = "+15035550104"


def message(kind: str, call_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "message": {
            "type": kind,
            "timestamp": int(time.time() * 1000),
            "call": {"id": call_id, "type": "inboundPhoneCall", "customer": {"number": CALLER}},
            "customer": {"number": CALLER},
            **fields,
        }
    }


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    call = {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function"}
    call["function"] = {"name": name, "arguments": json.dumps(arguments)}
    return call


WORK_ORDER = {
    "unit": "2B",
    "category": "plumbing",
    "description": "The kitchen sink is leaking under the cabinet.",
    "urgency": "urgent",
}

KINDS = {
    "assistant-request": lambda cid: message("assistant-request", cid),
    "tool-calls create_work_order": lambda cid: message(
        "tool-calls", cid, toolCallList=[tool_call("create_work_order", WORK_ORDER)]
    ),
    "tool-calls lookup_tenant": lambda cid: message(
        "tool-calls", cid, toolCallList=[tool_call("lookup_tenant", {})]
    ),
    "status-update": lambda cid: message("status-update", cid, status="in-progress"),
    "end-of-call-report": lambda cid: message(
        "end-of-call-report",
        cid,
        endedReason="customer-ended-call",
        cost=0.07,
        artifact={"transcript": "User: my sink leaks.\nAI: I'll send a plumber.\n" * 200},
        analysis={"summary": "Leaking sink; work order created."},
    ),
}


async def post_ms(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> float:
    start = time.perf_counter_ns()
    async with session.post(url, json=body, headers={"X-Vapi-Secret": SECRET}) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {await response.text()}")
    return (time.perf_counter_ns() - start) / 1e6


def line(label: str, values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
    worst = max(values)
    return (
        f"{label:30s} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms  max {worst:6.2f} ms"
    )


async def main(runs: int, burst: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "config", Path(tmp) / "config")
        env = {
            **os.environ,
            "PETE_DATA_DIR": f"{tmp}/data",
            "PETE_CONFIG_DIR": f"{tmp}/config",
            "PETE_LOG_LEVEL": "WARNING",
            "PETE_VAPI_WEBHOOK_SECRET": SECRET,
            "PETE_QUALITY_SCORING": "false",  # measure the webhook alone
        }
        pete = str(Path(sys.executable).parent / "pete")
        server = subprocess.Popen(
            [pete, "serve", "--backend", "embedded", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        url = base + "/vapi/webhook"
        sequential: dict[str, list[float]] = {kind: [] for kind in KINDS}
        bursts: dict[str, list[float]] = {}
        try:
            connector = aiohttp.TCPConnector(limit=burst)
            async with aiohttp.ClientSession(connector=connector) as session:
                await wait_for_health(session, base)
                for build in KINDS.values():  # warm-up, not counted
                    await post_ms(session, url, build(f"warm-{uuid.uuid4()}"))
                for run in range(runs):
                    for kind, build in KINDS.items():
                        sequential[kind].append(await post_ms(session, url, build(f"b-{run}")))
                # Open the burst's connections first, so the bursts time requests, not TCP setup.
                warm = [KINDS["status-update"](f"warm-{i}") for i in range(burst)]
                await asyncio.gather(*(post_ms(session, url, b) for b in warm))
                for kind in ("assistant-request", "tool-calls create_work_order"):
                    bodies = [KINDS[kind](f"burst-{i}") for i in range(burst)]
                    bursts[kind] = list(
                        await asyncio.gather(*(post_ms(session, url, b) for b in bodies))
                    )
        finally:
            server.terminate()
            server.wait(30)
    print(f"one at a time, {runs} runs of each type (loopback round trip):")
    for kind, values in sequential.items():
        print(line(kind, values))
    print(f"{burst} at once:")
    for kind, values in bursts.items():
        print(line(kind, values))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--burst", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.burst))
