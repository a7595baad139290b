"""A migration's round trip on a scratch database: up to it, one step down, up again."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.engine import make_url

from service.db import drop_database, migrate, provision


def round_trip(
    database_urls: tuple[str, str],
    revision: str,
    state: Callable[[str], Awaitable[Any]],
) -> tuple[Any, Any, Any]:
    """``state(owner_url)`` after upgrading to ``revision``, after one step down, and after
    upgrading again, on a database of its own (dropped afterwards)."""
    admin_url = make_url(database_urls[0]).set(database="postgres").render_as_string(False)
    suffix = secrets.token_hex(4)
    database, role = f"careerpath_mig_{suffix}", f"careerpath_mig_app_{suffix}"
    provisioned = asyncio.run(provision(admin_url, database, role, secrets.token_urlsafe(12)))
    try:
        found = []
        for target in (revision, "-1", revision):
            migrate(provisioned.owner_url, target, app_role=role)
            found.append(asyncio.run(state(provisioned.owner_url)))
        return found[0], found[1], found[2]
    finally:
        asyncio.run(drop_database(admin_url, database, role))
