"""`pete models versions|diff A B|promote V|rollback [V]|modelfile V`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from core.settings import Settings


async def _versions(settings: Settings) -> tuple[list[Any], str]:
    from core.model_settings import ModelSettingsManager
    from training.store import open_store
    from training.versions import list_versions

    manager = ModelSettingsManager(
        settings.model_settings_path, fallback_path=settings.model_settings_fallback_path
    )
    async with open_store(settings) as database:
        return await list_versions(database.conn), manager.current.default_model


def _eval_cell(evaluation: dict[str, Any] | None) -> str:
    if not evaluation:
        return "not evaluated"
    return f"pass {evaluation['pass_rate']:.0%}, score {evaluation['mean_jamie_score']:.1f}"


def _list(args: argparse.Namespace) -> int:
    from core.settings import load_settings

    versions, default = asyncio.run(_versions(load_settings()))
    if args.json:
        import json

        print(
            json.dumps(
                [
                    {**v.model_dump(exclude={"modelfile"}), "default": v.model_name == default}
                    for v in versions
                ],
                indent=2,
            )
        )
        return 0
    if not versions:
        print("no versions yet: run `pete train`")
        return 0
    for record in reversed(versions):  # newest first
        mark = "*" if record.model_name == default else " "
        print(
            f"{mark} {record.label:<9} {record.model_name:<18} {record.created_at[:19]}  "
            f"{record.bump:<5} {len(record.spec.messages) // 2:>2} pairs  "
            f"data {record.dataset_hash[:10]}  {_eval_cell(record.eval)}  {record.reason}"
        )
    if default not in {v.model_name for v in versions}:
        print(f"  (default model is {default}, not a trained version)")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from core.settings import load_settings
    from training.store import open_store
    from training.version_diff import format_diff, load_diff

    async def run() -> Any:
        async with open_store(load_settings()) as database:
            return await load_diff(database.conn, args.a, args.b)

    try:
        diff = asyncio.run(run())
    except LookupError as exc:
        print(f"pete models diff: {exc.args[0]}", file=sys.stderr)
        return 1
    print(diff.model_dump_json(indent=2) if args.json else format_diff(diff))
    return 0


async def change_default(settings: Settings, action: str, ref: str | None, force: bool) -> Any:
    from core.llm.selection import open_backend
    from core.model_settings import ModelSettingsManager
    from core.persona import load_persona
    from training.config import load_training_config
    from training.promotion import let_servers_register, promote, rollback
    from training.store import open_store

    persona = load_persona(settings.personas_dir, settings.persona)
    config = load_training_config(settings.config_dir)
    manager = ModelSettingsManager(
        settings.model_settings_path,
        persona_names=(persona.name,),
        fallback_path=settings.model_settings_fallback_path,
    )
    backend = await open_backend(settings, load_weights=False)
    try:
        async with open_store(settings) as database:
            if action == "promote":
                assert ref is not None
                return await promote(
                    database.conn,
                    manager,
                    backend,
                    ref,
                    config=config.promotion,
                    display_name=persona.display_name,
                    force=force,
                    newly_listed=let_servers_register,
                )
            return await rollback(
                database.conn,
                manager,
                backend,
                ref,
                config=config.promotion,
                display_name=persona.display_name,
                newly_listed=let_servers_register,
            )
    finally:
        await backend.close()


_STATES = {
    "present": "already on the backend",
    "recreated": "was missing on the backend: created again from its stored spec",
    "stored_spec": "embedded backend: the server registers its stored spec",
    "not_a_version": "a base model",
}


def _change(args: argparse.Namespace) -> int:
    from core.llm.base import BackendError
    from core.settings import load_settings
    from training.promotion import PromotionRefused

    overrides = {"backend": args.backend} if args.backend else {}
    try:
        result = asyncio.run(
            change_default(
                load_settings(**overrides),
                args.models_action,
                args.version,
                getattr(args, "force", False),
            )
        )
    except PromotionRefused as exc:
        print(f"pete models {args.models_action}: {exc}", file=sys.stderr)
        return 1
    except BackendError as exc:
        print(f"pete models {args.models_action}: the backend failed: {exc}", file=sys.stderr)
        return 1
    what = "promoted" if result.action == "promote" else "rolled back to"
    forced = (
        " (forced past the gate: " + "; ".join(result.gate_failures) + ")" if result.forced else ""
    )
    name = f"{result.version} ({result.model_name})" if result.version else result.model_name
    print(
        f"{what} {name}; default was "
        f"{result.previous_model}{forced}\n  {_STATES[result.backend_state]}\n"
        "  calls in progress use it from their next turn"
    )
    return 0


def _modelfile(args: argparse.Namespace) -> int:
    from core.settings import load_settings
    from training.store import open_store
    from training.versions import find_version

    async def run() -> Any:
        async with open_store(load_settings()) as database:
            return await find_version(database.conn, args.version)

    record = asyncio.run(run())
    if record is None:
        print(f"pete models modelfile: no version {args.version!r}", file=sys.stderr)
        return 1
    sys.stdout.write(record.modelfile)
    return 0


def register(commands: Any) -> None:
    models = commands.add_parser(
        "models", help="trained versions: list, diff, promote, roll back, show a Modelfile"
    )
    actions = models.add_subparsers(dest="models_action", required=True, metavar="ACTION")
    listing = actions.add_parser("versions", help="every version, newest first (* = default)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    diff = actions.add_parser("diff", help="what changed between two versions")
    diff.add_argument("a", help="a version (v0.1.0) or model name")
    diff.add_argument("b")
    diff.add_argument("--json", action="store_true")
    diff.set_defaults(handler=_diff)
    promote = actions.add_parser(
        "promote", help="make a version the default (gated on its eval results)"
    )
    promote.add_argument("version")
    promote.add_argument("--force", action="store_true", help="promote although the gate says no")
    promote.add_argument("--backend", choices=["auto", "ollama", "embedded"])
    promote.set_defaults(handler=_change)
    rollback = actions.add_parser(
        "rollback", help="go back to the default before the current one, or to VERSION"
    )
    rollback.add_argument("version", nargs="?")
    rollback.add_argument("--backend", choices=["auto", "ollama", "embedded"])
    rollback.set_defaults(handler=_change)
    modelfile = actions.add_parser("modelfile", help="print a version's Modelfile")
    modelfile.add_argument("version")
    modelfile.set_defaults(handler=_modelfile)
