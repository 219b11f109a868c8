"""TwiML for every answer we give Twilio, built with twilio's VoiceResponse (never by hand).

Greeting, voice and language come from the persona; URLs from PETE_PUBLIC_URL.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from core.persona import Persona
from core.settings import Settings
from core.spoken_lines import SpokenLines
from voice.twilio_signature import websocket_base

RELAY_PATH = "/twilio/relay"
RELAY_ACTION_PATH = "/twilio/relay/action"
GATHER_PATH = "/twilio/gather"
DIAL_ACTION_PATH = "/twilio/dial/action"
VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/status"


def public_base(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


def say_voice(settings: Settings, persona: Persona) -> str | None:
    """`<Say>` names Google voices `Google.<voice>`; other providers use Twilio's default."""
    if persona.voice and settings.twilio_tts_provider.lower() == "google":
        return f"Google.{persona.voice}"
    return None


def _say(response: VoiceResponse, settings: Settings, persona: Persona, text: str) -> None:
    response.say(text, voice=say_voice(settings, persona), language=persona.language)


def relay_connect(settings: Settings, persona: Persona) -> str:
    """`<Connect action><ConversationRelay ...>`: Twilio speaks, we stream text over a socket."""
    base = public_base(settings)
    response = VoiceResponse()
    connect = response.connect(action=base + RELAY_ACTION_PATH, method="POST")
    relay = connect.conversation_relay(
        url=websocket_base(base) + RELAY_PATH,
        welcome_greeting=persona.greeting,
        welcome_greeting_interruptible="any",
        language=persona.language,
        tts_provider=settings.twilio_tts_provider if persona.voice else None,
        voice=persona.voice or None,
        transcription_provider=settings.twilio_transcription_provider,
        interruptible="any",
        dtmf_detection=True,
    )
    relay.parameter(name="persona", value=persona.name)
    return str(response.to_xml())


def gather(settings: Settings, persona: Persona, text: str, *, empty_results: int = 0) -> str:
    """Say `text` while listening; Twilio posts what it heard (or nothing) to /twilio/gather.

    `empty_results` travels in the action URL, so whichever replica answers next knows how
    many times in a row nothing was heard.
    """
    action = public_base(settings) + GATHER_PATH
    if empty_results:
        action += f"?empty={empty_results}"
    response = VoiceResponse()
    listening = response.gather(
        input="dtmf speech",
        action=action,
        method="POST",
        speech_timeout="auto",
        language=persona.language,
        action_on_empty_result=True,
        num_digits=1,
    )
    listening.say(text, voice=say_voice(settings, persona), language=persona.language)
    return str(response.to_xml())


def goodbye(settings: Settings, persona: Persona, text: str) -> str:
    response = VoiceResponse()
    _say(response, settings, persona, text)
    response.hangup()
    return str(response.to_xml())


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response.to_xml())


def hand_off(settings: Settings, persona: Persona, lines: SpokenLines, say_first: list[str]) -> str:
    """Say `say_first`, then ring the on-call person; without one, apologise and hang up."""
    response = VoiceResponse()
    for text in say_first:
        _say(response, settings, persona, text)
    if settings.oncall_number:
        response.dial(
            settings.oncall_number,
            action=public_base(settings) + DIAL_ACTION_PATH,
            method="POST",
            timeout=30,
        )
    else:
        _say(response, settings, persona, lines.handoff_unavailable)
        response.hangup()
    return str(response.to_xml())
