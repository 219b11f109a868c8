"""Per-call conversation memory for channels where the server keeps the history (Twilio relay).

Bounded: the least recently active calls are forgotten first, and each call keeps only its
last `max_messages` messages, because uncached prompt text is the slowest part of a turn.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from core.llm.base import ChatMessage


@dataclass
class CallMemory:
    messages: list[ChatMessage] = field(default_factory=list)
    turns: int = 0


class ConversationHistory:
    def __init__(self, max_messages: int = 12, max_calls: int = 10_000):
        self.max_messages = max_messages
        self.max_calls = max_calls
        self._calls: OrderedDict[str, CallMemory] = OrderedDict()

    def __contains__(self, call_id: str) -> bool:
        return call_id in self._calls

    def get(self, call_id: str) -> CallMemory:
        memory = self._calls.get(call_id)
        if memory is None:
            memory = self._calls[call_id] = CallMemory()
            while len(self._calls) > self.max_calls:
                self._calls.popitem(last=False)
        else:
            self._calls.move_to_end(call_id)
        return memory

    def replace(self, call_id: str, messages: list[ChatMessage]) -> None:
        """The provider sent the whole conversation (VAPI): it is the truth."""
        self.get(call_id).messages = list(messages)

    def append_exchange(self, call_id: str, user_text: str, reply_text: str) -> None:
        memory = self.get(call_id)
        memory.messages.append(ChatMessage(role="user", content=user_text))
        if reply_text:
            memory.messages.append(ChatMessage(role="assistant", content=reply_text))
        memory.turns += 1

    def restore(self, call_id: str, messages: list[ChatMessage], turns: int) -> None:
        """The call's history as stored (Gather: any replica may take the next turn)."""
        memory = self.get(call_id)
        memory.messages = list(messages)
        memory.turns = turns

    def replace_last_reply(self, call_id: str, spoken: str, heard: str) -> None:
        """After a barge-in, the history keeps only the part of the reply that was heard."""
        messages = self.get(call_id).messages
        for index in range(len(messages) - 1, -1, -1):
            message = messages[index]
            if message.role == "assistant" and message.content == spoken:
                if heard:
                    messages[index] = ChatMessage(role="assistant", content=heard)
                else:
                    del messages[index]
                return

    def recent(self, call_id: str) -> list[ChatMessage]:
        return trim_history(self.get(call_id).messages, self.max_messages)

    def forget(self, call_id: str) -> None:
        self._calls.pop(call_id, None)


def trim_history(messages: list[ChatMessage], max_messages: int) -> list[ChatMessage]:
    """The last messages, starting on a user message so the model sees whole exchanges."""
    recent = messages[-max_messages:] if max_messages > 0 else []
    while recent and recent[0].role != "user":
        recent = recent[1:]
    return recent
