"""Seeding for the assessments' migration tests: an organization with a proficiency scale
and competencies, written as the tenant, before the migration under test runs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def organization(
    conn: asyncpg.Connection, org: uuid.UUID, scale: uuid.UUID, competencies: dict[uuid.UUID, str]
) -> AsyncIterator[None]:
    """Organization ``org`` with ``scale`` and ``competencies`` (ID → key); the block runs
    in the same transaction, with the organization as the tenant."""
    await conn.execute("insert into organizations (id, slug, name) values ($1, 'o', 'O')", org)
    async with conn.transaction():
        await conn.execute("select set_config('app.org_id', $1, true)", str(org))
        await conn.execute(
            "insert into proficiency_scales (id, org_id, key, name) values ($1, $2, 's', 'S')",
            scale,
            org,
        )
        for competency, key in competencies.items():
            await conn.execute(
                "insert into competencies (id, org_id, key, name, scale_id) "
                "values ($1, $2, $3, $3, $4)",
                competency,
                org,
                key,
                scale,
            )
        yield
