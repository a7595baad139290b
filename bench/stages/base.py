"""What a generator stage is, and the world the stages build together."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg


def seeded_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from ``rng``, so the same seed gives the same IDs."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class World:
    """The organization being generated. Stages read what earlier stages left here
    (the people stage leaves ``people``; a framework stage would leave roles) and add
    their own."""

    org_id: uuid.UUID
    slug: str
    employees: int
    seed: int
    data: dict[str, Any] = field(default_factory=dict)

    def rng(self, stage: str) -> random.Random:
        """A generator of its own per stage: adding a stage never changes another's data."""
        return random.Random(f"{self.seed}:{stage}")


class Stage(Protocol):
    """One domain of the generated organization.

    ``load`` runs inside the loading transaction, tenant already set, and returns how many
    rows it wrote per table. ``facts`` runs at benchmark time on a generated (possibly
    reused) database and returns what the operations need: personas, IDs to query.
    Bump ``version`` whenever the stage's output changes, so old databases get rebuilt.
    """

    name: str
    version: int

    async def load(self, conn: asyncpg.Connection, world: World) -> dict[str, int]: ...

    async def facts(self, conn: asyncpg.Connection, org_id: uuid.UUID) -> dict[str, Any]: ...


async def insert_rows(
    conn: asyncpg.Connection,
    table: str,
    columns: list[tuple[str, str]] | str,
    rows: list[tuple[Any, ...]],
    *,
    batch: int = 20_000,
) -> int:
    """Insert ``rows`` with one ``insert … select from unnest(…)`` per batch.

    Set-based like COPY, and unlike COPY it works under Row Level Security when the
    loading role does not bypass it. ``columns`` are (name, SQL type) pairs, or the same
    as text: ``"id uuid, name text"``.
    """
    if isinstance(columns, str):
        columns = [(c.split()[0], c.split()[1]) for c in columns.split(",")]
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"${i + 1}::{sql_type}[]" for i, (_, sql_type) in enumerate(columns))
    statement = f"insert into {table} ({names}) select * from unnest({arrays})"
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        await conn.execute(statement, *[list(col) for col in zip(*chunk, strict=True)])
    return len(rows)
