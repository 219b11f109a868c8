"""The admin and playground pages in Chromium: log in, edit settings, chat, read a transcript.

Screenshots land in test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from core.clock import utc_now_iso
from core.llm.embedded import EmbeddedBackend
from tests.conftest import query_db
from tests.support.admin_client import ADMIN_TOKEN, start_admin_server
from voice.server import ServerThread

SMALL = "smollm2:135m"


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, embedded_backend: EmbeddedBackend
) -> Iterator[ServerThread]:
    server = start_admin_server(tmp_path_factory.mktemp("browser"), embedded_backend)
    yield server
    server.stop()


def log_in(page: Page, site: ServerThread, path: str = "/admin") -> None:
    page.goto(site.base_url + path)
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(site.base_url + path)


def test_wrong_token_keeps_the_door_shut(page: Page, site: ServerThread, artifacts: Path):
    page.goto(site.base_url + "/admin/settings")
    page.get_by_label("Admin token").fill("not-the-token")
    page.get_by_label("Admin token").press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Wrong admin token.")
    page.screenshot(path=artifacts / "login-refused.png", full_page=True)
    page.goto(site.base_url + "/admin/settings")
    expect(page).to_have_url(re.compile(r"/admin/login"))


def test_a_settings_change_shows_in_an_open_playground_at_once(
    context: BrowserContext, site: ServerThread, artifacts: Path
):
    admin = context.new_page()
    log_in(admin, site, "/admin/settings")
    playground = context.new_page()
    playground.goto(site.base_url + "/ui")
    model = playground.get_by_label("Model")
    expect(model.locator("option:checked")).to_have_text("Jamie (SmolLM2 135M)")

    card = admin.locator("section.model-card", has=admin.locator(f'form[data-model="{SMALL}"]'))
    card.get_by_label("Display name").fill("Jamie (quick test model)")
    card.get_by_role("button", name=re.compile("^Save")).click()
    expect(admin.get_by_role("status").first).to_contain_text(f"Saved {SMALL}.")
    expect(admin.locator("#audit tbody tr").first).to_contain_text(f"/models/{SMALL}/display_name")
    admin.screenshot(path=artifacts / "settings.png", full_page=True)

    # The open playground follows the change without a reload.
    expect(model.locator("option:checked")).to_have_text("Jamie (quick test model)", timeout=10000)
    saved = json.loads(site.services.model_settings.path.read_text())
    assert saved["models"][SMALL]["display_name"] == "Jamie (quick test model)"

    # Hiding the other model removes it from the playground's list too.
    other = admin.locator("section.model-card", has=admin.locator('form[data-model="llama3.2:3b"]'))
    other.get_by_label(re.compile("Show in the playground")).uncheck()
    other.get_by_role("button", name=re.compile("^Save")).click()
    expect(admin.get_by_role("status").first).to_contain_text("Saved llama3.2:3b.")
    expect(model.locator("option")).to_have_count(1, timeout=10000)
    playground.screenshot(path=artifacts / "playground-after-settings.png", full_page=True)


def test_chat_in_the_playground_streams_and_shows_timing_and_score(
    context: BrowserContext, site: ServerThread, artifacts: Path
):
    page = context.new_page()
    log_in(page, site, "/ui")
    # Count how often the reply's text changes while it streams.
    page.evaluate(
        """() => {
        window.__updates = 0;
        new MutationObserver((records) => {
          for (const r of records) {
            if (r.target.closest && r.target.closest('.reply-text')) window.__updates++;
            else if (r.target.parentElement?.closest('.reply-text')) window.__updates++;
          }
        }).observe(document.getElementById('conversation'),
                   {subtree: true, childList: true, characterData: true});
        }"""
    )
    message = page.get_by_label("Message")
    message.fill("Hi, this is unit 4B. My kitchen sink is leaking.")
    message.press("Enter")
    reply = page.locator("li.msg-reply").last
    expect(reply.locator(".reply-meta")).to_contain_text("Time to first token", timeout=60000)
    assert page.evaluate("window.__updates") >= 2, "the reply arrived in one piece"
    text = reply.locator(".reply-text").inner_text()
    assert text.strip()
    expect(reply.locator(".reply-meta")).to_contain_text("tokens/s")
    expect(reply.locator(".reply-checks")).to_contain_text("pending")

    uid = reply.get_attribute("data-turn-uid")
    assert uid and re.fullmatch(r"[0-9a-f]{32}", uid)
    [stored] = query_db(site, "SELECT reply_text, channel FROM turns WHERE uid = ?", (uid,))
    assert stored["reply_text"] == text and stored["channel"] == "web"
    with sqlite3.connect(site.settings.database_path) as conn:  # what the scoring worker writes
        conn.execute(
            "INSERT INTO turn_scores (turn_uid, passed, jamie_score, violations, soft_scores, "
            "similarity, scored_at) VALUES (?, 1, 86.0, '[]', '{}', 0.7, ?)",
            (uid, utc_now_iso()),
        )
    expect(reply.locator(".reply-checks")).to_contain_text("Checks passed · Jamie score 86/100")
    page.screenshot(path=artifacts / "playground-chat.png", full_page=True)


def test_a_call_transcript_opens_from_the_dashboard(
    context: BrowserContext, site: ServerThread, artifacts: Path
):
    call_id = f"call-{uuid.uuid4()}"
    for text in ("My front door lock is broken.", "Can you send someone today?"):
        body = {
            "model": "jamie",
            "messages": [{"role": "user", "content": text}],
            "stream": False,
            "max_tokens": 10,
            "call": {"id": call_id},
        }
        assert httpx.post(
            site.base_url + "/vapi/chat/completions", json=body, timeout=60
        ).is_success
    page = context.new_page()
    log_in(page, site)
    live = page.locator("#live-calls")
    expect(live.get_by_role("link", name=call_id)).to_be_visible(timeout=10000)
    page.screenshot(path=artifacts / "dashboard.png", full_page=True)
    live.get_by_role("link", name=call_id).click()
    expect(page).to_have_url(site.base_url + f"/admin/calls/{call_id}")
    transcript = page.get_by_role("list", name="Transcript")
    expect(transcript).to_contain_text("My front door lock is broken.")
    expect(transcript).to_contain_text("Can you send someone today?")
    expect(transcript.locator("li.msg-reply")).to_have_count(2)
    page.screenshot(path=artifacts / "transcript.png", full_page=True)


def test_model_test_panel_and_charts(context: BrowserContext, site: ServerThread, artifacts: Path):
    page = context.new_page()
    log_in(page, site)
    page.get_by_label("Tenant says").fill("Hello, is the office open on Saturday?")
    page.get_by_role("button", name="Run").click()
    reply = page.locator("#test-output li.msg-reply").last
    expect(reply.locator(".reply-meta")).to_contain_text("Time to first token", timeout=60000)
    expect(reply.locator(".reply-model")).to_contain_text(SMALL)
    page.goto(site.base_url + "/admin/stats?window=all")
    expect(page.locator("#stats-table tbody tr").first).to_contain_text(SMALL)
    expect(page.locator("svg.chart")).to_have_count(4)
    page.screenshot(path=artifacts / "stats.png", full_page=True)
    page.goto(site.base_url + "/admin/benchmarks?window=all")
    expect(page.locator("#benchmark-table")).to_contain_text("Tokens per second")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    csv_path = artifacts / "benchmarks.csv"
    download.value.save_as(csv_path)
    assert csv_path.read_text().startswith("model,version,turns")
    page.screenshot(path=artifacts / "benchmarks.png", full_page=True)


def test_keyboard_reaches_the_content_and_the_nav(context: BrowserContext, site: ServerThread):
    page = context.new_page()
    log_in(page, site)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Settings").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.base_url + "/admin/settings")
    page.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.goto(site.base_url + "/admin")
    expect(page).to_have_url(re.compile(r"/admin/login"))
