"""Time to first token: through the server's VAPI SSE path vs the embedded backend called directly.

    .venv/bin/python bench/llm_ttft.py [--runs 20] [--same-prompt]

The server runs as its own process (`pete serve --backend embedded`); the direct path loads
the same embedded model in this process. Runs are interleaved and each run sends the same
tenant utterance to both, so the difference is what the server adds: HTTP, validation, the
turn engine, the stream guard and SSE framing. By default the utterance changes from run to
run (each model reads it uncached, as on a real call); `--same-prompt` repeats one utterance,
so the whole prompt is cached and the backend's own time is as small as it gets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.engine.turn_engine import generation_options  # noqa: E402
from core.llm.base import ChatMessage, ModelSpec  # noqa: E402
from core.llm.embedded import EmbeddedBackend  # noqa: E402
from core.model_settings import ModelSettingsManager  # noqa: E402
from core.persona import load_persona  # noqa: E402
from core.stats import percentile  # noqa: E402

UTTERANCES = [
    "Hi, my kitchen sink is leaking under the cabinet. Can someone come look at it?",
    "The heat in my apartment stopped working last night and the radiator is cold.",
    "I locked myself out of unit 12 and I need to get back in.",
    "When is rent due this month, and can I pay it online?",
    "My upstairs neighbor is playing loud music every night after midnight.",
    "The dishwasher is making a grinding noise and not draining.",
    "I saw a couple of mice in the pantry this morning.",
    "Can I get a copy of my lease renewal paperwork?",
]
MAX_TOKENS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def server_ttft_ms(session: aiohttp.ClientSession, url: str, text: str, run: int) -> float:
    body = {
        "model": "jamie",
        "stream": True,
        "max_tokens": MAX_TOKENS,
        "call": {"id": f"bench-{run}"},
        "messages": [{"role": "user", "content": text}],
    }
    start = time.perf_counter_ns()
    first = None
    async with session.post(url, json=body) as response:
        async for raw in response.content:
            line = raw.decode().strip()
            if first is None and line.startswith("data: {"):
                if json.loads(line[6:])["choices"][0]["delta"].get("content"):
                    first = (time.perf_counter_ns() - start) / 1e6
    if first is None:
        raise RuntimeError("the server sent no content")
    return first


async def direct_ttft_ms(backend: EmbeddedBackend, persona, options, text: str) -> float:
    messages = [
        ChatMessage(role="system", content=persona.system_prompt),
        ChatMessage(role="user", content=text),
    ]
    start = time.perf_counter_ns()
    first = None
    async for token in backend.stream("direct", messages, options):
        if token.text and first is None:
            first = (time.perf_counter_ns() - start) / 1e6
    if first is None:
        raise RuntimeError("the backend produced no text")
    return first


async def wait_for_health(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(600):
        try:
            async with session.get(base + "/health") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("pete serve did not come up")


async def main(runs: int, same_prompt: bool) -> None:
    persona = load_persona(ROOT / "config" / "personas", "jamie")
    model_settings = ModelSettingsManager(ROOT / "config" / "model_settings.json")
    entry = model_settings.entry(model_settings.current.default_model)
    options = generation_options(persona, entry, MAX_TOKENS)
    backend = EmbeddedBackend()
    await backend.start()
    await backend.create(
        ModelSpec(name="direct", base_model=entry.base_model, parameters=entry.options)
    )
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "config", Path(tmp) / "config")
        env = {
            **os.environ,
            "PETE_DATA_DIR": f"{tmp}/data",
            "PETE_CONFIG_DIR": f"{tmp}/config",
            "PETE_LOG_LEVEL": "WARNING",
            # Scoring is measured on its own (bench/scoring.py); here only the request path.
            "PETE_QUALITY_SCORING": "false",
            "PETE_SEED_DEMO_DATA": "false",
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "pete"),
                "serve",
                "--backend",
                "embedded",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        via_server: list[float] = []
        direct: list[float] = []
        try:
            async with aiohttp.ClientSession() as session:
                await wait_for_health(session, base)
                url = base + "/vapi/chat/completions"
                await server_ttft_ms(session, url, "Hello.", -1)  # warm-up, not counted
                await direct_ttft_ms(backend, persona, options, "Hello.")
                for run in range(runs):
                    text = UTTERANCES[0 if same_prompt else run % len(UTTERANCES)]
                    via_server.append(await server_ttft_ms(session, url, text, run))
                    direct.append(await direct_ttft_ms(backend, persona, options, text))
        finally:
            server.terminate()
            server.wait(30)
    await backend.close()
    p50_s, p95_s = percentile(via_server, 50), percentile(via_server, 95)
    p50_d, p95_d = percentile(direct, 50), percentile(direct, 95)
    mode = (
        "one utterance repeated (prompt fully cached)"
        if same_prompt
        else f"{len(UTTERANCES)} utterances in turn (user text read uncached)"
    )
    print(f"runs: {runs} per path, interleaved; embedded smollm2:135m; {mode}")
    print(f"server SSE path  ttft p50 {p50_s:7.1f} ms   p95 {p95_s:7.1f} ms")
    print(f"direct backend   ttft p50 {p50_d:7.1f} ms   p95 {p95_d:7.1f} ms")
    print(f"ratio server/direct  p50 {p50_s / p50_d:.3f}   p95 {p95_s / p95_d:.3f}")
    print(f"server adds at p50 {p50_s - p50_d:+.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--same-prompt", action="store_true")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.same_prompt))
