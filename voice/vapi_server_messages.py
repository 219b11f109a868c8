"""VAPI server messages (`POST {server.url}` bodies, protocols.md §1.2) as pydantic models.

Every model keeps unknown fields: VAPI adds fields often, and the raw payload is stored anyway.
Only what the server acts on is typed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from voice.openai_wire import VapiCall


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ServerMessage(_Open):
    type: str = Field(min_length=1)
    call: VapiCall | None = None
    customer: dict[str, Any] | None = None
    phoneNumber: dict[str, Any] | None = None  # VAPI's field name

    @property
    def call_id(self) -> str | None:
        return self.call.id if self.call else None

    @property
    def caller_number(self) -> str | None:
        """The customer's number: on the message, or on its call."""
        on_call = (self.call.model_extra or {}).get("customer") if self.call else None
        for customer in (self.customer, on_call):
            if isinstance(customer, dict) and isinstance(customer.get("number"), str):
                return str(customer["number"])
        return None


class WebhookEnvelope(_Open):
    message: ServerMessage


class FunctionBody(_Open):
    name: str | None = None
    arguments: str | dict[str, Any] | None = None
    parameters: dict[str, Any] | None = None


class ToolCallEntry(_Open):
    """One tool call, in any of the shapes VAPI's pages show:
    `{id, type, function: {name, arguments: "<json>"}}`, `{id, name, arguments: {...}}`,
    `{id, name, parameters: {...}}`."""

    id: str | None = None
    name: str | None = None
    arguments: str | dict[str, Any] | None = None
    parameters: dict[str, Any] | None = None
    function: FunctionBody | None = None

    def tool_name(self) -> str | None:
        return (self.function.name if self.function else None) or self.name

    def tool_arguments(self) -> str | dict[str, Any] | None:
        for candidate in (
            self.function.arguments if self.function else None,
            self.function.parameters if self.function else None,
            self.arguments,
            self.parameters,
        ):
            if candidate is not None:
                return candidate
        return None


class ToolWithToolCall(_Open):
    """`toolWithToolCallList` item: the tool's definition next to the call made of it."""

    name: str | None = None
    function: FunctionBody | None = None
    toolCall: ToolCallEntry | None = None  # VAPI's field name


class ToolInvocation(BaseModel):
    id: str
    name: str | None
    arguments: str | dict[str, Any] | None


class ToolCallsMessage(ServerMessage):
    toolCallList: list[ToolCallEntry] = Field(default_factory=list)
    toolWithToolCallList: list[ToolWithToolCall] = Field(default_factory=list)

    def invocations(self) -> list[ToolInvocation]:
        """`toolCallList` if present, else the calls inside `toolWithToolCallList`."""
        if self.toolCallList:
            entries: list[tuple[ToolCallEntry, ToolWithToolCall | None]] = [
                (entry, None) for entry in self.toolCallList
            ]
        else:
            entries = [
                (item.toolCall or ToolCallEntry(), item) for item in self.toolWithToolCallList
            ]
        invocations = []
        for index, (entry, tool) in enumerate(entries):
            name = entry.tool_name()
            if name is None and tool is not None:
                name = (tool.function.name if tool.function else None) or tool.name
            invocations.append(
                ToolInvocation(
                    id=entry.id or f"call_{index}",
                    name=name,
                    arguments=entry.tool_arguments(),
                )
            )
        return invocations


class FunctionCallMessage(ServerMessage):
    """Legacy (pre-tools) `function-call`: `functionCall: {name, parameters}`."""

    functionCall: FunctionBody  # VAPI's field name


class StatusUpdateMessage(ServerMessage):
    status: str | None = None
    endedReason: str | None = None  # VAPI's field name


class Artifact(_Open):
    transcript: str | None = None
    recordingUrl: str | None = None
    recording: dict[str, Any] | None = None

    def recording_url(self) -> str | None:
        if self.recordingUrl:
            return self.recordingUrl
        mono = (self.recording or {}).get("mono")
        url = mono.get("combinedUrl") if isinstance(mono, dict) else None
        return url if isinstance(url, str) else None


class EndOfCallReportMessage(ServerMessage):
    endedReason: str | None = None
    artifact: Artifact | None = None
    analysis: dict[str, Any] | None = None
    cost: float | None = None
    startedAt: str | None = None
    endedAt: str | None = None
    # Older payloads put these at the top level instead of in `artifact` / `analysis`.
    transcript: str | None = None
    summary: str | None = None
    recordingUrl: str | None = None

    def report_transcript(self) -> str | None:
        return (self.artifact.transcript if self.artifact else None) or self.transcript

    def report_summary(self) -> str | None:
        summary = (self.analysis or {}).get("summary")
        return summary if isinstance(summary, str) and summary else self.summary

    def report_recording_url(self) -> str | None:
        return (self.artifact.recording_url() if self.artifact else None) or self.recordingUrl
