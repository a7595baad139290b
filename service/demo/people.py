"""The demo organization's people: an org tree of 8 units and about 60 employees.

Deterministic: the same names, managers and dates every time (``people.json``). Role keys
refer to ``service/demo/framework.yaml``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from service.demo.common import records


@dataclass(frozen=True)
class DemoUnit:
    key: str
    name: str
    parent: str | None


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    role: str | None
    unit: str
    manager: str | None
    title: str
    hired: dt.date
    location: str


_DATA = records("people")

UNITS = [DemoUnit(key, name, parent) for key, name, parent in _DATA["units"]]

LOCATIONS: list[str] = _DATA["locations"]

# Rows of (key, name, role key, unit, manager key); titles follow the role.
_PEOPLE: list[tuple[str, str, str | None, str, str | None]] = [tuple(r) for r in _DATA["people"]]

# Titles of people whose jobs the demo framework does not model (they have no role).
_TITLE_OVERRIDES: dict[str, str] = _DATA["title_overrides"]


def _title(key: str, role: str | None) -> str:
    if role is None:
        return _TITLE_OVERRIDES[key]
    return " ".join(w if w in ("of",) else w.capitalize() for w in role.split("-"))


def people() -> list[DemoPerson]:
    """The demo employees, managers before their reports."""
    base = dt.date(2016, 3, 1)
    out = []
    for i, (key, name, role, unit, manager) in enumerate(_PEOPLE):
        # Spread hire dates over ten years, seniors earlier: deterministic, plausible.
        hired = base + dt.timedelta(days=(i * 53) % 3400)
        out.append(
            DemoPerson(
                key,
                name,
                role,
                unit,
                manager,
                _title(key, role),
                hired,
                LOCATIONS[i % len(LOCATIONS)],
            )
        )
    return out


# The personas `serve --demo` prints tokens for: persona -> (employee key, scopes).
PERSONAS: dict[str, tuple[str, str]] = {
    persona: (key, scopes) for persona, (key, scopes) in _DATA["personas"].items()
}
