"""`pete`: the command line of PeteOllama."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from core.logging import configure_logging
from core.settings import load_settings


def _serve(args: argparse.Namespace) -> int:
    overrides = {
        k: v
        for k, v in {"host": args.host, "port": args.port, "backend": args.backend}.items()
        if v is not None
    }
    settings = load_settings(**overrides)
    configure_logging(settings.log_level, settings.log_json)
    from voice.server import serve_forever

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(settings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pete",
        description="PeteOllama: Jamie, the AI property manager, answering tenants' phone calls. "
        "Configuration comes from PETE_* environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
