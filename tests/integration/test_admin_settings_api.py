"""Model settings through the admin API: saved, audited, lose nothing, apply to the next turn."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from core.llm.embedded import EmbeddedBackend
from tests.conftest import query_db
from tests.support.admin_client import AdminClient, start_admin_server
from voice.server import ServerThread

SMALL = "smollm2:135m"


@pytest.fixture(scope="module")
def admin_server(
    tmp_path_factory: pytest.TempPathFactory, embedded_backend: EmbeddedBackend
) -> Iterator[ServerThread]:
    server = start_admin_server(tmp_path_factory.mktemp("admin-settings"), embedded_backend)
    yield server
    server.stop()


@pytest.fixture
def admin(admin_server: ServerThread) -> Iterator[AdminClient]:
    client = AdminClient(admin_server)
    yield client
    client.close()


def saved_file(server: ServerThread) -> dict:
    return json.loads(server.services.model_settings.path.read_text())


def audit_rows(server: ServerThread, path_prefix: str) -> list[dict]:
    return query_db(
        server,
        "SELECT * FROM settings_audit WHERE path LIKE ? ORDER BY id",
        (path_prefix + "%",),
    )


def test_a_change_is_saved_atomically_audited_and_keeps_other_fields(
    admin_server: ServerThread, admin: AdminClient
):
    path = admin_server.services.model_settings.path
    data = json.loads(path.read_text())
    data["maintainer_note"] = "kept"
    path.write_text(json.dumps(data))
    time.sleep(1.5)  # the hand edit is picked up by the app's reload poll
    response = admin.change(
        {
            "path": ["models", "llama3.2:3b", "description"],
            "value": "Edited from the admin page",
            "base": data["models"]["llama3.2:3b"]["description"],
        }
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["settings"]["models"]["llama3.2:3b"]["description"] == "Edited from the admin page"
    assert body["loaded"] == {SMALL: True, "llama3.2:3b": False}
    saved = saved_file(admin_server)
    assert saved["maintainer_note"] == "kept" and saved["default_model"] == SMALL
    assert saved["models"]["llama3.2:3b"]["description"] == "Edited from the admin page"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    [row] = audit_rows(admin_server, "/models/llama3.2:3b/description")
    assert row["source"] == "admin" and row["actor"]
    assert json.loads(row["old_value"]) == data["models"]["llama3.2:3b"]["description"]
    assert json.loads(row["new_value"]) == "Edited from the admin page"
    assert row["changed_at"].endswith("Z")


def test_concurrent_edits_lose_nothing(admin_server: ServerThread):
    sessions = [AdminClient(admin_server) for _ in range(2)]
    edits = [
        (sessions[i % 2], {"path": ["models", SMALL, "options", f"probe_{i}"], "value": i})
        for i in range(16)
    ]
    edits.append(
        (sessions[0], {"path": ["models", "llama3.2:3b", "display_name"], "value": "Large"})
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda edit: edit[0].change(edit[1]).status_code, edits))
    assert statuses == [200] * len(edits)
    saved = saved_file(admin_server)
    options = saved["models"][SMALL]["options"]
    assert {k: v for k, v in options.items() if k.startswith("probe_")} == {
        f"probe_{i}": i for i in range(16)
    }
    assert saved["models"]["llama3.2:3b"]["display_name"] == "Large"
    assert len(audit_rows(admin_server, f"/models/{SMALL}/options/probe_")) == 16
    remove = [
        {"path": ["models", SMALL, "options", f"probe_{i}"], "remove": True} for i in range(16)
    ]
    assert sessions[0].change(*remove).status_code == 200
    assert not [k for k in saved_file(admin_server)["models"][SMALL]["options"] if "probe" in k]
    for session in sessions:
        session.close()


def test_a_stale_edit_is_a_conflict_not_an_overwrite(
    admin_server: ServerThread, admin: AdminClient
):
    current = saved_file(admin_server)["models"][SMALL]["display_name"]
    stale = admin.change(
        {"path": ["models", SMALL, "display_name"], "value": "Mine", "base": "What I saw before"}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    assert saved_file(admin_server)["models"][SMALL]["display_name"] == current


def test_invalid_edits_are_refused_and_kept_as_events(
    admin_server: ServerThread, admin: AdminClient
):
    before = saved_file(admin_server)
    no_default = admin.change({"path": ["models", SMALL], "remove": True})
    assert no_default.status_code == 400
    assert no_default.json()["error"]["code"] == "invalid_settings"
    assert "default_model" in no_default.json()["error"]["message"]
    wrong_type = admin.change({"path": ["models", SMALL, "show_in_ui"], "value": "maybe"})
    assert wrong_type.status_code == 400
    not_json = admin.write(
        "POST",
        "/admin/api/settings",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "invalid_json"
    assert saved_file(admin_server) == before
    events = query_db(
        admin_server,
        "SELECT payload FROM events WHERE source = 'admin' AND kind = 'bad_request'",
    )
    bodies = [json.loads(e["payload"])["body"] for e in events]
    assert "{nope" in bodies and any('"maybe"' in body for body in bodies)


def test_the_next_turn_of_a_call_in_progress_uses_the_new_default(
    admin_server: ServerThread, admin: AdminClient
):
    client = openai.OpenAI(base_url=admin_server.base_url + "/vapi", api_key="unused")
    call_id = f"call-{uuid.uuid4()}"
    messages = [{"role": "user", "content": "Hi, my heater is making a noise."}]

    def turn() -> str:
        reply = client.chat.completions.create(
            model="jamie",
            messages=messages,
            max_tokens=6,
            stream=False,
            extra_body={"call": {"id": call_id}},
        )
        return reply.choices[0].message.content or ""

    messages.append({"role": "assistant", "content": turn()})
    added = admin.change(
        {
            "path": ["models", "jamie-alt"],
            "value": {"display_name": "Jamie alt", "base_model": SMALL, "options": {}},
            "base": None,
        },
        {"path": ["default_model"], "value": "jamie-alt", "base": SMALL},
    )
    assert added.status_code == 200, added.text
    try:
        messages.append({"role": "user", "content": "It is still noisy."})
        turn()
        models = [
            row["model"]
            for row in query_db(
                admin_server,
                "SELECT model FROM turns WHERE call_id = ? ORDER BY turn_index",
                (call_id,),
            )
        ]
        assert models == [SMALL, "jamie-alt"]
    finally:
        restored = admin.change(
            {"path": ["default_model"], "value": SMALL},
            {"path": ["models", "jamie-alt"], "remove": True},
        )
        assert restored.status_code == 200


def test_a_hand_edit_is_reloaded_and_audited(admin_server: ServerThread, admin: AdminClient):
    path = admin_server.services.model_settings.path
    data = json.loads(path.read_text())
    data["models"]["llama3.2:3b"]["options"]["temperature"] = 0.55
    path.write_text(json.dumps(data, indent=2))
    deadline = time.monotonic() + 10
    rows: list[dict] = []
    while time.monotonic() < deadline and not rows:
        time.sleep(0.3)
        rows = audit_rows(admin_server, "/models/llama3.2:3b/options/temperature")
    assert rows, "the hand edit was not audited"
    assert rows[-1]["source"] == "file" and json.loads(rows[-1]["new_value"]) == 0.55
    shown = admin.get("/admin/api/settings").json()["settings"]
    assert shown["models"]["llama3.2:3b"]["options"]["temperature"] == 0.55
    audit = admin.get("/admin/api/settings/audit?limit=5").json()["changes"]
    assert audit[0]["path"] == "/models/llama3.2:3b/options/temperature"
