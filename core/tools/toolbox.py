"""The property-management tools, one implementation for every caller of them.

VAPI's `tool-calls` webhook, its legacy `function-call`, and a channel that runs the model's own
tool calls all go through `Toolbox.run(name, arguments, context)`. It never raises: bad
arguments, an unknown tool or a failing store come back as a `ToolResult` with `ok=False` and a
sentence the assistant can say. Every run is kept as a `tool_call` event.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from core.clock import utc_now_iso
from core.logging import get_logger
from core.store.database import Database
from core.store.records import EventRecord
from core.store.writer import StoreWriter
from core.tools.arguments import (
    CreateWorkOrderArgs,
    EndCallArgs,
    LookupTenantArgs,
    ToolArguments,
    TransferToHumanArgs,
    WorkOrderStatusArgs,
)
from core.tools.spoken import spell_digits
from core.tools.tenants import find_only_tenant_in_unit, find_tenant_by_phone, phone_key
from core.tools.work_orders import WorkOrderBook

log = get_logger(__name__)

ToolAction = Literal["none", "transfer", "end_call"]


class ToolContext(BaseModel):
    """Who is asking: the call (for linking records) and the caller's number, if known."""

    source: str  # vapi_webhook, vapi_function_call, model, ...
    call_id: str | None = None
    caller_number: str | None = None


class ToolResult(BaseModel):
    tool: str
    ok: bool
    message: str  # what the assistant can say, or use to say it
    data: dict[str, Any] = Field(default_factory=dict)
    action: ToolAction = "none"  # what the channel should do next (hang up, transfer)


Handler = Callable[[Any, ToolContext], Awaitable[ToolResult]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    arguments: type[ToolArguments]
    handler: Handler


def parameters_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A plain JSON schema (type, description, enum) that OpenAI, Ollama and VAPI all accept."""
    schema = model.model_json_schema()
    properties: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
        plain = {k: v for k, v in variants[0].items() if k in ("type", "enum")}
        plain.setdefault("type", "string")
        if "description" in prop:
            plain["description"] = prop["description"]
        properties[name] = plain
    return {"type": "object", "properties": properties, "required": schema.get("required", [])}


def _argument_problem(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "arguments"
        if error["type"] == "missing":
            problems.append(f"{field} is missing")
        elif error["type"] == "literal_error":
            allowed = error.get("ctx", {}).get("expected", "")
            problems.append(f"{field} must be one of {allowed}")
        else:
            problems.append(f"{field}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def _spoken_date(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{moment:%B} {moment.day}"


class Toolbox:
    def __init__(self, database: Database, writer: StoreWriter, *, company: str = "our team"):
        self.database = database
        self.writer = writer
        self.company = company
        self.work_orders = WorkOrderBook(database, writer)
        self.specs = {
            spec.name: spec
            for spec in (
                ToolSpec(
                    "create_work_order",
                    "Open a maintenance work order for the tenant's unit. Returns the ticket "
                    "number to read back to the tenant.",
                    CreateWorkOrderArgs,
                    self._create_work_order,
                ),
                ToolSpec(
                    "work_order_status",
                    "Look up a work order by its six-digit ticket number.",
                    WorkOrderStatusArgs,
                    self._work_order_status,
                ),
                ToolSpec(
                    "lookup_tenant",
                    "Find the tenant on file for a phone number (the caller's, by default).",
                    LookupTenantArgs,
                    self._lookup_tenant,
                ),
                ToolSpec(
                    "transfer_to_human",
                    "Hand the call to a person on the property team.",
                    TransferToHumanArgs,
                    self._transfer_to_human,
                ),
                ToolSpec(
                    "end_call",
                    "End the call after saying goodbye, once the tenant has what they need.",
                    EndCallArgs,
                    self._end_call,
                ),
            )
        }

    def definitions(self) -> list[dict[str, Any]]:
        """The tools in OpenAI's `tools` format (also what Ollama and VAPI take)."""
        return [
            {
                "type": "function",
                "function": {
                    "name": spec.name,
                    "description": spec.description,
                    "parameters": parameters_schema(spec.arguments),
                },
            }
            for spec in self.specs.values()
        ]

    async def run(self, name: str, arguments: Any, context: ToolContext) -> ToolResult:
        result = await self._run(name, arguments, context)
        self.writer.add_event(
            EventRecord(
                source="tools",
                kind="tool_call",
                created_at=utc_now_iso(),
                call_id=context.call_id,
                payload={
                    "tool": name,
                    "arguments": arguments,
                    "context": context.model_dump(),
                    "result": result.model_dump(),
                },
            )
        )
        log.info("tool_call", tool=name, ok=result.ok, call_id=context.call_id)
        return result

    async def _run(self, name: str, arguments: Any, context: ToolContext) -> ToolResult:
        spec = self.specs.get(name)
        if spec is None:
            known = ", ".join(self.specs)
            return ToolResult(tool=name, ok=False, message=f"There is no tool {name!r} ({known}).")
        if arguments is None or arguments == "":
            arguments = {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                return ToolResult(
                    tool=name, ok=False, message="The tool arguments were not valid JSON."
                )
        if not isinstance(arguments, dict):
            return ToolResult(tool=name, ok=False, message="The tool arguments must be an object.")
        try:
            parsed = spec.arguments.model_validate(arguments)
        except ValidationError as exc:
            return ToolResult(
                tool=name,
                ok=False,
                message=f"I could not run {name}: {_argument_problem(exc)}.",
            )
        try:
            return await spec.handler(parsed, context)
        except Exception:
            log.exception("tool_failed", tool=name, call_id=context.call_id)
            return ToolResult(
                tool=name,
                ok=False,
                message="The system could not do that right now. Please take a message, and "
                "the office will follow up.",
            )

    async def _create_work_order(self, args: CreateWorkOrderArgs, ctx: ToolContext) -> ToolResult:
        tenant = None
        if ctx.caller_number:
            tenant = await find_tenant_by_phone(self.database, ctx.caller_number)
        if tenant is None or tenant.unit != args.unit:
            tenant = await find_only_tenant_in_unit(self.database, args.unit)
        order = await self.work_orders.create(
            args,
            source=ctx.source,
            call_id=ctx.call_id,
            tenant_id=tenant.id if tenant else None,
        )
        spoken = spell_digits(order.ticket)
        message = (
            f"Work order created for unit {order.unit}, {order.category}, {order.urgency}. "
            f"The ticket number is {spoken}."
        )
        if order.urgency == "emergency":
            message += " If anyone is in danger, they should get safe and call 911 first."
        return ToolResult(
            tool="create_work_order",
            ok=True,
            message=message,
            data={**order.model_dump(), "ticket_spoken": spoken},
        )

    async def _work_order_status(self, args: WorkOrderStatusArgs, ctx: ToolContext) -> ToolResult:
        spoken = spell_digits(args.ticket)
        order = await self.work_orders.find(args.ticket)
        if order is None:
            return ToolResult(
                tool="work_order_status",
                ok=True,
                message=f"There is no work order with ticket number {spoken}.",
                data={"ticket": args.ticket, "found": False},
            )
        return ToolResult(
            tool="work_order_status",
            ok=True,
            message=f"Ticket {spoken}, a {order.category} problem in unit {order.unit} reported "
            f"on {_spoken_date(order.created_at)}, is {order.status}.",
            data={**order.model_dump(), "found": True},
        )

    async def _lookup_tenant(self, args: LookupTenantArgs, ctx: ToolContext) -> ToolResult:
        phone = args.phone or ctx.caller_number
        if not phone:
            return ToolResult(
                tool="lookup_tenant",
                ok=False,
                message="I need the tenant's phone number to look them up.",
            )
        if phone_key(phone) is None:
            return ToolResult(
                tool="lookup_tenant",
                ok=False,
                message="That phone number does not have ten digits; please ask for it again.",
            )
        tenant = await find_tenant_by_phone(self.database, phone)
        if tenant is None or tenant.id is None:
            return ToolResult(
                tool="lookup_tenant",
                ok=True,
                message="No tenant is on file with that phone number.",
                data={"found": False},
            )
        open_orders = await self.work_orders.open_count_for_tenant(tenant.id)
        return ToolResult(
            tool="lookup_tenant",
            ok=True,
            message=f"On file: {tenant.name}, unit {tenant.unit} at {tenant.property}, "
            f"with {open_orders} open work order{'' if open_orders == 1 else 's'}.",
            data={
                "found": True,
                "name": tenant.name,
                "unit": tenant.unit,
                "property": tenant.property,
                "open_work_orders": open_orders,
            },
        )

    async def _transfer_to_human(self, args: TransferToHumanArgs, ctx: ToolContext) -> ToolResult:
        return ToolResult(
            tool="transfer_to_human",
            ok=True,
            message=f"Transferring the call to a person at {self.company} now.",
            data={"reason": args.reason},
            action="transfer",
        )

    async def _end_call(self, args: EndCallArgs, ctx: ToolContext) -> ToolResult:
        return ToolResult(
            tool="end_call", ok=True, message="Ending the call. Goodbye.", action="end_call"
        )
