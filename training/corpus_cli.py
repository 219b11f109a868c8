"""`pete demo-data` and `pete conversations export|import`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from core.corpus import insert_conversations, load_conversations
from core.settings import load_settings
from core.store.database import connect, migrate


async def _open_store() -> Any:
    settings = load_settings()
    conn = await connect(settings.database_path)
    await migrate(conn)
    return conn


async def _store_conversations(conversations: list) -> int:  # type: ignore[type-arg]
    conn = await _open_store()
    try:
        await conn.execute("BEGIN")
        added = await insert_conversations(conn, conversations)
        await conn.commit()
    except BaseException:
        await conn.rollback()
        raise
    finally:
        await conn.close()
    return added


async def _seed_tenants() -> int:
    from core.store.writer import StoreWriter
    from core.tools.tenants import seed_demo_tenants

    writer = StoreWriter(load_settings().database_path)
    await writer.start()
    try:
        return await seed_demo_tenants(writer)
    finally:
        await writer.close()


def _demo_data(args: argparse.Namespace) -> int:
    from training.demo_data import generate_demo_conversations

    conversations = generate_demo_conversations(args.seed)
    added = asyncio.run(_store_conversations(conversations))
    held_out = sum(c.split == "held_out" for c in conversations)
    categories = len({c.category for c in conversations})
    print(
        f"demo conversations: {len(conversations)} generated ({categories} categories, "
        f"{held_out} held out), {added} new in the store"
    )
    tenants = asyncio.run(_seed_tenants())
    print(f"demo tenants: {tenants} on file (fictional names, 555-01xx numbers)")
    return 0


def _export(args: argparse.Namespace) -> int:
    from training.conversation_jsonl import write_jsonl

    async def load() -> list:  # type: ignore[type-arg]
        conn = await _open_store()
        try:
            return await load_conversations(conn, split=args.split, source=args.source)
        finally:
            await conn.close()

    count = write_jsonl(asyncio.run(load()), Path(args.path))
    print(f"exported {count} conversations to {args.path}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from training.conversation_jsonl import read_jsonl

    conversations, errors = read_jsonl(Path(args.path))
    for error in errors:
        print(f"{args.path}:{error.line}: skipped: {error.message}", file=sys.stderr)
    added = asyncio.run(_store_conversations(conversations))
    print(
        f"imported {added} new conversations ({len(conversations) - added} already present, "
        f"{len(errors)} bad lines skipped)"
    )
    return 0


def register(commands: Any) -> None:
    demo = commands.add_parser(
        "demo-data",
        help="put the demo conversations and demo tenants in the store",
        description="Generate the demo conversation set (fictional tenants, every category, "
        "a fixed held-out split) and the demo tenants the tools look up, and store them; "
        "running it again adds nothing.",
    )
    demo.add_argument("--seed", type=int, default=20261126)
    demo.set_defaults(handler=_demo_data)

    conversations = commands.add_parser(
        "conversations", help="export or import conversations as JSON Lines"
    )
    actions = conversations.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write conversations to a .jsonl file")
    export.add_argument("path")
    export.add_argument("--split", choices=["train", "held_out"])
    export.add_argument("--source", help="only this source (demo, import, ...)")
    export.set_defaults(handler=_export)
    load = actions.add_parser(
        "import",
        help="read conversations from a .jsonl file "
        "(bad lines are reported and skipped; nothing is half-written)",
    )
    load.add_argument("path")
    load.set_defaults(handler=_import)
