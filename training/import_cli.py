"""`pete import`: a seed-shaped SQLite database, a CSV/JSON/JSONL upload, or the logged calls."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import Settings
from training.progress import Progress, default_mode

if TYPE_CHECKING:
    from training.importer import ImportReport

EXIT_INTERRUPTED = 130


async def run_import(
    settings: Settings,
    *,
    path: Path | None,
    file_format: str | None,
    logged_calls: bool,
    second_opinion: bool,
    progress: Progress,
) -> ImportReport:
    from core.categories import Categories
    from training.categorize import ThreadCategorizer
    from training.config import load_training_config
    from training.importer import import_calls, known_fingerprints
    from training.logged_calls import read_logged_calls
    from training.seed_db import is_seed_database, read_seed_database
    from training.speakers import SpeakerResolver
    from training.store import open_store
    from training.upload_files import detect_format, read_upload

    config = load_training_config(settings.config_dir)
    resolver = SpeakerResolver(config.speakers)
    categories = Categories.load(settings.config_dir)
    async with open_store(settings) as database:
        progress.stage("reading")
        problems: list[Any] = []
        empty = 0
        if logged_calls:
            source = "logged"
            calls = await read_logged_calls(database.conn, config.import_.logged_call_idle_minutes)
        else:
            assert path is not None
            chosen = file_format or ("db" if is_seed_database(path) else detect_format(path))
            if chosen == "db":
                source = "seed_db"
                calls, problems, empty = await asyncio.to_thread(read_seed_database, path, resolver)
            else:
                source = chosen
                text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
                calls, problems, empty = read_upload(text, chosen, resolver)  # type: ignore[arg-type]
        known = await known_fingerprints(database.conn, [c.fingerprint for c in calls])
        if second_opinion and any(c.fingerprint not in known for c in calls):
            progress.stage("embeddings")
            categorizer = await ThreadCategorizer.with_second_opinion(
                categories,
                database,
                settings.cache_dir,
                config.import_.second_opinion_min_similarity,
            )
        else:
            categorizer = ThreadCategorizer(categories)
        return await import_calls(
            database.conn,
            source,
            calls,
            config=config.import_,
            categorizer=categorizer,
            problems=problems,
            without_exchange=empty,
            progress=progress,
        )


def _import(args: argparse.Namespace) -> int:
    from core.settings import load_settings
    from training.importer import format_report
    from training.seed_db import NotASeedDatabase

    if bool(args.path) == bool(args.logged_calls):
        print("pete import: give a file, or --logged-calls (not both)", file=sys.stderr)
        return 2
    settings = load_settings()
    path = Path(args.path) if args.path else None
    if path is not None and not path.is_file():
        print(f"pete import: {path} is not a file", file=sys.stderr)
        return 2
    progress = Progress(args.progress or default_mode(args.json))
    try:
        report = asyncio.run(
            run_import(
                settings,
                path=path,
                file_format=args.format,
                logged_calls=args.logged_calls,
                second_opinion=not args.no_second_opinion,
                progress=progress,
            )
        )
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was imported", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, NotASeedDatabase, UnicodeDecodeError) as exc:
        print(f"pete import: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(
            f"{args.path or 'logged calls'}: {problem.ref}: skipped: {problem.message}",
            file=sys.stderr,
        )
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(format_report(report, str(args.path or "logged calls")))
    return 0


def register(commands: Any) -> None:
    command = commands.add_parser(
        "import",
        help="import calls: a seed pete.db, a CSV/JSON/JSONL file, or the logged calls",
        description="Import calls as conversations of the training corpus. A SQLite file shaped "
        "like the seed's pete.db (communication_logs: speakers from TranscriptionJson, text "
        "heuristics only without it), a CSV, JSON or JSONL upload (see README), or this "
        "server's own logged calls. Calls are threaded per caller and time window and "
        "categorised; bad rows are reported and skipped; importing again adds nothing; the "
        "whole import is one transaction (Ctrl-C leaves the store as it was).",
    )
    command.add_argument("path", nargs="?", help="the file to import")
    command.add_argument(
        "--format",
        choices=["db", "csv", "json", "jsonl"],
        help="file format (default: from the file's content and name)",
    )
    command.add_argument(
        "--logged-calls",
        action="store_true",
        help="import the calls this server logged (ended or idle)",
    )
    command.add_argument(
        "--no-second-opinion",
        action="store_true",
        help="categorise by phrases only (skips loading the embedding model)",
    )
    command.add_argument("--progress", choices=["bar", "json", "off"])
    command.add_argument("--json", action="store_true", help="print the report as JSON")
    command.set_defaults(handler=_import)
