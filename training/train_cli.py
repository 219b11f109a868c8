"""`pete train` and `pete datasets build|list`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from training.import_cli import EXIT_INTERRUPTED


def _filters(args: argparse.Namespace) -> Any:
    from training.datasets import DatasetFilters

    return DatasetFilters(
        categories=args.category or [],
        sources=args.source or [],
        since=args.since,
        until=args.until,
        min_score=args.min_score,
        corrections=not args.no_corrections,
    )


def _add_filters(command: Any) -> None:
    command.add_argument("--dataset", default="default", help="dataset name (default: default)")
    command.add_argument("--category", action="append", help="only this category (repeatable)")
    command.add_argument(
        "--source",
        action="append",
        help="only this source: demo, seed_db, csv, json, jsonl, logged, ...",
    )
    command.add_argument("--since", help="conversations from this date (YYYY-MM-DD or ISO)")
    command.add_argument("--until", help="conversations up to this date, inclusive")
    command.add_argument("--min-score", type=float, help="replies with a Jamie score of at least")
    command.add_argument(
        "--no-corrections",
        action="store_true",
        help="leave out corrections of failed live and replayed replies",
    )


def format_train(result: Any) -> str:
    from training.version_diff import format_diff

    data = result.dataset
    lines = []
    if result.status == "unchanged":
        lines.append(
            f"nothing changed: {result.version} ({result.model_name}) already has key "
            f"{result.version_key}; no new version"
        )
    else:
        lines.append(
            f"created {result.version} ({result.model_name}), {result.bump}: {result.reason}"
        )
        lines.append(f"  previous version: {result.previous or 'none'}")
        lines.append(f"  Modelfile: {result.modelfile_path}")
    lines.append(
        f"  dataset {data.name} {data.content_hash[:12]}: {data.conversations} conversations, "
        f"{data.exchanges} exchanges, {data.corrections} corrections; "
        f"{result.examples} example pairs"
    )
    if result.eval:
        ev = result.eval
        recall = "n/a" if ev.get("emergency_recall") is None else f"{ev['emergency_recall']:.0%}"
        lines.append(
            f"  eval: pass rate {ev['pass_rate']:.1%}, "
            f"mean Jamie score {ev['mean_jamie_score']:.1f}, "
            f"emergency recall {recall}, {ev['cases']} turns"
        )
    if result.promotion:
        lines.append(f"  promoted to default (was {result.promotion.previous_model})")
    elif result.gate_failures:
        lines.append("  not promoted: " + "; ".join(result.gate_failures))
    if result.diff is not None:
        lines.append(format_diff(result.diff))
    return "\n".join(lines)


def _train(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from core.llm.base import BackendError
    from core.settings import load_settings
    from training.progress import Progress, default_mode
    from training.train import TrainingError, TrainOptions, train

    overrides = {"backend": args.backend} if args.backend else {}
    settings = load_settings(**overrides)
    try:
        options = TrainOptions(
            dataset_name=args.dataset,
            filters=_filters(args),
            base_model=args.base_model,
            major=args.major,
            evaluate=not args.no_eval,
            eval_limit=args.eval_limit,
            promote=args.promote,
            force_promote=args.force,
            reason=args.reason,
        )
    except ValidationError as exc:
        print(f"pete train: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    progress = Progress(args.progress or default_mode(args.json))
    try:
        result = asyncio.run(train(settings, options, progress=progress))
    except KeyboardInterrupt:
        print("\ninterrupted: the store holds only whole steps; run it again", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (TrainingError, BackendError, ValueError) as exc:
        print(f"pete train: {exc}", file=sys.stderr)
        return 1
    print(result.model_dump_json(indent=2) if args.json else format_train(result))
    return 0


def _datasets_build(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from core.settings import load_settings
    from training.train import build_and_save

    try:
        filters = _filters(args)
    except ValidationError as exc:
        print(f"pete datasets: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    try:
        dataset = asyncio.run(build_and_save(load_settings(), args.dataset, filters))
    except ValueError as exc:
        print(f"pete datasets: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(dataset.model_dump_json(indent=2, exclude={"items"}))
    else:
        print(
            f"dataset {dataset.name} #{dataset.id}: hash {dataset.content_hash}, "
            f"{dataset.conversations} conversations, {dataset.exchanges} exchanges, "
            f"{dataset.corrections} corrections"
        )
        for category, count in dataset.categories().items():
            print(f"  {category:<32} {count}")
    return 0


def _datasets_list(args: argparse.Namespace) -> int:
    from core.settings import load_settings
    from training.train import list_datasets

    rows = asyncio.run(list_datasets(load_settings()))
    for row in rows:
        print(
            f"#{row['id']:<4} {row['name']:<16} {row['content_hash'][:12]}  {row['created_at']}  "
            f"{row['conversations']} conversations, {row['exchanges']} exchanges, "
            f"{row['corrections']} corrections"
        )
    if not rows:
        print("no datasets yet (`pete train` or `pete datasets build` makes one)")
    return 0


def register(commands: Any) -> None:
    command = commands.add_parser(
        "train",
        help="build a new Jamie version, only if data, base model, prompt or parameters changed",
        description="Build the dataset (train split, PII scrubbed), choose example pairs, and "
        "create a new version only when its key (a hash of the spec and the data) is new: "
        "created on the active backend, evaluated with `pete eval`'s measures on the held-out "
        "split, recorded with a semantic version (patch for new data, minor when eval improves "
        "by the configured margin, major with --major) and listed in model_settings.json.",
    )
    _add_filters(command)
    command.add_argument("--base-model", help="build on this base model")
    command.add_argument("--major", action="store_true", help="bump the major version")
    command.add_argument("--reason", help="why (shown in the history)")
    command.add_argument("--no-eval", action="store_true", help="skip the evaluation")
    command.add_argument(
        "--eval-limit",
        type=int,
        help="held-out turns to evaluate (default: config/training.toml; 0: all)",
    )
    command.add_argument(
        "--promote", action="store_true", help="make it the default if it passes the promotion gate"
    )
    command.add_argument("--force", action="store_true", help="with --promote: ignore the gate")
    command.add_argument("--backend", choices=["auto", "ollama", "embedded"])
    command.add_argument("--progress", choices=["bar", "json", "off"])
    command.add_argument("--json", action="store_true", help="print the result as JSON")
    command.set_defaults(handler=_train)

    datasets = commands.add_parser("datasets", help="build or list training datasets")
    actions = datasets.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="build and store a dataset (same filters and data: same hash)"
    )
    _add_filters(build)
    build.add_argument("--json", action="store_true")
    build.set_defaults(handler=_datasets_build)
    listing = actions.add_parser("list", help="the stored datasets")
    listing.set_defaults(handler=_datasets_list)
