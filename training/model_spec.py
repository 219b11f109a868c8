"""A version's ModelSpec (persona prompt, base model, parameters, example pairs), its version key,
and its Modelfile: a human-readable export for the record, never sent to a server (current
Ollama accepts only the structured create call).

The version key is a hash of the spec (without its name) and of the dataset it was built
from: the same inputs give the same key, and any change to the data, the base model, the
prompt or the parameters gives a new one. The model's name is derived from the key, so the
same content always has the same name on the backend.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from core.llm.base import ChatMessage, ModelSpec
from core.persona import Persona
from training.datasets import DatasetItem

KEY_LENGTH = 16
_QUOTE = '"""'


def build_spec(
    persona: Persona,
    base_model: str,
    parameters: dict[str, Any],
    examples: list[DatasetItem],
    template: str | None = None,
) -> ModelSpec:
    messages = []
    for example in examples:
        messages.append(ChatMessage(role="user", content=example.tenant))
        messages.append(ChatMessage(role="assistant", content=example.jamie))
    return ModelSpec(
        name="",
        base_model=base_model,
        system=persona.system_prompt,
        parameters=dict(sorted(parameters.items())),
        messages=messages,
        template=template,  # None: the base model's own chat template (and its stop tokens)
    )


def version_key(spec: ModelSpec, dataset_hash: str) -> str:
    content = spec.model_dump(mode="json", exclude={"name"})
    canonical = json.dumps([content, dataset_hash], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:KEY_LENGTH]


def model_name(prefix: str, key: str) -> str:
    return f"{prefix}-{key[:10]}"


def _quoted(text: str) -> str:
    """Modelfile quoting: triple quotes, or a JSON-escaped string when the text has some."""
    if _QUOTE in text or text.endswith('"'):
        return json.dumps(text, ensure_ascii=False)
    return f"{_QUOTE}{text}{_QUOTE}"


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def to_modelfile(spec: ModelSpec, header: list[str]) -> str:
    """Readable by a person and by `ollama create -f` (which parses it client-side)."""
    lines = [f"# {line}" for line in header]
    lines.append(f"FROM {spec.base_model}")
    if spec.system:
        lines.append(f"SYSTEM {_quoted(spec.system)}")
    if spec.template:
        lines.append(f"TEMPLATE {_quoted(spec.template)}")
    for key, value in spec.parameters.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"PARAMETER {key} {_value(item)}")
    for number, message in enumerate(spec.messages):
        if number % 2 == 0:
            lines.append(f"# example {number // 2 + 1}")
        lines.append(f"MESSAGE {message.role} {_quoted(message.content)}")
    return "\n".join(lines) + "\n"


def _read_string(rest: str, lines: list[str], index: int) -> tuple[str, int]:
    """A (possibly multi-line) triple-quoted, JSON-quoted or bare argument."""
    if rest.startswith(_QUOTE):
        body = rest[len(_QUOTE) :]
        collected = []
        while _QUOTE not in body:
            collected.append(body)
            index += 1
            if index >= len(lines):
                raise ValueError("unterminated triple-quoted string")
            body = lines[index]
        collected.append(body[: body.index(_QUOTE)])
        return "\n".join(collected), index
    if rest.startswith('"'):
        return json.loads(rest), index
    return rest, index


def _parameter(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def parse_modelfile(text: str, name: str = "") -> ModelSpec:
    """The spec a Modelfile describes (FROM, SYSTEM, TEMPLATE, PARAMETER, MESSAGE)."""
    lines = text.splitlines()
    base = system = template = None
    parameters: dict[str, Any] = {}
    messages: list[ChatMessage] = []
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if line and not line.startswith("#"):
            command, _, rest = line.partition(" ")
            command, rest = command.upper(), rest.strip()
            if command == "FROM":
                base = rest
            elif command in ("SYSTEM", "TEMPLATE"):
                value, index = _read_string(rest, lines, index)
                system, template = (value, template) if command == "SYSTEM" else (system, value)
            elif command == "PARAMETER":
                key, _, raw = rest.partition(" ")
                value = _parameter(raw.strip())
                if key in parameters:
                    existing = parameters[key]
                    parameters[key] = [
                        *(existing if isinstance(existing, list) else [existing]),
                        value,
                    ]
                else:
                    parameters[key] = [value] if key == "stop" else value
            elif command == "MESSAGE":
                role, _, raw = rest.partition(" ")
                content, index = _read_string(raw.strip(), lines, index)
                messages.append(ChatMessage(role=role, content=content))  # type: ignore[arg-type]
            else:
                raise ValueError(f"line {index + 1}: unknown instruction {command}")
        index += 1
    if base is None:
        raise ValueError("no FROM line")
    return ModelSpec(
        name=name,
        base_model=base,
        system=system,
        parameters=parameters,
        messages=messages,
        template=template,
    )
