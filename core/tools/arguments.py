"""The arguments of each tool, validated with pydantic before any tool runs.

Models and transcribers are loose with case and wording, so enums are matched without regard to
case and with a few common synonyms; anything else is refused with a message the assistant can
speak. Unknown extra arguments are ignored (models like to add their own).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.tools.spoken import digits_in

Category = Literal[
    "plumbing",
    "electrical",
    "heating",
    "cooling",
    "appliance",
    "pest",
    "locks",
    "structural",
    "other",
]
Urgency = Literal["emergency", "urgent", "routine"]

_CATEGORY_SYNONYMS = {
    "leak": "plumbing",
    "water": "plumbing",
    "toilet": "plumbing",
    "sink": "plumbing",
    "power": "electrical",
    "electric": "electrical",
    "heat": "heating",
    "heater": "heating",
    "furnace": "heating",
    "hvac": "heating",
    "ac": "cooling",
    "air conditioning": "cooling",
    "pests": "pest",
    "lock": "locks",
    "door": "locks",
    "keys": "locks",
    "appliances": "appliance",
    "general": "other",
}
_URGENCY_SYNONYMS = {
    "high": "urgent",
    "asap": "urgent",
    "medium": "routine",
    "normal": "routine",
    "low": "routine",
    "critical": "emergency",
}


def _normalized(value: Any, synonyms: dict[str, str]) -> Any:
    if not isinstance(value, str):
        return value
    key = value.strip().lower()
    return synonyms.get(key, key)


class ToolArguments(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CreateWorkOrderArgs(ToolArguments):
    unit: str = Field(min_length=1, max_length=20, description="The tenant's unit, e.g. 4B")
    category: Category = Field(description="What kind of problem it is")
    description: str = Field(
        min_length=3, max_length=1000, description="The problem in the tenant's words"
    )
    urgency: Urgency = Field(
        default="routine",
        description="emergency: danger to people or property now; urgent: today; "
        "routine: can wait for a scheduled visit",
    )

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> Any:
        return _normalized(value, _CATEGORY_SYNONYMS)

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, value: Any) -> Any:
        return _normalized(value, _URGENCY_SYNONYMS)

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        unit = value.upper().removeprefix("UNIT").strip(" #")
        if not unit:
            raise ValueError("the unit is missing")
        return unit


class WorkOrderStatusArgs(ToolArguments):
    ticket: str = Field(
        min_length=1, max_length=80, description="The six-digit ticket number, digits or words"
    )

    @field_validator("ticket")
    @classmethod
    def _six_digits(cls, value: str) -> str:
        digits = digits_in(value)
        if len(digits) != 6:
            raise ValueError("a ticket number has six digits")
        return digits


class LookupTenantArgs(ToolArguments):
    phone: str | None = Field(
        default=None,
        max_length=40,
        description="The tenant's phone number; leave out to use the caller's number",
    )


class TransferToHumanArgs(ToolArguments):
    reason: str = Field(min_length=2, max_length=500, description="Why the tenant needs a person")


class EndCallArgs(ToolArguments):
    pass
