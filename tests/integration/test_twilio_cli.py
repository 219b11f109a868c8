"""`pete twilio-setup` prints the console settings and the TwiML the server answers with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

PETE = str(Path(sys.executable).parent / "pete")


def run_setup(*args: str) -> str:
    result = subprocess.run(
        [PETE, "twilio-setup", *args], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_relay_settings_name_every_url_under_the_public_url():
    out = run_setup("--public-url", "https://pete.example.com/")
    assert "A call comes in:     Webhook  https://pete.example.com/twilio/voice  HTTP POST" in out
    assert "Call status changes: https://pete.example.com/twilio/status  HTTP POST" in out
    assert "PETE_PUBLIC_URL=https://pete.example.com\n" in out
    assert "wss://pete.example.com/twilio/relay" in out
    twiml = ElementTree.fromstring(out[out.index("<?xml") :].encode())
    relay = twiml.find("Connect/ConversationRelay")
    assert relay is not None and relay.get("url") == "wss://pete.example.com/twilio/relay"
    assert twiml.find("Connect").get("action") == "https://pete.example.com/twilio/relay/action"
    assert "WARNING" not in out


def test_gather_mode_and_a_plain_http_url_are_flagged():
    out = run_setup("--public-url", "http://10.0.0.5:8000", "--mode", "gather")
    assert "PETE_TWILIO_MODE=gather" in out and "WARNING: Twilio needs https" in out
    twiml = ElementTree.fromstring(out[out.index("<?xml") :].encode())
    assert twiml.find("Gather").get("action") == "http://10.0.0.5:8000/twilio/gather"


def test_help_lists_the_command():
    out = subprocess.run([PETE, "--help"], capture_output=True, text=True, check=True).stdout
    assert "twilio-setup" in out
