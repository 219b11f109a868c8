"""`pete eval`: pass rate, Jamie score, emergency recall and latency of a model, in one run."""

from __future__ import annotations

import argparse
from typing import Any


def _eval(args: argparse.Namespace) -> int:
    from core.settings import load_settings
    from training.evaluation import format_report, run

    overrides = {"backend": args.backend} if args.backend else {}
    settings = load_settings(**overrides)
    report = run(
        settings,
        model=args.model,
        split=args.split,
        limit=args.limit,
        progress=not args.json,
        retrieved_examples=args.retrieved_examples,
    )
    print(report.model_dump_json(indent=2) if args.json else format_report(report))
    return 0 if report.errors == 0 else 1


def register(commands: Any) -> None:
    evaluate = commands.add_parser(
        "eval",
        help="score a model on the held-out conversations and adversarial turns",
        description="Run every tenant turn of the held-out split (with its real history) and "
        "the adversarial cases of config/quality/adversarial.toml through the turn engine, "
        "score each reply, and print pass rate, mean Jamie score, emergency recall and "
        "latency. Needs the conversation corpus: run `pete demo-data` first.",
    )
    evaluate.add_argument("--model", help="model name or alias (default: the default model)")
    evaluate.add_argument("--split", default="held_out", choices=["held_out", "train"])
    evaluate.add_argument("--limit", type=int, help="only the first N corpus turns")
    evaluate.add_argument("--backend", choices=["auto", "ollama", "embedded"])
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument(
        "--retrieved-examples",
        type=int,
        metavar="K",
        help="show the model K similar real exchanges (default: the persona's setting)",
    )
    evaluate.set_defaults(handler=_eval)
