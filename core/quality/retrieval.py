"""Retrieved examples (persona option `retrieved_examples = k`): the k real exchanges most
like the tenant's words, shown to the model before it answers.

This runs before the first token, so it never waits: no index or embedding model yet means
no examples. The utterance is embedded on the caller's turn directly (one sentence, ~20 ms),
not behind the background scoring work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core.llm.base import ChatMessage
from core.quality.embeddings import Embedder
from core.quality.reference_index import ReferenceIndex


class ExampleRetriever:
    def __init__(self, embedder: Embedder, index: Callable[[], ReferenceIndex | None], k: int):
        self.embedder = embedder
        self.index = index
        self.k = k

    async def __call__(self, tenant_text: str) -> list[ChatMessage]:
        index = self.index()
        if self.k <= 0 or index is None or not len(index) or not self.embedder.ready:
            return []
        vector = (await asyncio.to_thread(self.embedder.encode_unlocked, [tenant_text]))[0]
        neighbours = index.nearest(vector, self.k)
        lines = [f'A tenant said "{n.tenant}" and Jamie answered "{n.jamie}"' for n in neighbours]
        return [
            ChatMessage(
                role="system", content="Replies Jamie gave on similar calls:\n" + "\n".join(lines)
            )
        ]
