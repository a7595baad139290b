"""Read side of identity and access: service accounts and HR admins."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from service.auth.models import hr_admins, service_accounts
from service.db import Executor
from service.people.models import employees


async def active_service_account(db: Executor, client_id: str) -> Any | None:
    """The active service account registered for ``client_id`` in the current tenant."""
    return (
        await db.execute(
            select(service_accounts).where(
                service_accounts.c.client_id == client_id, service_accounts.c.active.is_(True)
            )
        )
    ).first()


async def service_accounts_by_id(db: Executor, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    rows = (
        await db.execute(select(service_accounts).where(service_accounts.c.id.in_(set(ids))))
    ).all()
    found = {r.id: r for r in rows}
    return [found.get(i) for i in ids]


def service_accounts_select(active: bool | None = None) -> Select[Any]:
    """Service accounts by name, optionally only the active (or inactive) ones."""
    stmt = select(service_accounts)
    if active is not None:
        stmt = stmt.where(service_accounts.c.active.is_(active))
    return stmt.order_by(service_accounts.c.name, service_accounts.c.id)


def hr_admins_select() -> Select[Any]:
    """The employees named HR admins (whatever their status), by name."""
    return (
        select(*employees.c)
        .join(
            hr_admins,
            (hr_admins.c.org_id == employees.c.org_id)
            & (hr_admins.c.employee_id == employees.c.id),
        )
        .order_by(employees.c.name, employees.c.id)
    )
