"""What the admin pages share, created once at start-up and kept on the app."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from pydantic import BaseModel

from admin.auth import AdminAuth, AdminToken
from core.store.database import Database


class PersonaChoice(BaseModel):
    name: str
    display_name: str
    served: bool  # the persona this server answers as (PETE_PERSONA)


def list_personas(personas_dir: Path, served: str) -> list[PersonaChoice]:
    choices = []
    for path in sorted(personas_dir.glob("*.toml")):
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        name = str(data.get("name", path.stem))
        display = str(data.get("display_name", name))
        choices.append(PersonaChoice(name=name, display_name=display, served=name == served))
    return sorted(choices, key=lambda p: (not p.served, p.name))


@dataclass
class AdminState:
    auth: AdminAuth
    token: AdminToken
    public_playground: bool
    # The pages' own read connection: a long stats query never holds up the app's shared one
    # (health checks, tool lookups during calls).
    database: Database
    personas: list[PersonaChoice] = field(default_factory=list)


ADMIN = web.AppKey("admin", AdminState)


def admin_state(request: web.Request) -> AdminState:
    return request.app[ADMIN]


def admin_database(request: web.Request) -> Database:
    return request.app[ADMIN].database
