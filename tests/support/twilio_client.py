"""Plays Twilio's side of a call against the real server, as protocols.md §2, §4, §5 describe:
signed webhooks (form posts), the signed websocket upgrade, ConversationRelay frames."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection, connect

PUBLIC_URL = "https://pete.example.test"  # what Twilio calls; the server sits behind a proxy
AUTH_TOKEN = "twilio-test-auth-token"
CALLER = "+15550100001"
PROPERTY_LINE = "+15550100000"
ONCALL = "+15550109999"


class TwilioSigner:
    def __init__(self, token: str = AUTH_TOKEN, public_url: str = PUBLIC_URL):
        self.validator = RequestValidator(token)
        self.public_url = public_url.rstrip("/")

    def sign(self, url: str, params: dict[str, str] | None = None) -> str:
        return self.validator.compute_signature(url, params or {})

    def post(
        self,
        base_url: str,
        path: str,
        params: dict[str, str],
        *,
        signature: str | None = "valid",
    ) -> httpx.Response:
        """POST a form as Twilio would; `signature=None` omits the header, any other text but
        "valid" is sent as is."""
        headers = {}
        if signature == "valid":
            headers["X-Twilio-Signature"] = self.sign(self.public_url + path, params)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        return httpx.post(base_url + path, data=params, headers=headers, timeout=30)


def call_form(call_sid: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": CALLER,
        "To": PROPERTY_LINE,
        "Direction": "inbound",
        "CallStatus": "in-progress",
        "ApiVersion": "2010-04-01",
        **extra,
    }


class RelayCall:
    """One ConversationRelay websocket, Twilio's end."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws

    @classmethod
    async def open(
        cls,
        base_url: str,
        signer: TwilioSigner | None = None,
        *,
        signed_url: str | None = None,
        signature: str | None = "valid",
    ) -> RelayCall:
        signer = signer or TwilioSigner()
        headers = {}
        if signature == "valid":
            url = signed_url or (signer.public_url.replace("https://", "wss://") + "/twilio/relay")
            headers["X-Twilio-Signature"] = signer.sign(url)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        ws_url = base_url.replace("http://", "ws://") + "/twilio/relay"
        return cls(await connect(ws_url, additional_headers=headers, max_queue=None))

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def setup(self, call_sid: str, **extra: Any) -> None:
        await self.send(
            {
                "type": "setup",
                "sessionId": "VX" + call_sid[2:],
                "accountSid": "AC00000000000000000000000000000000",
                "parentCallSid": "",
                "callSid": call_sid,
                "from": CALLER,
                "to": PROPERTY_LINE,
                "forwardedFrom": PROPERTY_LINE,
                "callType": "PSTN",
                "callerName": "",
                "direction": "inbound",
                "callStatus": "RINGING",
                "customParameters": {"persona": "jamie"},
                **extra,
            }
        )

    async def prompt(self, text: str, last: bool = True) -> None:
        await self.send({"type": "prompt", "voicePrompt": text, "lang": "en-US", "last": last})

    async def interrupt(self, heard: str, duration_ms: int | str = "460") -> None:
        await self.send(
            {
                "type": "interrupt",
                "utteranceUntilInterrupt": heard,
                "durationUntilInterruptMs": duration_ms,
            }
        )

    async def dtmf(self, digit: str) -> None:
        await self.send({"type": "dtmf", "digit": digit})

    async def frame(self, wait_s: float = 30) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.ws.recv(), wait_s))  # type: ignore[no-any-return]

    async def reply(self, wait_s: float = 30) -> list[dict[str, Any]]:
        """The text frames of one reply, up to and including the one with `last: true`."""
        frames: list[dict[str, Any]] = []
        while True:
            frame = await self.frame(wait_s)
            assert frame["type"] == "text", frame
            frames.append(frame)
            if frame["last"]:
                return frames

    async def close(self) -> None:
        await self.ws.close()


def text_of(frames: list[dict[str, Any]]) -> str:
    return "".join(frame["token"] for frame in frames)
