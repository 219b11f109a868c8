"""What the gate before speech costs: CPU per token, and how often it holds the first token.

    .venv/bin/python bench/stream_guard.py

Feeds every Jamie reply of the demo corpus through the stream guard (role labels, markdown,
leak gate on the persona's instructions) word token by word token, as a model streams.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.engine.leak_gate import LeakIndex  # noqa: E402
from core.engine.stream_guard import StreamGuard  # noqa: E402
from core.persona import load_persona  # noqa: E402
from core.stats import percentile  # noqa: E402
from training.demo_data import generate_demo_conversations  # noqa: E402


def tokens_of(text: str) -> list[str]:
    words = text.split(" ")
    return [words[0]] + [" " + w for w in words[1:]]


def main() -> None:
    persona = load_persona(ROOT / "config" / "personas", "jamie")
    index = LeakIndex(persona.instructions)
    replies = [e.jamie for c in generate_demo_conversations() for e in c.exchanges]
    per_token_us: list[float] = []
    first_token_us: list[float] = []
    first_held = 0
    for reply in replies:
        guard = StreamGuard(leak_index=index)
        for position, token in enumerate(tokens_of(reply)):
            start = time.perf_counter_ns()
            out = guard.feed(token)
            elapsed = (time.perf_counter_ns() - start) / 1e3
            per_token_us.append(elapsed)
            if position == 0:
                first_token_us.append(elapsed)
                first_held += out == ""
        guard.finish()
    print(f"{len(replies)} replies, {len(per_token_us)} tokens")
    print(
        f"per token      p50 {percentile(per_token_us, 50):6.1f} µs   "
        f"p99 {percentile(per_token_us, 99):6.1f} µs"
    )
    print(
        f"first token    p50 {percentile(first_token_us, 50):6.1f} µs   "
        f"p99 {percentile(first_token_us, 99):6.1f} µs"
    )
    print(
        f"first token held back (could still become a role label): "
        f"{first_held}/{len(replies)} replies ({first_held / len(replies):.1%})"
    )


if __name__ == "__main__":
    main()
