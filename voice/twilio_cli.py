"""`pete twilio-setup`: the exact Twilio console settings for a public URL, and the TwiML the
server will answer with, so what is typed in the console can be checked against the server."""

from __future__ import annotations

import argparse
from typing import Any

Commands = Any  # argparse's private _SubParsersAction


def console_settings(public_url: str, mode: str | None = None) -> str:
    from core.persona import load_persona
    from core.settings import load_settings
    from voice import twilio_twiml
    from voice.twilio_signature import websocket_base

    overrides: dict[str, Any] = {"public_url": public_url.rstrip("/")}
    if mode:
        overrides["twilio_mode"] = mode
    settings = load_settings(**overrides)
    persona = load_persona(settings.personas_dir, settings.persona)
    base = twilio_twiml.public_base(settings)
    if settings.twilio_mode == "relay":
        answer = twilio_twiml.relay_connect(settings, persona)
        channel = f"ConversationRelay websocket: {websocket_base(base)}{twilio_twiml.RELAY_PATH}"
    else:
        answer = twilio_twiml.gather(settings, persona, persona.greeting)
        channel = f"Gather action: {base}{twilio_twiml.GATHER_PATH}"
    oncall = settings.oncall_number or "(not set: handoffs apologise and hang up)"
    warning = [] if base.startswith("https://") else ["WARNING: Twilio needs https and wss.", ""]
    return "\n".join(
        [
            f"Twilio console settings for {base} (PETE_TWILIO_MODE={settings.twilio_mode})",
            "",
            *warning,
            "Phone Numbers > Manage > Active numbers > (the property's number) > Configure",
            "  Voice Configuration",
            "    Configure with:      Webhook, TwiML Bin, Function, Studio or Proxy -> Webhook",
            f"    A call comes in:     Webhook  {base}{twilio_twiml.VOICE_PATH}  HTTP POST",
            "    Primary handler fails: leave empty",
            f"    Call status changes: {base}{twilio_twiml.STATUS_PATH}  HTTP POST",
            "",
            "Voice > Settings > General: accept the AI/ML features addendum (ConversationRelay).",
            "",
            "On the server (secrets from the environment only):",
            f"  PETE_PUBLIC_URL={base}",
            "  PETE_TWILIO_AUTH_TOKEN=<Account Info > Auth Token (the primary one)>",
            f"  PETE_TWILIO_MODE={settings.twilio_mode}",
            f"  PETE_ONCALL_NUMBER={oncall}",
            "",
            "Set by the server in its TwiML (nothing to type in the console):",
            f"  {channel}",
            f"  Session end (handoffs): {base}{twilio_twiml.RELAY_ACTION_PATH}",
            "",
            f"TwiML answered at {twilio_twiml.VOICE_PATH}:",
            answer,
        ]
    )


def _print_settings(args: argparse.Namespace) -> int:
    print(console_settings(args.public_url, args.mode))
    return 0


def register(commands: Commands) -> None:
    setup = commands.add_parser(
        "twilio-setup",
        help="print the Twilio console settings for a public URL",
        description="Print what to enter in the Twilio console for this server, reachable at "
        "PUBLIC_URL (https, as Twilio calls it), and the TwiML the server answers with.",
    )
    setup.add_argument("--public-url", required=True, help="e.g. https://pete.example.com")
    setup.add_argument(
        "--mode", choices=["relay", "gather"], help="answer mode (PETE_TWILIO_MODE, default relay)"
    )
    setup.set_defaults(handler=_print_settings)
