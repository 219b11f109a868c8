"""The training page in Chromium: train with live job progress, promote with one click, upload
a file to import. Screenshots land in test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.corpus import insert_conversations
from core.llm.embedded import EmbeddedBackend
from tests.browser.test_admin_pages import log_in
from tests.integration.test_training_import import CSV
from tests.support.admin_client import start_admin_server
from tests.support.training_store import CORPUS
from voice.server import ServerThread


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, embedded_backend: EmbeddedBackend
) -> Iterator[ServerThread]:
    server = start_admin_server(tmp_path_factory.mktemp("training-browser"), embedded_backend)

    async def corpus() -> None:  # on the server's own loop: Playwright owns this thread's
        conn = server.services.database.conn
        await insert_conversations(conn, CORPUS)
        await conn.commit()

    server.call(corpus())
    yield server
    server.stop()


@pytest.mark.timeout(300)
def test_train_then_promote_from_the_page(page: Page, site: ServerThread, artifacts: Path):
    log_in(page, site, "/admin/training")
    expect(page.get_by_role("heading", name="Training", level=1)).to_be_visible()
    expect(page.locator("#versions")).to_contain_text("No version yet")

    page.get_by_label("Evaluate on the held-out split").uncheck()
    page.get_by_role("button", name="Train", exact=True).click()
    jobs = page.locator("#jobs")
    expect(jobs).to_contain_text("train a new version", timeout=10_000)
    expect(jobs).to_contain_text("Created v0.1.0", timeout=90_000)
    page.screenshot(path=artifacts / "training-job-done.png", full_page=True)

    page.reload()
    row = page.locator('#versions tr[data-version="v0.1.0"]')
    expect(row).to_contain_text("not evaluated")
    row.get_by_role("button", name="Promote").click()
    expect(page.locator("#training-status")).to_contain_text("not evaluated")  # the gate
    page.get_by_label("Promote even if the eval gate says no").check()
    row.get_by_role("button", name="Promote").click()
    expect(page.locator("#training-status")).to_contain_text("Promoted v0.1.0")
    expect(page.locator('#versions tr[data-version="v0.1.0"]')).to_contain_text("default")
    name = site.services.model_settings.current.default_model
    assert re.fullmatch(r"jamie-[0-9a-f]{10}", name)
    expect(page.locator("#promotions")).to_contain_text("promote")
    page.screenshot(path=artifacts / "training-promoted.png", full_page=True)


@pytest.mark.timeout(300)
def test_upload_a_csv_to_import(page: Page, site: ServerThread, tmp_path: Path):
    upload = tmp_path / "calls.csv"
    upload.write_text(CSV)
    log_in(page, site, "/admin/training")
    page.get_by_label("Second opinion on categories").uncheck()
    page.get_by_label("A seed pete.db, or a CSV, JSON or JSONL file").set_input_files(upload)
    page.get_by_role("button", name="Import the file").click()
    expect(page.locator("#jobs")).to_contain_text("1 new conversations", timeout=60_000)
    expect(page.locator("#jobs")).to_contain_text("3 bad rows skipped")
