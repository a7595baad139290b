"""GraphQL enums built from the domain's Python enums, with a description for every value."""

from __future__ import annotations

from enum import Enum
from typing import Any


def graphql_enum(source: type[Enum], description: str, values: dict[str, str]) -> Any:
    """A strawberry enum named like ``source`` whose members carry ``values``' descriptions.

    Every member must be described; a missing one fails at import, not in review.
    """
    import strawberry

    missing = [m.name for m in source if m.name not in values]
    if missing:
        raise ValueError(f"{source.__name__}: no description for {', '.join(missing)}")
    members = {m.name: strawberry.enum_value(m.value, description=values[m.name]) for m in source}
    graphql_type: Any = Enum(source.__name__, members)  # type: ignore[misc]
    return strawberry.enum(graphql_type, description=description)
