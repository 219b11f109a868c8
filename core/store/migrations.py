"""Versioned schema: `core/store/schema/NNNN_name.sql`, applied in order, each once.

Add a new file with the next number; never edit one that has shipped.
"""

from __future__ import annotations

from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


def load_migrations() -> list[tuple[int, str]]:
    migrations = []
    for path in sorted(SCHEMA_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        migrations.append((int(path.name[:4]), path.read_text()))
    versions = [version for version, _ in migrations]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two schema files share a version number in {SCHEMA_DIR}")
    return migrations
