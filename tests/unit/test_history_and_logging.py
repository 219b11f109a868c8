from __future__ import annotations

from core.engine.history import ConversationHistory, trim_history
from core.llm.base import ChatMessage
from core.logging import redact_phone_numbers


def test_history_keeps_whole_recent_exchanges():
    messages = [
        ChatMessage(role="user" if i % 2 == 0 else "assistant", content=str(i)) for i in range(10)
    ]
    recent = trim_history(messages, 5)
    assert recent[0].role == "user" and [m.content for m in recent] == ["6", "7", "8", "9"]


def test_history_forgets_least_recent_calls():
    history = ConversationHistory(max_messages=4, max_calls=2)
    history.append_exchange("a", "hi", "hello")
    history.append_exchange("b", "hi", "hello")
    history.get("a")
    history.append_exchange("c", "hi", "hello")
    assert "a" in history and "c" in history and "b" not in history
    assert history.get("a").turns == 1


def test_phone_numbers_are_redacted_in_logs():
    text = redact_phone_numbers("caller +1 (555) 010-0001 asked about unit 4B on 2026-11-26")
    assert "555" not in text and "[phone …01]" in text
    assert "unit 4B" in text and "2026-11-26" in text
    assert redact_phone_numbers("call +44 20 7946 0958") == "call [phone …58]"
