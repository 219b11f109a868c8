"""`pete replay --calls <selection> --model <version>`: logged calls answered again."""

from __future__ import annotations

import argparse
import asyncio
import sys
import textwrap
from typing import Any

from training.import_cli import EXIT_INTERRUPTED


def _verdict(verdict: Any) -> str:
    checks = "passed" if verdict.passed else "failed " + ", ".join(verdict.violations)
    return f"score {verdict.score:.1f}, {checks}"


def _wrapped(label: str, text: str) -> list[str]:
    body = textwrap.wrap(" ".join(text.split()) or "(nothing)", width=88) or [""]
    return [f"    {label:<6} {body[0]}"] + [f"           {line}" for line in body[1:]]


def format_run(run: Any) -> str:
    name = run.version or run.model_name
    lines = [f"replay {run.id}: {run.calls} calls ({run.selection}) against {name}"]
    current = None
    for turn in run.turns:
        if turn.call_id != current:
            current = turn.call_id
            lines.append(f"call {turn.call_id}")
        lines.append(f"  turn {turn.turn_index}")
        lines += _wrapped("tenant", turn.tenant)
        lines += _wrapped("then", turn.original_reply)
        lines.append(f"           ({turn.original_model}: {_verdict(turn.original)})")
        if turn.error:
            lines.append(f"    now    error: {turn.error}")
            continue
        lines += _wrapped("now", turn.candidate_reply)
        lines.append(f"           ({name}: {_verdict(turn.candidate)})")
    s = run.summary
    if s.original_pass_rate is not None:
        lines.append(
            f"{s.turns} turns: pass rate {s.original_pass_rate:.0%} then, "
            f"{s.candidate_pass_rate:.0%} now; mean score {s.original_mean_score:.1f} then, "
            f"{s.candidate_mean_score:.1f} now; {s.better} better, {s.worse} worse, "
            f"{s.errors} errors; {s.corrections_added} corrections added for the next version"
        )
    return "\n".join(lines)


def _replay(args: argparse.Namespace) -> int:
    from core.llm.base import BackendError
    from core.settings import load_settings
    from training.progress import Progress, default_mode
    from training.replay import ReplayError, replay

    overrides = {"backend": args.backend} if args.backend else {}
    settings = load_settings(**overrides)
    progress = Progress(args.progress or default_mode(args.json))
    try:
        run = asyncio.run(
            replay(
                settings,
                args.calls,
                args.model,
                similarity=not args.no_similarity,
                progress=progress,
            )
        )
    except KeyboardInterrupt:
        print("\ninterrupted: the calls replayed so far are stored whole", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ReplayError, ValueError, BackendError) as exc:
        print(f"pete replay: {exc}", file=sys.stderr)
        return 1
    print(run.model_dump_json(indent=2) if args.json else format_run(run))
    return 0


def register(commands: Any) -> None:
    command = commands.add_parser(
        "replay",
        help="answer logged calls again with a candidate model, side by side with what was said",
        description="Run every logged tenant turn of the selected calls, with the history it "
        "had, through the turn engine with the candidate; check and score both replies; store "
        "the results (visible in the admin) and add the candidate's failed replies as "
        "corrections for the next version.",
    )
    command.add_argument(
        "--calls",
        required=True,
        help="yesterday, today, last:N, since:YYYY-MM-DD, YYYY-MM-DD, A..B, all, or call ids",
    )
    command.add_argument("--model", required=True, help="a version (v0.2.0) or model name")
    command.add_argument(
        "--no-similarity",
        action="store_true",
        help="score without the embedding model (checks and phrases only)",
    )
    command.add_argument("--backend", choices=["auto", "ollama", "embedded"])
    command.add_argument("--progress", choices=["bar", "json", "off"])
    command.add_argument("--json", action="store_true", help="print the run as JSON")
    command.set_defaults(handler=_replay)
