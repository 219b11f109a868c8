"""The property-management tools through VAPI's `tool-calls` and legacy `function-call` webhooks,
on the real server with its SQLite store: every tool with good and bad arguments, every shape
VAPI's pages show for the tool-call list, and the demo tenants seeded on first start."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from core.llm.embedded import EmbeddedBackend
from core.tools.spoken import digits_in
from core.tools.tenants import demo_tenants
from tests.conftest import make_settings, query_db
from tests.support import vapi_payloads as vapi
from voice.server import ServerThread

SECRET = "tools-secret-41d0"


@pytest.fixture(scope="module")
def tooled(tmp_path_factory, embedded_backend: EmbeddedBackend) -> Iterator[ServerThread]:
    settings = make_settings(tmp_path_factory.mktemp("tools"), vapi_webhook_secret=SECRET)
    thread = ServerThread(settings, backend=embedded_backend).start()
    yield thread
    thread.stop()


def post(server: ServerThread, body: dict) -> httpx.Response:
    return httpx.post(
        server.base_url + "/vapi/webhook", json=body, headers={"X-Vapi-Secret": SECRET}
    )


def run_tools(server: ServerThread, call_id: str, entries: list[dict], **fields) -> list[dict]:
    response = post(server, vapi.tool_calls(call_id, entries, **fields))
    assert response.status_code == 200, response.text
    return response.json()["results"]


def one_tool(server: ServerThread, name: str, arguments: dict | str, call_id: str | None = None):
    call_id = call_id or vapi.new_call_id()
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    [result] = run_tools(server, call_id, [vapi.function_shape("tc-1", name, raw)])
    assert result["toolCallId"] == "tc-1" and result["name"] == name
    return result


def spoken_ticket(text: str) -> str:
    """The digits of the ticket as read out: "... ticket number is four eight two, ..."."""
    return digits_in(text.split("ticket number is", 1)[1])


def work_orders(server: ServerThread) -> list[dict]:
    return query_db(server, "SELECT * FROM work_orders ORDER BY id")


LEAK = {
    "unit": "2B",
    "category": "plumbing",
    "description": "The kitchen sink is leaking under the cabinet.",
    "urgency": "urgent",
}


def test_demo_tenants_are_seeded_once(tooled: ServerThread, tmp_path_factory, embedded_backend):
    rows = query_db(tooled, "SELECT name, phone, unit, is_demo FROM tenants ORDER BY id")
    expected = demo_tenants()
    assert [(r["name"], r["phone"], r["unit"]) for r in rows] == [
        (t.name, t.phone, t.unit) for t in expected
    ]
    assert all(r["is_demo"] == 1 for r in rows)
    assert all(
        r["phone"].startswith("+1503555") and 101 <= int(r["phone"][-4:]) <= 199 for r in rows
    )
    # A second start on the same store does not add them again.
    again = ServerThread(tooled.settings, backend=embedded_backend).start()
    try:
        count = query_db(again, "SELECT COUNT(*) AS n FROM tenants")[0]["n"]
    finally:
        again.stop()
    assert count == len(expected)


def test_create_work_order_stores_it_and_reads_the_ticket_back_in_words(tooled: ServerThread):
    call_id = vapi.new_call_id()
    result = one_tool(tooled, "create_work_order", LEAK, call_id)
    assert "error" not in result
    order = work_orders(tooled)[-1]
    ticket = order["ticket"]
    assert len(ticket) == 6 and ticket.isdigit()
    assert ticket not in result["result"], "digits are read as words, not as a number"
    assert spoken_ticket(result["result"]) == ticket
    assert order["call_id"] == call_id and order["source"] == "vapi_webhook"
    assert (order["unit"], order["category"], order["urgency"]) == ("2B", "plumbing", "urgent")
    assert order["description"] == LEAK["description"] and order["status"] == "open"
    tenant = query_db(tooled, "SELECT id FROM tenants WHERE phone = ?", (vapi.TENANT_PHONE,))
    assert order["tenant_id"] == tenant[0]["id"]  # the caller's number found the tenant
    events = query_db(
        tooled, "SELECT payload FROM events WHERE kind = 'tool_call' AND call_id = ?", (call_id,)
    )
    assert json.loads(events[0]["payload"])["result"]["data"]["ticket"] == ticket


def test_create_work_order_normalizes_what_models_say(tooled: ServerThread):
    arguments = {
        "unit": "unit 3a",
        "category": "Leak",
        "description": "Water coming through the ceiling",
        "urgency": "EMERGENCY",
        "tenant_mood": "upset",
    }
    result = one_tool(tooled, "create_work_order", arguments)
    assert "911" in result["result"]
    order = work_orders(tooled)[-1]
    assert (order["unit"], order["category"], order["urgency"]) == ("3A", "plumbing", "emergency")


BAD_WORK_ORDERS = [
    ("no unit", {k: v for k, v in LEAK.items() if k != "unit"}, "unit is missing"),
    ("blank unit", {**LEAK, "unit": "unit "}, "unit"),
    ("unknown category", {**LEAK, "category": "spaceship"}, "category must be one of"),
    ("unknown urgency", {**LEAK, "urgency": "whenever"}, "urgency must be one of"),
    ("description too short", {**LEAK, "description": "no"}, "description"),
    ("unit not text", {**LEAK, "unit": ["2B"]}, "unit"),
    ("arguments not json", '{"unit": "2B", ', "not valid JSON"),
    ("arguments a list", '["2B", "plumbing"]', "must be an object"),
]


@pytest.mark.parametrize(
    ("case", "arguments", "says"), BAD_WORK_ORDERS, ids=[b[0] for b in BAD_WORK_ORDERS]
)
def test_create_work_order_bad_arguments_get_a_speakable_error(
    tooled: ServerThread, case, arguments, says
):
    before = len(work_orders(tooled))
    result = one_tool(tooled, "create_work_order", arguments)
    assert "result" not in result
    assert says in result["error"]
    assert len(work_orders(tooled)) == before


def test_work_order_status_by_ticket_in_digits_or_words(tooled: ServerThread):
    created = one_tool(tooled, "create_work_order", {**LEAK, "category": "heating"})
    ticket = spoken_ticket(created["result"])
    spoken = " ".join(
        ["zero one two three four five six seven eight nine".split()[int(d)] for d in ticket]
    )
    for said in (ticket, spoken, f"{ticket[:3]}-{ticket[3:]}"):
        status = one_tool(tooled, "work_order_status", {"ticket": said})
        assert "heating" in status["result"] and "is open" in status["result"]
        assert digits_in(status["result"].split(", a ")[0]) == ticket


def test_work_order_status_bad_or_unknown_ticket(tooled: ServerThread):
    assert "six digits" in one_tool(tooled, "work_order_status", {"ticket": "12"})["error"]
    assert "missing" in one_tool(tooled, "work_order_status", {})["error"]
    unknown = one_tool(tooled, "work_order_status", {"ticket": "000000"})
    assert unknown["result"].startswith("There is no work order")


def test_lookup_tenant(tooled: ServerThread):
    by_caller = one_tool(tooled, "lookup_tenant", {})  # the caller is Devon, unit 2B
    assert "Devon Placeholder" in by_caller["result"] and "unit 2B" in by_caller["result"]
    for phone in ("(503) 555-0103", "+1 503 555 0103", "five oh three 555 0103"):
        found = one_tool(tooled, "lookup_tenant", {"phone": phone})
        assert "Casey Example" in found["result"], phone
    assert one_tool(tooled, "lookup_tenant", {"phone": "+15035550188"})["result"].startswith(
        "No tenant"
    )
    assert "ten digits" in one_tool(tooled, "lookup_tenant", {"phone": "12345"})["error"]
    assert "ten digits" in one_tool(tooled, "lookup_tenant", {"phone": "x" * 30})["error"]


def test_lookup_tenant_without_any_number_is_an_error(tooled: ServerThread):
    body = vapi.tool_calls(vapi.new_call_id(), [vapi.function_shape("tc-9", "lookup_tenant", "{}")])
    del body["message"]["customer"]
    del body["message"]["call"]["customer"]
    [result] = post(tooled, body).json()["results"]
    assert "phone number" in result["error"]


def test_transfer_to_human_and_end_call(tooled: ServerThread):
    transfer = one_tool(tooled, "transfer_to_human", {"reason": "wants to discuss the lease"})
    assert "Transferring" in transfer["result"]
    assert "reason is missing" in one_tool(tooled, "transfer_to_human", {})["error"]
    assert "reason" in one_tool(tooled, "transfer_to_human", {"reason": 42})["error"]
    assert one_tool(tooled, "end_call", {})["result"] == "Ending the call. Goodbye."
    assert one_tool(tooled, "end_call", {"reason": "done"})["result"].startswith("Ending")
    assert one_tool(tooled, "end_call", "")["result"].startswith("Ending")


def test_unknown_tool_is_an_error_result_not_a_500(tooled: ServerThread):
    result = one_tool(tooled, "order_pizza", {"size": "large"})
    assert "no tool 'order_pizza'" in result["error"]


def test_every_documented_tool_call_shape(tooled: ServerThread):
    call_id = vapi.new_call_id()
    entries = [
        vapi.function_shape("a", "lookup_tenant", json.dumps({"phone": "503-555-0101"})),
        {
            "id": "b",
            "type": "function",
            "function": {"name": "lookup_tenant", "arguments": {"phone": "5035550102"}},
        },
        {"id": "c", "name": "lookup_tenant", "arguments": {"phone": "5035550103"}},
        {"id": "d", "name": "lookup_tenant", "parameters": {"phone": "5035550105"}},
        {"id": "e", "name": "work_order_status", "parameters": {"ticket": "1"}},
    ]
    results = run_tools(tooled, call_id, entries)
    assert [r["toolCallId"] for r in results] == ["a", "b", "c", "d", "e"]
    names = ["Avery Fictional", "Blake Sample", "Casey Example", "Emerson Testcase"]
    for result, name in zip(results[:4], names, strict=True):
        assert name in result["result"]
    assert "error" in results[4]
    runs = query_db(
        tooled,
        "SELECT COUNT(*) AS n FROM events WHERE kind = 'tool_call' AND call_id = ?",
        (call_id,),
    )
    assert runs[0]["n"] == 5


def test_tool_with_tool_call_list_alone(tooled: ServerThread):
    body = vapi.message(
        "tool-calls",
        vapi.new_call_id(),
        toolWithToolCallList=[
            {
                "type": "function",
                "function": {"name": "lookup_tenant", "parameters": {"type": "object"}},
                "server": {"url": "https://jamie.example.test/vapi/webhook"},
                "toolCall": {
                    "id": "call_only_here",
                    "type": "function",
                    "function": {"arguments": json.dumps({"phone": "+15035550107"})},
                },
            }
        ],
    )
    [result] = post(tooled, body).json()["results"]
    assert result["toolCallId"] == "call_only_here" and result["name"] == "lookup_tenant"
    assert "Gray Imaginary" in result["result"]


def test_legacy_function_call(tooled: ServerThread):
    call_id = vapi.new_call_id()
    good = post(
        tooled,
        vapi.message(
            "function-call",
            call_id,
            functionCall={"name": "create_work_order", "parameters": {**LEAK, "unit": "5A"}},
        ),
    ).json()
    assert set(good) == {"result"} and len(spoken_ticket(good["result"])) == 6
    assert work_orders(tooled)[-1]["unit"] == "5A"
    assert work_orders(tooled)[-1]["source"] == "vapi_function_call"
    bad = post(
        tooled,
        vapi.message("function-call", call_id, functionCall={"name": "create_work_order"}),
    ).json()
    assert "unit is missing" in bad["error"] and bad["result"] == bad["error"]
