"""Pure parts of the tools and the webhook check: spoken digits, phone keys, tool schemas, demo
tenants, and the HMAC timestamp window at its edges (with a fixed clock)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from core.tools.arguments import CreateWorkOrderArgs, LookupTenantArgs
from core.tools.spoken import digits_in, spell_digits
from core.tools.tenants import demo_tenants, phone_key
from core.tools.toolbox import parameters_schema
from voice.vapi_auth import WebhookAuthenticator


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("four eight two, one nine three", "482193"),
        ("Ticket 48-21 nine THREE", "482193"),
        ("five oh three", "503"),
        ("(503) 555-0101", "5035550101"),
        ("no numbers here", ""),
    ],
)
def test_digits_in(said: str, digits: str):
    assert digits_in(said) == digits


def test_spell_digits_in_groups_of_three():
    assert spell_digits("482193") == "four eight two, one nine three"
    assert spell_digits("1234567") == "one two three, four five six, seven"
    assert digits_in(spell_digits("907310")) == "907310"


@pytest.mark.parametrize(
    ("phone", "key"),
    [
        ("+1 (503) 555-0101", "5035550101"),
        ("503.555.0101", "5035550101"),
        ("15035550101", "5035550101"),
        ("555-0101", None),
        ("+44 20 7946 0958", None),
    ],
)
def test_phone_key(phone: str, key: str | None):
    assert phone_key(phone) == key


def test_tool_schemas_are_plain_json_schema():
    assert parameters_schema(LookupTenantArgs) == {
        "type": "object",
        "properties": {
            "phone": {
                "type": "string",
                "description": "The tenant's phone number; leave out to use the caller's number",
            }
        },
        "required": [],
    }
    work_order = parameters_schema(CreateWorkOrderArgs)
    assert work_order["required"] == ["unit", "category", "description"]
    assert work_order["properties"]["urgency"]["enum"] == ["emergency", "urgent", "routine"]
    assert "plumbing" in work_order["properties"]["category"]["enum"]


def test_demo_tenants_are_deterministic_and_fictional():
    tenants = demo_tenants()
    assert tenants == demo_tenants()
    assert len({t.phone for t in tenants}) == len(tenants) == 10
    for tenant in tenants:
        assert 100 <= int(tenant.phone[-4:]) <= 199 and tenant.phone[-7:-4] == "555"
        assert tenant.email is not None and tenant.email.endswith("@example.com")
        assert tenant.is_demo


def _signed(secret: str, timestamp: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {"x-signature": digest.hexdigest(), "x-timestamp": timestamp}


def test_hmac_window_edges_with_a_fixed_clock():
    now = 1_800_000_000.0
    check = WebhookAuthenticator(mode="hmac", secret="k", tolerance_s=300, clock=lambda: now)
    body = b'{"message": {"type": "hang"}}'
    for offset in (-300, 0, 300):
        assert check.check_signature(_signed("k", str(int(now + offset)), body), body) is None
    for offset in (-301, 301):
        refusal = check.check_signature(_signed("k", str(int(now + offset)), body), body)
        assert refusal is not None and refusal.code == "stale_timestamp"
    # Headers alone never pass or fail an HMAC request: the body decides.
    assert check.check_headers({}) is None and check.needs_body
