"""`pete`: the command line of PeteOllama.

Each area adds its own subcommands through a `register(commands)` function listed in
`COMMAND_GROUPS`; a registrar must import heavy modules (torch, llama_cpp) inside its
handlers, so `pete --help` stays instant.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import sys
from collections.abc import Callable
from typing import Any

from core.logging import configure_logging
from core.settings import load_settings

# "module:function" registrars, each adding subcommands to the `pete` parser.
COMMAND_GROUPS: list[str] = [
    "training.corpus_cli:register",
    "training.eval_cli:register",
    "training.import_cli:register",
    "training.train_cli:register",
    "training.models_cli:register",
    "training.replay_cli:register",
    "voice.twilio_cli:register",
]

Commands = Any  # argparse's private _SubParsersAction


def _serve(args: argparse.Namespace) -> int:
    overrides = {
        key: value
        for key, value in {"host": args.host, "port": args.port, "backend": args.backend}.items()
        if value is not None
    }
    settings = load_settings(**overrides)
    configure_logging(settings.log_level, settings.log_json)
    from voice.server import serve_forever

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(settings))
    return 0


def _register_serve(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="start the server (VAPI custom LLM at /vapi, health at /health)",
        description="Start the aiohttp server. The backend is Ollama when one answers at "
        "OLLAMA_HOST, else the embedded CPU model (PETE_BACKEND=auto|ollama|embedded).",
    )
    serve.add_argument("--host", help="interface to bind (PETE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (PETE_PORT, default 8000)")
    serve.add_argument(
        "--backend",
        choices=["auto", "ollama", "embedded"],
        help="LLM backend (PETE_BACKEND, default auto)",
    )
    serve.set_defaults(handler=_serve)


def _registrar(path: str) -> Callable[[Commands], None]:
    module, _, function = path.partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pete",
        description="PeteOllama: Jamie, the AI property manager, answering tenants' phone "
        "calls. Configuration comes from PETE_* environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _register_serve(commands)
    for path in COMMAND_GROUPS:
        _registrar(path)(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "serve":  # a command's output is its report; logs only when they matter
        configure_logging("WARNING", json_output=False)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
