"""What the demo's loaders share: their records, kept as JSON files in this package, and
acting as one of the demo's people."""

from __future__ import annotations

import json
import uuid
from functools import cache
from importlib.resources import files
from typing import Any

from service.auth.principal import ActorType, Principal

EMPLOYEE = "career:employee"
MANAGER = "career:employee career:manager"


@cache
def records(name: str) -> Any:
    """The parsed ``<name>.json`` of this package, read once per process."""
    return json.loads(files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8"))


def person(org_id: uuid.UUID, employee_id: uuid.UUID, scopes: str) -> Principal:
    """One of the demo's employees, with the scopes ``scopes`` names (space-separated),
    as the loader acts for them."""
    return Principal(
        org_id=org_id,
        subject=f"demo-loader:{employee_id}",
        scopes=frozenset(scopes.split()),
        actor_type=ActorType.EMPLOYEE,
        employee_id=employee_id,
    )
