"""Datasets: a named, reproducible selection of the corpus, scrubbed of PII, with a content hash.

Items are the train split's exchanges that pass the filters, plus corrections (failed live or
replayed replies with a good reply). The held-out split is never in a dataset: no held-out
conversation, no exchange or correction whose tenant line is also a held-out line, and no
correction made from an eval turn; evaluation must not see its own answers. The hash covers
the content only (not the name or the order rows were stored in), so the same store and
filters always give the same hash.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable

import aiosqlite
import pendulum
from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.categories import Categories
from core.clock import utc_now_iso
from core.corpus import Conversation, load_conversations
from core.quality.checks import ReplyChecker
from core.quality.scoring import jamie_score
from core.text_match import normalize_words
from training.pii import PiiScrubber
from training.store import transaction

CORRECTION_KINDS = ("correction", "replay_correction")
_NOT_FROM = ("eval", "bench")  # channels whose failures must not become training data


class DatasetFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    since: str | None = None  # a date or an ISO timestamp, inclusive
    until: str | None = None  # a date (the whole day) or an ISO timestamp, inclusive
    min_score: float | None = Field(default=None, ge=0, le=100)
    corrections: bool = True

    @field_validator("since", "until")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        if value is not None:
            pendulum.parse(value, tz="UTC")  # raises on a bad date
        return value

    def window(self) -> tuple[pendulum.DateTime | None, pendulum.DateTime | None]:
        since = pendulum.parse(self.since, tz="UTC") if self.since else None
        until = None
        if self.until:
            until = pendulum.parse(self.until, tz="UTC")
            if len(self.until.strip()) <= 10:  # a date: up to the end of that day
                until = until.end_of("day")  # type: ignore[union-attr]
        return since, until  # type: ignore[return-value]


class DatasetItem(BaseModel):
    kind: str
    ref: str
    category: str
    tenant: str
    jamie: str
    quality: float
    passed: bool


class Dataset(BaseModel):
    id: int | None = None
    name: str
    filters: DatasetFilters
    content_hash: str
    conversations: int
    items: list[DatasetItem]
    created_at: str | None = None

    @property
    def exchanges(self) -> int:
        return sum(item.kind == "exchange" for item in self.items)

    @property
    def corrections(self) -> int:
        return sum(item.kind in CORRECTION_KINDS for item in self.items)

    def categories(self) -> dict[str, int]:
        return dict(sorted(Counter(item.category for item in self.items).items()))


def content_hash(items: list[DatasetItem]) -> str:
    lines = sorted(
        json.dumps([i.kind, i.category, i.tenant, i.jamie], ensure_ascii=False) for i in items
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _words(text: str) -> str:
    return " ".join(normalize_words(text))


def _in_window(stamp: str | None, window: tuple) -> bool:  # type: ignore[type-arg]
    since, until = window
    if since is None and until is None:
        return True
    if not stamp:
        return False
    moment = pendulum.parse(stamp, tz="UTC")
    return (since is None or moment >= since) and (until is None or moment <= until)


class DatasetBuilder:
    def __init__(
        self,
        *,
        checker: ReplyChecker,
        categories: Categories,
        safety_sentence_for: Callable[[str], str | None],
        keep_words: list[str],
    ):
        self.checker = checker
        self.categories = categories
        self.safety_sentence_for = safety_sentence_for
        self.keep_words = keep_words

    def _item(self, kind: str, ref: str, category: str, tenant: str, jamie: str) -> DatasetItem:
        check = self.checker.check(tenant, jamie, safety_sentence=self.safety_sentence_for(tenant))
        return DatasetItem(
            kind=kind,
            ref=ref,
            category=category,
            tenant=tenant,
            jamie=jamie,
            quality=jamie_score(check, None),
            passed=check.passed,
        )

    async def build(
        self, conn: aiosqlite.Connection, name: str, filters: DatasetFilters
    ) -> Dataset:
        unknown = sorted(set(filters.categories) - set(self.categories.names))
        if unknown:
            raise ValueError(f"unknown categories {unknown} (see config/categories.toml)")
        window = filters.window()
        tenants = [r[0] for r in await (await conn.execute("SELECT name FROM tenants")).fetchall()]
        scrubber = PiiScrubber(known_names=tenants, keep=self.keep_words)
        held_out = {
            _words(exchange.tenant)
            for conversation in await load_conversations(conn, split="held_out")
            for exchange in conversation.exchanges
        }
        wanted = set(filters.categories)
        items: list[DatasetItem] = []
        conversations = 0
        for conversation in await load_conversations(conn, split="train"):
            if wanted and conversation.category not in wanted:
                continue
            if filters.sources and conversation.source not in filters.sources:
                continue
            if not _in_window(conversation.started_at, window):
                continue
            picked = self._conversation_items(conversation, scrubber, filters.min_score, held_out)
            conversations += bool(picked)
            items += picked
        if filters.corrections:
            items += await self._corrections(conn, scrubber, filters, window, held_out)
        return Dataset(
            name=name,
            filters=filters,
            content_hash=content_hash(items),
            conversations=conversations,
            items=items,
        )

    def _conversation_items(
        self,
        conversation: Conversation,
        scrubber: PiiScrubber,
        min_score: float | None,
        held_out: set[str],
    ) -> list[DatasetItem]:
        texts = [t for e in conversation.exchanges for t in (e.tenant, e.jamie)]
        clean = scrubber.scrub_all(texts, conversation.metadata.get("names", []))
        items = []
        for position, exchange in enumerate(conversation.exchanges):
            if _words(exchange.tenant) in held_out:
                continue
            item = self._item(
                "exchange",
                f"{conversation.id}#{position}",
                conversation.category,
                clean[2 * position],
                clean[2 * position + 1],
            )
            if min_score is None or item.quality >= min_score:
                items.append(item)
        return items

    async def _corrections(
        self,
        conn: aiosqlite.Connection,
        scrubber: PiiScrubber,
        filters: DatasetFilters,
        window: tuple,  # type: ignore[type-arg]
        held_out: set[str],
    ) -> list[DatasetItem]:
        marks, not_from = ",".join("?" * len(CORRECTION_KINDS)), ",".join("?" * len(_NOT_FROM))
        sql = (
            "SELECT e.id, e.kind, e.tenant_text, e.good_reply, e.category, e.created_at "
            "FROM training_examples e LEFT JOIN turns t ON t.uid = e.source_turn_uid "
            f"WHERE e.kind IN ({marks}) AND TRIM(e.good_reply) != '' "
            f"AND (t.channel IS NULL OR t.channel NOT IN ({not_from})) ORDER BY e.id"
        )
        rows = await (await conn.execute(sql, (*CORRECTION_KINDS, *_NOT_FROM))).fetchall()
        wanted = set(filters.categories)
        seen: set[tuple[str, str]] = set()
        items = []
        for example_id, kind, tenant, good, category, created_at in rows:
            if _words(tenant) in held_out or not _in_window(created_at, window):
                continue
            category = category or self.categories.classify(tenant).category
            if wanted and category not in wanted:
                continue
            tenant_clean, good_clean = scrubber.scrub_all([tenant, good])
            if (tenant_clean, good_clean) in seen:
                continue
            seen.add((tenant_clean, good_clean))
            item = self._item(kind, f"example:{example_id}", category, tenant_clean, good_clean)
            if filters.min_score is None or item.quality >= filters.min_score:
                items.append(item)
        return items


async def save_dataset(conn: aiosqlite.Connection, dataset: Dataset) -> Dataset:
    """Store it once: the same name and content again returns the stored one."""
    row = await (
        await conn.execute(
            "SELECT id, created_at FROM datasets WHERE name = ? AND content_hash = ?",
            (dataset.name, dataset.content_hash),
        )
    ).fetchone()
    if row is not None:
        return dataset.model_copy(update={"id": row[0], "created_at": row[1]})
    created_at = utc_now_iso()
    async with transaction(conn):
        cursor = await conn.execute(
            "INSERT INTO datasets (name, content_hash, filters, conversations, exchanges, "
            "corrections, categories, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                dataset.name,
                dataset.content_hash,
                dataset.filters.model_dump_json(),
                dataset.conversations,
                dataset.exchanges,
                dataset.corrections,
                json.dumps(dataset.categories()),
                created_at,
            ),
        )
        dataset_id = cursor.lastrowid
        await conn.executemany(
            "INSERT INTO dataset_items (dataset_id, position, kind, ref, category, tenant_text, "
            "jamie_text, quality, passed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    dataset_id,
                    i,
                    it.kind,
                    it.ref,
                    it.category,
                    it.tenant,
                    it.jamie,
                    it.quality,
                    int(it.passed),
                )
                for i, it in enumerate(dataset.items)
            ],
        )
    return dataset.model_copy(update={"id": dataset_id, "created_at": created_at})


async def load_dataset(conn: aiosqlite.Connection, dataset_id: int) -> Dataset | None:
    row = await (
        await conn.execute(
            "SELECT id, name, content_hash, filters, conversations, created_at FROM datasets "
            "WHERE id = ?",
            (dataset_id,),
        )
    ).fetchone()
    if row is None:
        return None
    items = [
        DatasetItem(
            kind=r[0],
            ref=r[1],
            category=r[2],
            tenant=r[3],
            jamie=r[4],
            quality=r[5],
            passed=bool(r[6]),
        )
        for r in await (
            await conn.execute(
                "SELECT kind, ref, category, tenant_text, jamie_text, quality, passed "
                "FROM dataset_items WHERE dataset_id = ? ORDER BY position",
                (dataset_id,),
            )
        ).fetchall()
    ]
    return Dataset(
        id=row[0],
        name=row[1],
        content_hash=row[2],
        filters=DatasetFilters.model_validate_json(row[3]),
        conversations=row[4],
        created_at=row[5],
        items=items,
    )
