"""The admin's training page and API: jobs with live progress (train, import, replay), promote
and roll back with one click, diffs, and a cancel that leaves nothing half-written."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from core.llm.embedded import EmbeddedBackend
from tests.conftest import make_settings, query_db
from tests.integration.test_training_import import CSV, SEED_ROWS
from tests.support.admin_client import AdminClient, start_admin_server
from tests.support.seed_files import write_seed_db
from tests.support.training_store import CORPUS, seed, set_parameter
from voice.server import ServerThread


@pytest.fixture
def server(tmp_path: Path, embedded_backend: EmbeddedBackend) -> Iterator[ServerThread]:
    asyncio.run(seed(make_settings(tmp_path), CORPUS))
    thread = start_admin_server(tmp_path, embedded_backend)
    yield thread
    thread.stop()


def finished(admin: AdminClient, job_id: str, within_s: float = 120) -> dict:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        jobs = {j["id"]: j for j in admin.get("/admin/api/training/jobs").json()["jobs"]}
        job = jobs[job_id]
        if job["status"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running")


def start(admin: AdminClient, path: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    response = admin.write("POST", f"/admin/api/training/{path}", **kwargs)
    assert response.status_code == 202, response.text
    return response.json()["job"]["id"]


def wait_until_listed(server: ServerThread, name: str) -> None:
    deadline = time.monotonic() + 10
    while name not in server.services.model_settings.current.models:
        assert time.monotonic() < deadline, f"{name} never reached the server's model list"
        time.sleep(0.05)


@pytest.mark.timeout(400)
def test_train_promote_rollback_diff_and_replay_from_the_admin(server: ServerThread):
    admin = AdminClient(server)
    page = admin.get("/admin/training")
    assert page.status_code == 200 and "No version yet" in page.text
    assert 'href="/admin/training"' in page.text  # in the navigation

    unauthorised = admin.post("/admin/api/training/train", json={"evaluate": False})
    assert unauthorised.status_code == 403  # no CSRF token

    job_id = start(admin, "train", json={"evaluate": False, "reason": "from the admin"})
    busy = admin.write("POST", "/admin/api/training/train", json={"evaluate": False})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "job_running"
    job = finished(admin, job_id)
    assert job["status"] == "finished", job
    first = job["result"]
    assert (first["version"], first["reason"]) == ("v0.1.0", "from the admin")
    assert job["stage"] == "done" and job["finished_at"]
    wait_until_listed(server, first["model_name"])

    page = admin.get("/admin/training").text
    assert 'data-version="v0.1.0"' in page and "not evaluated" in page
    refused = admin.write("POST", "/admin/api/training/promote", json={"version": "v0.1.0"})
    assert refused.status_code == 409
    assert refused.json()["error"]["failures"] == ["not evaluated (run `pete train` with eval)"]
    promoted = admin.write(
        "POST", "/admin/api/training/promote", json={"version": "v0.1.0", "force": True}
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["default_model"] == first["model_name"]
    assert promoted.json()["backend_state"] == "stored_spec" and promoted.json()["forced"]
    assert server.services.model_settings.current.default_model == first["model_name"]

    call_id = f"call-{uuid.uuid4()}"
    client = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="unused")
    list(
        client.chat.completions.create(
            model="jamie",
            stream=True,
            max_tokens=6,
            extra_body={"call": {"id": call_id}},
            messages=[{"role": "user", "content": "My kitchen sink is leaking."}],
        )
    )
    [turn] = query_db(
        server, "SELECT model, model_version FROM turns WHERE call_id = ?", (call_id,)
    )
    assert (turn["model"], turn["model_version"]) == (first["model_name"], "v0.1.0")

    set_parameter(server.settings, "temperature", 0.45)
    second = finished(admin, start(admin, "train", json={"evaluate": False}))["result"]
    assert (second["version"], second["bump"]) == ("v0.1.1", "patch")
    wait_until_listed(server, second["model_name"])
    admin.write("POST", "/admin/api/training/promote", json={"version": "v0.1.1", "force": True})
    back = admin.write("POST", "/admin/api/training/rollback", json={})
    assert back.status_code == 200 and back.json()["version"] == "v0.1.0"
    assert server.services.model_settings.current.default_model == first["model_name"]

    diff = admin.get("/admin/api/training/diff", params={"a": "v0.1.0", "b": "v0.1.1"}).json()
    assert [(c["name"], c["before"], c["after"]) for c in diff["changes"]] == [
        ("parameter temperature", 0.3, 0.45)
    ]
    diff_page = admin.get("/admin/training/diff", params={"a": "v0.1.0", "b": "v0.1.1"})
    assert diff_page.status_code == 200 and "parameter temperature" in diff_page.text
    assert (
        admin.get("/admin/api/training/diff", params={"a": "v0.1.0", "b": "v7.0.0"}).status_code
        == 404
    )

    replay_id = start(
        admin, "replay", json={"calls": call_id, "model": "v0.1.1", "similarity": False}
    )
    job = finished(admin, replay_id)
    assert job["status"] == "finished", job
    run = job["result"]
    assert run["version"] == "v0.1.1" and len(run["turns"]) == 1
    replay_page = admin.get(f"/admin/training/replays/{run['id']}")
    assert replay_page.status_code == 200
    assert "My kitchen sink is leaking." in replay_page.text and "Candidate now" in replay_page.text
    assert f"/admin/training/replays/{run['id']}" in admin.get("/admin/training").text


@pytest.mark.timeout(300)
def test_uploads_import_as_jobs_and_cancel_leaves_the_store_as_it_was(
    server: ServerThread, tmp_path: Path
):
    admin = AdminClient(server)
    headers = {"X-CSRF-Token": admin.csrf}
    csv_job = admin.post(
        "/admin/api/training/import",
        headers=headers,
        files={"file": ("calls.csv", CSV.encode(), "text/csv")},
        data={"second_opinion": "0"},
    )
    assert csv_job.status_code == 202, csv_job.text
    job = finished(admin, csv_job.json()["job"]["id"])
    assert job["status"] == "finished", job
    assert job["result"]["conversations_added"] == 1
    assert [p["ref"] for p in job["result"]["problems"]] == ["line 4", "line 5", "line 6"]
    assert not list((server.settings.data_dir / "uploads").iterdir())  # the upload is removed

    wrong = admin.post(
        "/admin/api/training/import",
        headers=headers,
        files={"file": ("notes.txt", b"hello", "text/plain")},
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "unsupported_file"
    empty = admin.post(
        "/admin/api/training/import",
        headers=headers,
        data={"x": "1"},
        files={"other": ("a.csv", b"", "text/csv")},
    )
    assert empty.status_code == 400

    before = query_db(server, "SELECT COUNT(*) AS n FROM conversations")[0]["n"]
    seed_db = write_seed_db(tmp_path / "seed.db", SEED_ROWS)
    slow = admin.post(
        "/admin/api/training/import",
        headers=headers,
        files={"file": ("pete.db", seed_db.read_bytes(), "application/octet-stream")},
        data={"second_opinion": "1"},
    )  # loads torch: seconds to cancel in
    job_id = slow.json()["job"]["id"]
    deadline = time.monotonic() + 30
    while True:  # live progress: the command's stages as it reaches them
        running = {j["id"]: j for j in admin.get("/admin/api/training/jobs").json()["jobs"]}
        if running[job_id]["stage"] == "embeddings":
            break
        assert time.monotonic() < deadline and running[job_id]["status"] == "running"
        time.sleep(0.1)
    cancel = admin.write("POST", f"/admin/api/training/jobs/{job_id}/cancel")
    assert cancel.status_code == 202
    job = finished(admin, job_id)
    assert job["status"] == "cancelled", job
    assert query_db(server, "SELECT COUNT(*) AS n FROM conversations")[0]["n"] == before
    assert admin.write("POST", f"/admin/api/training/jobs/{job_id}/cancel").status_code == 409
