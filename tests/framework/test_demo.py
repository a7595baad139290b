"""The demo organization gets the demo framework, and its people their roles."""

from __future__ import annotations

from sqlalchemy import func, select

from service.app import Runtime
from service.demo.load import DEMO_SLUG, load_demo
from service.demo.people import people
from service.framework import transfer
from service.framework.document import dump_document, parse_document
from service.framework.models import roles
from service.people.models import employees
from tests.framework.conftest import DEMO


async def test_demo_loads_the_framework_and_assigns_roles(runtime: Runtime) -> None:
    first = await load_demo(runtime.db)
    assert first.slug == DEMO_SLUG
    async with runtime.db.transaction(first.org_id) as conn:
        assigned = dict(
            (
                await conn.execute(
                    select(employees.c.email, roles.c.key).outerjoin(
                        roles, roles.c.id == employees.c.role_id
                    )
                )
            ).all()
        )
        from service.auth.principal import system_principal
        from service.db import ConnectionExecutor

        exported = await transfer.export_framework(
            ConnectionExecutor(conn), system_principal(first.org_id)
        )
        role_count = (await conn.execute(select(func.count()).select_from(roles))).scalar_one()
    assert exported == dump_document(parse_document(DEMO))
    assert role_count == 27
    from service.demo.load import demo_email

    expected = {demo_email(p.key, p.name): p.role for p in people()}
    assert assigned == expected
    assert any(v is None for v in assigned.values())
    assert sum(v is not None for v in assigned.values()) > 40
    # Loading again leaves the demo alone.
    again = await load_demo(runtime.db)
    assert (again.org_id, again.created) == (first.org_id, False)
