"""Reply scoring: its throughput, and its effect on calls' time to first token.

    .venv/bin/python bench/scoring.py [--replies 200] [--blocks 8] [--per-block 5]

1. Throughput: the full check + Jamie score (embeddings, reference index of the demo
   corpus) of N varied replies, one at a time and in the worker's batches (it batches
   whatever has queued up).
2. Effect on calls: one server (embedded model), VAPI SSE turns in alternating blocks with
   scoring off and on (ABAB...). Each "on" block ends by waiting for its scores, so every
   "on" turn competes with the scoring of the turns before it, and no "off" turn does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.llm_ttft import UTTERANCES, server_ttft_ms  # noqa: E402
from core.llm.embedded import EmbeddedBackend  # noqa: E402
from core.logging import configure_logging  # noqa: E402
from core.quality.scoring import ScoringJob  # noqa: E402
from core.quality.worker import BATCH  # noqa: E402
from core.stats import percentile  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from training.demo_data import generate_demo_conversations  # noqa: E402
from voice.server import ServerThread  # noqa: E402


def throughput(server: ServerThread, replies: int, batch: int) -> float:
    quality = server.services.quality
    assert quality is not None
    exchanges = [e for c in generate_demo_conversations(seed=99) for e in c.exchanges]
    jobs = [
        ScoringJob(turn_uid=f"bench-{i}", tenant_text=e.tenant, reply_text=e.jamie)
        for i, e in enumerate(exchanges[:replies])
    ]
    quality.scorer.score_now(jobs[0])  # warm
    start = time.perf_counter()
    for first in range(0, len(jobs), batch):
        quality.scorer.score_batch(jobs[first : first + batch])
    return len(jobs) / (time.perf_counter() - start)


async def block(session: aiohttp.ClientSession, url: str, start: int, count: int) -> list[float]:
    return [
        await server_ttft_ms(session, url, UTTERANCES[(start + i) % len(UTTERANCES)], start + i)
        for i in range(count)
    ]


async def main(replies: int, blocks: int, per_block: int) -> None:
    configure_logging("WARNING", json_output=False)
    backend = EmbeddedBackend()
    await backend.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(
            Path(tmp), quality_scoring=True, seed_demo_data=True, log_level="WARNING"
        )
        server = ServerThread(settings, backend=backend).start()
        quality = server.services.quality
        assert quality is not None
        server.call(quality.ready(), timeout=600)  # embeddings + reference index
        one_by_one = throughput(server, replies, 1)
        batched = throughput(server, replies, BATCH)
        listener = quality.worker.submit_turn
        listeners = server.services.engine.turn_listeners
        url = server.base_url + "/vapi/chat/completions"
        on: list[float] = []
        off: list[float] = []
        async with aiohttp.ClientSession() as session:
            await block(session, url, 0, 2)  # warm-up
            for b in range(blocks):
                scoring = b % 2 == 1
                if scoring:
                    listeners.append(listener)
                    on += await block(session, url, b * per_block, per_block)
                    listeners.remove(listener)
                    server.call(quality.worker.queue.join())
                else:
                    off += await block(session, url, b * per_block, per_block)
        reference = len(quality.index) if quality.index else 0
        server.stop()
    await backend.close()
    print(
        f"scoring throughput ({replies} replies, reference set of {reference} exchanges): "
        f"{one_by_one:.1f} replies/s one at a time, "
        f"{batched:.1f} replies/s in the worker's batches of {BATCH}"
    )
    print(
        f"ttft with scoring off  p50 {percentile(off, 50):6.1f} ms  "
        f"p95 {percentile(off, 95):6.1f} ms  ({len(off)} turns)"
    )
    print(
        f"ttft with scoring on   p50 {percentile(on, 50):6.1f} ms  "
        f"p95 {percentile(on, 95):6.1f} ms  ({len(on)} turns)"
    )
    print(f"ratio on/off p50 {percentile(on, 50) / percentile(off, 50):.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--per-block", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.replies, arguments.blocks, arguments.per_block))
