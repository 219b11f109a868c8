"""Tenants in the store: lookup by phone number, and the fictional demo set seeded on first run.

Demo tenants use the 555-0100..0199 numbers reserved for fiction and example.com addresses, so
nobody real can be called or mailed by mistake.
"""

from __future__ import annotations

from pydantic import BaseModel

from core.clock import utc_now_iso
from core.store.database import Database
from core.store.writer import StoreWriter
from core.tools.spoken import digits_in

DEMO_PROPERTY = "Maple Grove Apartments"

_DEMO_NAMES_AND_UNITS = (
    ("Avery Fictional", "1A"),
    ("Blake Sample", "1B"),
    ("Casey Example", "2A"),
    ("Devon Placeholder", "2B"),
    ("Emerson Testcase", "3A"),
    ("Finley Mockwell", "3B"),
    ("Gray Imaginary", "4A"),
    ("Harper Madeup", "4B"),
    ("Indigo Pretend", "5A"),
    ("Jordan Nobody", "5B"),
)

_INSERT_TENANT = """
INSERT INTO tenants (name, phone, phone_key, unit, property, email, is_demo, created_at)
VALUES (:name, :phone, :phone_key, :unit, :property, :email, :is_demo, :created_at)
ON CONFLICT(phone) DO NOTHING
"""


class Tenant(BaseModel):
    name: str
    phone: str
    unit: str
    property: str
    email: str | None = None
    is_demo: bool = False
    id: int | None = None


def phone_key(phone: str) -> str | None:
    """The ten digits a North American number is matched on; None if it has too few or many."""
    digits = digits_in(phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def demo_tenants() -> list[Tenant]:
    """The same ten fictional tenants every time: +1 503 555 0101 .. 0110, units 1A .. 5B."""
    return [
        Tenant(
            name=name,
            phone=f"+1503555{101 + i:04d}",
            unit=unit,
            property=DEMO_PROPERTY,
            email=f"{name.split()[0].lower()}@example.com",
            is_demo=True,
        )
        for i, (name, unit) in enumerate(_DEMO_NAMES_AND_UNITS)
    ]


def queue_tenant(writer: StoreWriter, tenant: Tenant) -> None:
    """Queue an insert; a tenant whose phone number is already stored is left as it is."""
    key = phone_key(tenant.phone)
    if key is None:
        raise ValueError(f"tenant {tenant.name!r} has no ten-digit phone number")
    params = tenant.model_dump(exclude={"id"})
    params.update(phone_key=key, is_demo=int(tenant.is_demo), created_at=utc_now_iso())
    writer.execute(_INSERT_TENANT, params)


async def seed_demo_tenants(writer: StoreWriter) -> int:
    """Store the demo tenants (idempotent: existing phone numbers are kept); returns how many."""
    tenants = demo_tenants()
    for tenant in tenants:
        queue_tenant(writer, tenant)
    await writer.flush()
    return len(tenants)


async def seed_demo_tenants_if_empty(database: Database, writer: StoreWriter) -> int:
    """First run: an empty tenants table gets the demo set. Returns how many were seeded."""
    rows = await database.fetch_all("SELECT EXISTS(SELECT 1 FROM tenants) AS any_tenant")
    if rows[0]["any_tenant"]:
        return 0
    return await seed_demo_tenants(writer)


_TENANT_COLUMNS = "id, name, phone, unit, property, email, is_demo"


async def find_tenant_by_phone(database: Database, phone: str) -> Tenant | None:
    key = phone_key(phone)
    if key is None:
        return None
    rows = await database.fetch_all(
        f"SELECT {_TENANT_COLUMNS} FROM tenants WHERE phone_key = ? ORDER BY id LIMIT 1", (key,)
    )
    return Tenant.model_validate(rows[0]) if rows else None


async def find_only_tenant_in_unit(database: Database, unit: str) -> Tenant | None:
    """The tenant of a unit, when exactly one is on file (else the match would be a guess)."""
    rows = await database.fetch_all(
        f"SELECT {_TENANT_COLUMNS} FROM tenants WHERE unit = ? LIMIT 2", (unit,)
    )
    return Tenant.model_validate(rows[0]) if len(rows) == 1 else None
