"""Start-up of reply quality for the server: demo corpus for an empty store, the scoring worker."""

from __future__ import annotations

from core.corpus import insert_conversations
from core.logging import get_logger
from core.quality.retrieval import ExampleRetriever
from core.quality.service import QualityService, safety_sentence_lookup
from core.store.database import Database
from voice.services import Services

log = get_logger(__name__)


async def seed_demo_conversations(database: Database) -> int:
    """The demo conversations, when the store has no conversations at all (a first run)."""
    rows = await database.fetch_all("SELECT COUNT(*) AS n FROM conversations")
    if rows[0]["n"]:
        return 0
    from training.demo_data import generate_demo_conversations

    conn = database.conn
    try:
        added = await insert_conversations(conn, generate_demo_conversations())
        await conn.commit()
    except BaseException:
        await conn.rollback()
        raise
    log.info("demo_conversations_seeded", conversations=added)
    return added


async def start_quality(svc: Services) -> QualityService | None:
    settings = svc.settings
    if settings.seed_demo_data:
        await seed_demo_conversations(svc.database)
    if not settings.quality_scoring:
        return None
    quality = QualityService(
        persona=svc.persona,
        quality_dir=settings.quality_dir,
        cache_dir=settings.cache_dir,
        database=svc.database,
        writer=svc.writer,
        queue_size=settings.scoring_queue_size,
        safety_sentence_for=safety_sentence_lookup(svc.engine.safety_gate.emergencies),
    )
    svc.engine.turn_listeners.append(quality.worker.submit_turn)
    if svc.persona.retrieved_examples > 0:
        svc.engine.example_retriever = ExampleRetriever(
            quality.embedder, lambda: quality.index, svc.persona.retrieved_examples
        )
    quality.start()
    return quality
