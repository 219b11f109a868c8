"""Playground chat, scores, live calls, transcripts, stats and exports through the admin API."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from core.clock import utc_now_iso
from core.llm.embedded import EmbeddedBackend
from core.store.records import EventRecord
from tests.conftest import query_db
from tests.support.admin_client import AdminClient, start_admin_server
from voice.server import ServerThread

SMALL = "smollm2:135m"


@pytest.fixture(scope="module")
def admin_server(
    tmp_path_factory: pytest.TempPathFactory, embedded_backend: EmbeddedBackend
) -> Iterator[ServerThread]:
    server = start_admin_server(tmp_path_factory.mktemp("admin-calls"), embedded_backend)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin(admin_server: ServerThread) -> Iterator[AdminClient]:
    client = AdminClient(admin_server)
    yield client
    client.close()


def store_score(server: ServerThread, uid: str, *, passed: bool, score: float) -> None:
    """What the reply-quality worker writes once it has checked a turn."""
    query_db(server, "SELECT 1")  # the turn itself is committed first
    with sqlite3.connect(server.settings.database_path) as conn:
        conn.execute(
            "INSERT INTO turn_scores (turn_uid, passed, jamie_score, violations, soft_scores, "
            "similarity, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                uid,
                int(passed),
                score,
                json.dumps([] if passed else [{"code": "role_play", "message": "as User"}]),
                json.dumps({"acknowledgment": 1.0}),
                0.5,
                utc_now_iso(),
            ),
        )


def test_playground_streams_a_conversation_through_the_engine(
    admin_server: ServerThread, admin: AdminClient
):
    first = admin.chat("/ui/api/chat", {"message": "Hi, my sink is leaking.", "max_tokens": 8})
    start, done = first[0], first[-1]
    assert start["type"] == "start" and start["model"] == SMALL
    assert start["conversation_id"].startswith("web-") and start["ttft_ms"] > 0
    tokens = [line["text"] for line in first if line["type"] == "token"]
    assert len(tokens) >= 2 and done["type"] == "done"
    assert done["reply_text"] == "".join(tokens) and done["tokens"] <= 8
    assert done["total_ms"] >= done["ttft_ms"] and done["tokens_per_s"] > 0

    second = admin.chat(
        "/ui/api/chat",
        {"message": "Thanks.", "conversation_id": start["conversation_id"], "max_tokens": 4},
    )
    turns = query_db(
        admin_server,
        "SELECT uid, turn_index, channel, user_text, reply_text FROM turns WHERE call_id = ? "
        "ORDER BY turn_index",
        (start["conversation_id"],),
    )
    assert [(t["turn_index"], t["channel"]) for t in turns] == [(0, "web"), (1, "web")]
    assert turns[0]["uid"] == start["turn_uid"] and turns[1]["uid"] == second[0]["turn_uid"]
    assert turns[0]["reply_text"] == done["reply_text"]


def test_score_is_pending_until_the_quality_worker_stores_it(
    admin_server: ServerThread, admin: AdminClient
):
    lines = admin.chat("/ui/api/chat", {"message": "Is the pool open today?", "max_tokens": 4})
    uid = lines[0]["turn_uid"]
    assert admin.get(f"/ui/api/turns/{uid}/score").json() == {"turn_uid": uid, "status": "pending"}
    store_score(admin_server, uid, passed=False, score=42.0)
    score = admin.get(f"/ui/api/turns/{uid}/score").json()
    assert score["status"] == "ready" and score["passed"] is False
    assert score["jamie_score"] == 42.0 and score["violations"][0]["code"] == "role_play"
    assert admin.get("/ui/api/turns/not-a-uid/score").status_code == 400


def test_playground_lists_and_serves_only_visible_models(admin: AdminClient):
    hidden = {
        "path": ["models", "jamie-hidden"],
        "value": {"display_name": "Hidden", "base_model": SMALL, "show_in_ui": False},
    }
    assert admin.change(hidden).status_code == 200
    try:
        names = [m["name"] for m in admin.get("/ui/api/models").json()["models"]]
        assert "jamie-hidden" not in names and SMALL in names
        assert "jamie-hidden" in [
            m["name"] for m in admin.get("/admin/api/models").json()["models"]
        ]
        refused = admin.write(
            "POST", "/ui/api/chat", json={"message": "Hi", "model": "jamie-hidden"}
        )
        assert refused.status_code == 404
        tested = admin.chat(
            "/admin/api/test", {"message": "Hi", "model": "jamie-hidden", "max_tokens": 3}
        )
        assert tested[0]["model"] == "jamie-hidden" and tested[-1]["type"] == "done"
    finally:
        admin.change({"path": ["models", "jamie-hidden"], "remove": True})


def test_chat_refuses_bad_input(admin: AdminClient):
    for body, code in (
        ({"message": ""}, "invalid_request"),
        ({"message": "   "}, "empty_message"),
        ({"message": "Hi", "conversation_id": "call-from-vapi"}, "invalid_request"),
        ({"message": "Hi", "persona": "pete"}, "persona_not_served"),
        ({"message": "Hi", "model": "gpt-4o"}, "model_not_found"),
    ):
        response = admin.write("POST", "/ui/api/chat", json=body)
        assert response.status_code in (400, 404), body
        assert response.json()["error"]["code"] == code, body


def vapi_turn(
    server: ServerThread, call_id: str, text: str, *, cut_after: int | None = None
) -> None:
    body = {
        "model": "jamie",
        "messages": [{"role": "user", "content": text}],
        "stream": True,
        "max_tokens": 30 if cut_after else 6,
        "call": {"id": call_id},
        "customer": {"number": "+15550100001"},
    }
    with httpx.stream(
        "POST", server.base_url + "/vapi/chat/completions", json=body, timeout=60
    ) as r:
        for index, _line in enumerate(r.iter_lines()):
            if cut_after is not None and index >= cut_after:
                break  # the caller barged in: the stream is closed mid-reply


def wait_for_turns(server: ServerThread, call_id: str, count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if len(query_db(server, "SELECT 1 FROM turns WHERE call_id = ?", (call_id,))) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{call_id} has fewer than {count} turns")


def test_live_calls_and_a_transcript_with_interruption_and_tool_call(
    admin_server: ServerThread, admin: AdminClient
):
    call_id = f"call-{uuid.uuid4()}"
    vapi_turn(admin_server, call_id, "My heater <b>stopped</b> working.")
    vapi_turn(admin_server, call_id, "Can someone come today?", cut_after=3)
    wait_for_turns(admin_server, call_id, 2)

    async def tool_call() -> None:
        admin_server.services.writer.add_event(
            EventRecord(
                source="tools",
                kind="tool_call",
                created_at=utc_now_iso(),
                call_id=call_id,
                payload={
                    "tool": "create_work_order",
                    "arguments": {"unit": "4B", "category": "hvac"},
                    "result": {"ok": True, "message": "Work order 123456 created."},
                },
            )
        )

    admin_server.call(tool_call())
    query_db(admin_server, "SELECT 1")
    live = admin.get("/admin/api/calls/live").json()["calls"]
    mine = [c for c in live if c["id"] == call_id]
    assert mine and mine[0]["turns"] == 2 and mine[0]["channel"] == "vapi"
    assert mine[0]["last_user_text"] == "Can someone come today?"

    found = admin.get(f"/admin/api/calls/{call_id}").json()
    kinds = [item["kind"] for item in found["timeline"]]
    assert kinds.count("turn") == 2 and "tool_call" in kinds
    turns = [item for item in found["timeline"] if item["kind"] == "turn"]
    assert turns[0]["interrupted"] is False and turns[1]["interrupted"] is True
    assert found["call"]["from_number"] == "+15550100001"

    page = admin.get(f"/admin/calls/{call_id}").text
    assert "My heater &lt;b&gt;stopped&lt;/b&gt; working." in page  # escaped, as said
    assert "interrupted" in page and "create_work_order" in page
    assert "Work order 123456 created." in page
    assert call_id in admin.get("/admin").text
    assert admin.get("/admin/api/calls/no-such-call").status_code == 404
    assert admin.get("/admin/calls/no-such-call").status_code == 404

    async def end() -> None:
        admin_server.services.writer.end_call(call_id)

    admin_server.call(end())
    query_db(admin_server, "SELECT 1")
    assert call_id not in [c["id"] for c in admin.get("/admin/api/calls/live").json()["calls"]]
    recent = admin.get("/admin/api/calls?limit=100").json()["calls"]
    ended = next(c for c in recent if c["id"] == call_id)
    assert ended["status"] == "ended" and ended["interruptions"] == 1


def test_stats_and_exports_per_model(admin_server: ServerThread, admin: AdminClient):
    uids = [
        admin.chat("/ui/api/chat", {"message": f"Question {i}?", "max_tokens": 4})[0]["turn_uid"]
        for i in range(2)
    ]
    store_score(admin_server, uids[0], passed=True, score=90.0)
    store_score(admin_server, uids[1], passed=True, score=70.0)
    rows = query_db(
        admin_server,
        "SELECT COUNT(*) AS n, SUM(interrupted) AS cut FROM turns WHERE model = ?",
        (SMALL,),
    )[0]
    scores = query_db(
        admin_server,
        "SELECT passed, jamie_score FROM turn_scores s JOIN turns t ON t.uid = s.turn_uid "
        "WHERE t.model = ?",
        (SMALL,),
    )
    stats = admin.get("/admin/api/stats?window=all").json()
    [small] = [m for m in stats["models"] if m["model"] == SMALL and m["version"] is None]
    assert small["turns"] == rows["n"] and small["interruptions"] == rows["cut"]
    assert small["scored"] == len(scores)
    expected_pass = sum(s["passed"] for s in scores) / len(scores)
    assert small["pass_rate"] == pytest.approx(expected_pass, abs=1e-4)
    expected_mean = sum(s["jamie_score"] for s in scores) / len(scores)
    assert small["mean_jamie_score"] == pytest.approx(expected_mean, abs=1e-4)
    assert small["ttft_p50_ms"] > 0 and small["ttft_p95_ms"] >= small["ttft_p50_ms"]
    assert SMALL in stats["series"] and stats["series"][SMALL][-1]["turns"] >= 1

    web_only = admin.get("/admin/api/stats?window=24h&channel=web").json()["models"]
    [small_web] = [m for m in web_only if m["model"] == SMALL]
    assert small_web["turns"] < small["turns"]  # the VAPI turns are left out

    exported = admin.get(f"/admin/api/benchmarks.json?window=all&model={SMALL}").json()
    assert [m["model"] for m in exported["models"]] == [SMALL]
    assert exported["models"][0]["turns"] == small["turns"]
    csv_text = admin.get(f"/admin/api/benchmarks.csv?window=all&model={SMALL}")
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_text.headers["content-disposition"]
    [line] = list(csv.DictReader(io.StringIO(csv_text.text)))
    assert line["model"] == SMALL and int(line["turns"]) == small["turns"]
    assert admin.get("/admin/api/stats?window=forever").status_code == 400

    page = admin.get("/admin/stats?window=all").text
    assert page.count("<svg") == 4 and SMALL in page
    bench = admin.get(f"/admin/benchmarks?window=all&model={SMALL}").text
    assert f"/admin/api/benchmarks.csv?window=all&amp;model={SMALL.replace(':', '%3A')}" in bench
