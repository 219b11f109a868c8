"""OpenAI chat-completions wire format, as VAPI's custom-LLM client sends and parses it."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.llm.base import ChatMessage, ToolCall


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    tool_calls: list[dict[str, Any]] | None = None  # assistant: the tools it called
    tool_call_id: str | None = None  # tool: which call this is the result of
    name: str | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if self.content is None:
            return ""
        return "".join(part.text or "" for part in self.content if part.type == "text")


class VapiCall(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None
    type: str | None = None
    phoneCallProviderId: str | None = None  # VAPI's field name


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class OpenAIFunction(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    description: str | None = None
    parameters: dict[str, Any] | None = None


class OpenAITool(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["function"] = "function"
    function: OpenAIFunction


class ChatCompletionRequest(BaseModel):
    """OpenAI's body plus VAPI's extras (`call`, `metadata`, `customer`, `phoneNumber`)."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = True  # VAPI streams; a body without `stream` gets SSE
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    tools: list[OpenAITool] | None = None
    call: VapiCall | None = None
    metadata: dict[str, Any] | None = None
    customer: dict[str, Any] | None = None
    phoneNumber: dict[str, Any] | None = None  # VAPI's field name


def split_conversation(messages: list[OpenAIMessage]) -> tuple[str, list[ChatMessage]] | None:
    """The last user utterance, and the user/assistant exchanges before it.

    The provider's system messages are dropped: the persona's prompt is the one Jamie uses.
    Tool traffic is dropped too; the model sees what was said.
    """
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        return None
    utterance = messages[last_user].text().strip()
    if not utterance:
        return None
    history = [
        ChatMessage(role=m.role, content=m.text())  # type: ignore[arg-type]
        for m in messages[:last_user]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return utterance, history


def _called_tool(call: dict[str, Any]) -> ToolCall | None:
    function = call.get("function") or {}
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or not name:
        return None
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            arguments = {"raw": arguments}
    return ToolCall(
        id=str(call.get("id") or ""),
        name=name,
        arguments=arguments if isinstance(arguments, dict) else {},
    )


def tool_exchange(messages: list[OpenAIMessage]) -> list[ChatMessage]:
    """The tool calls and results after the last user message, when the provider ran the
    model's tools and asks for the reply that uses their results."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        return []
    exchange: list[ChatMessage] = []
    names: dict[str, str] = {}
    for message in messages[last_user + 1 :]:
        if message.role == "assistant" and message.tool_calls:
            calls = [c for c in map(_called_tool, message.tool_calls) if c is not None]
            names.update({c.id: c.name for c in calls})
            exchange.append(ChatMessage(role="assistant", content=message.text(), tool_calls=calls))
        elif message.role in ("tool", "function"):
            name = names.get(message.tool_call_id or "") or message.name
            exchange.append(ChatMessage(role="tool", content=message.text(), tool_name=name))
    return exchange


class FunctionCallOut(BaseModel):
    name: str
    arguments: str  # a JSON string, as OpenAI clients expect


class ToolCallOut(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCallOut


class ToolCallDelta(ToolCallOut):
    index: int


def openai_tool_calls(calls: list[ToolCall]) -> list[ToolCallDelta]:
    return [
        ToolCallDelta(
            index=index,
            id=call.id,
            function=FunctionCallOut(name=call.name, arguments=json.dumps(call.arguments)),
        )
        for index, call in enumerate(calls)
    ]


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: str | None = None


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None


class CompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[ToolCallOut] | None = None


class CompletionChoice(BaseModel):
    index: int = 0
    message: CompletionMessage
    finish_reason: str


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "peteollama"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def openai_finish_reason(reason: str | None) -> str:
    return reason if reason in ("length", "tool_calls") else "stop"
