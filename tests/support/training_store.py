"""A small corpus in a test's store, and edits of the test's copy of config/training.toml."""

from __future__ import annotations

import re

from core.corpus import Conversation, insert_conversations
from core.settings import Settings
from core.store.database import Database
from training.demo_data import generate_demo_conversations

_DEMO = generate_demo_conversations()
# 90 training threads and 6 held-out ones: enough for every routine category, quick to embed.
CORPUS = [c for c in _DEMO if c.split == "train"][:90] + [
    c for c in _DEMO if c.split == "held_out"
][:6]


async def seed(settings: Settings, conversations: list[Conversation]) -> None:
    database = Database(settings.database_path)
    await database.open()
    await insert_conversations(database.conn, conversations)
    await database.conn.commit()
    await database.close()


def set_parameter(settings: Settings, name: str, value: float) -> None:
    """Change one `name = value` line of the test's config/training.toml."""
    path = settings.config_dir / "training.toml"
    text, count = re.subn(rf"(?m)^{name} = .*$", f"{name} = {value}", path.read_text())
    assert count == 1, f"{name} is not a line of training.toml"
    path.write_text(text)
