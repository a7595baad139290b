"""Expectation levels: one row per active employee and expectation of their current role,
with its required level, the employee's org unit and role, and their current levels of
the competency (a copy of their ``current_levels`` row, nulls without one). The
organization summary reads this one table instead of joining employees, roles,
expectations and current levels on every request.

Kept by triggers in the same transaction as every write that changes it, whoever writes:

- ``employees`` (a new hire, a change of role, status or org unit): that person's rows
  are rebuilt;
- ``role_expectations``: the rows of everyone in the changed roles are rebuilt;
- ``current_levels`` (the derived proficiencies' rewrite): the levels of those people's
  rows are copied again.

Concurrent writers are ordered by row locks, so none builds rows from what another is
changing: a person's change locks their roles ``FOR SHARE``, an expectation change locks
its roles ``FOR NO KEY UPDATE``, and a levels rewrite locks the people ``FOR SHARE`` (an
employee update waits for it, and it for the update) and then their roles. Each trigger
reads after taking its locks, with a fresh snapshot (READ COMMITTED).

Backfilled organization by organization (the tables are under Row Level Security).

Revision ID: 0016_expectation_levels
Revises: 0015_framework_revision
"""

from alembic import op
from sqlalchemy import text

from service.db import tenant_table_sql

revision = "0016_expectation_levels"
down_revision = "0015_framework_revision"
branch_labels = None
depends_on = None

# The columns copied from ``current_levels``: a (level, as-of) pair per kind of rating and
# the number of peers behind the PEER level.
LEVEL_TYPES = {
    **{
        f"{kind}_{column}": sql_type
        for kind in ("self", "manager", "peer", "calibration")
        for column, sql_type in (("level", "numeric(3, 1)"), ("as_of", "timestamptz"))
    },
    "peer_count": "integer",
}
LEVELS = list(LEVEL_TYPES)
COLUMNS = ", ".join(LEVELS)
FROM_LEVELS = ", ".join(f"cl.{c}" for c in LEVELS)

# Everyone in ``where`` (a condition on ``employees e``) who is active, with a row per
# expectation of their role.
BUILD = f"""
    insert into expectation_levels
        (org_id, employee_id, competency_id, org_unit_id, role_id, required_level, {COLUMNS})
    select e.org_id, e.id, x.competency_id, e.org_unit_id, e.role_id, x.required_level,
           {FROM_LEVELS}
    from employees e
    join role_expectations x on x.org_id = e.org_id and x.role_id = e.role_id
    left join current_levels cl
           on cl.org_id = e.org_id and cl.employee_id = e.id
          and cl.competency_id = x.competency_id
    where e.status <> 'TERMINATED' and {{where}}
"""  # noqa: S608 (constant fragments only)

TRIGGERS = {
    # trigger name: (table, event, transition tables, function)
    "tr_employees_expectation_levels_insert": (
        "employees",
        "insert",
        "new table as new_rows",
        "expectation_levels_people_changed",
    ),
    "tr_employees_expectation_levels_update": (
        "employees",
        "update",
        "old table as old_rows new table as new_rows",
        "expectation_levels_people_changed",
    ),
    "tr_role_expectations_expectation_levels_insert": (
        "role_expectations",
        "insert",
        "new table as new_rows",
        "expectation_levels_roles_changed",
    ),
    "tr_role_expectations_expectation_levels_update": (
        "role_expectations",
        "update",
        "old table as old_rows new table as new_rows",
        "expectation_levels_roles_changed",
    ),
    "tr_role_expectations_expectation_levels_delete": (
        "role_expectations",
        "delete",
        "old table as old_rows",
        "expectation_levels_roles_changed",
    ),
    "tr_current_levels_expectation_levels_insert": (
        "current_levels",
        "insert",
        "new table as new_rows",
        "expectation_levels_levels_changed",
    ),
    "tr_current_levels_expectation_levels_update": (
        "current_levels",
        "update",
        "old table as old_rows new table as new_rows",
        "expectation_levels_levels_changed",
    ),
    "tr_current_levels_expectation_levels_delete": (
        "current_levels",
        "delete",
        "old table as old_rows",
        "expectation_levels_levels_changed",
    ),
}
FUNCTIONS = sorted({f for *_, f in TRIGGERS.values()})


def touched(column: str, into: str) -> str:
    """PL/pgSQL: the distinct ``column`` values of the statement's rows (old and new) into
    ``into``; return when there are none."""
    return f"""
            if tg_op = 'INSERT' then
                select array_agg(distinct {column}) into {into} from new_rows;
            elsif tg_op = 'DELETE' then
                select array_agg(distinct {column}) into {into} from old_rows;
            else
                select array_agg(distinct {column}) into {into}
                from (select {column} from new_rows union select {column} from old_rows) t;
            end if;
            if {into} is null then
                return null;
            end if;
    """  # noqa: S608 (constant fragments only)


def upgrade() -> None:
    levels = ",\n".join(f"{c} {t}" for c, t in LEVEL_TYPES.items())
    op.execute(
        f"""
        create table expectation_levels (
            org_id uuid not null,
            employee_id uuid not null,
            competency_id uuid not null,
            org_unit_id uuid,
            role_id uuid not null,
            required_level integer not null,
            {levels},
            constraint pk_expectation_levels primary key (org_id, employee_id, competency_id),
            constraint fk_expectation_levels_employee foreign key (org_id, employee_id)
                references employees (org_id, id) on delete cascade
        )
        """
    )
    op.execute("create index ix_expectation_levels_role on expectation_levels (org_id, role_id)")
    for statement in tenant_table_sql("expectation_levels"):
        op.execute(statement)
    # Backfilled per organization, each set as the tenant (Row Level Security).
    conn = op.get_bind()
    for org_id in conn.execute(text("select id from organizations")).scalars().all():
        conn.execute(text("select set_config('app.org_id', :org, true)"), {"org": str(org_id)})
        conn.execute(text(BUILD.format(where="true")))
    conn.execute(text("select set_config('app.org_id', '', true)"))
    # People whose role, status or org unit changed (all new ones on insert): their roles,
    # old and new, locked for share in a fixed order, then their rows rebuilt.
    op.execute(
        f"""
        create function expectation_levels_people_changed() returns trigger
        language plpgsql as $$
        declare
            ids uuid[];
        begin
            if tg_op = 'INSERT' then
                select array_agg(n.id) into ids from new_rows n where n.role_id is not null;
                perform 1 from roles where id in (select role_id from new_rows)
                order by id for share;
            else
                select array_agg(n.id) into ids
                from new_rows n join old_rows o on o.id = n.id
                where (n.role_id, n.status, n.org_unit_id)
                      is distinct from (o.role_id, o.status, o.org_unit_id);
                if ids is null then
                    return null;
                end if;
                perform 1 from roles
                where id in (select role_id from new_rows where id in (select unnest(ids))
                             union select role_id from old_rows where id in (select unnest(ids)))
                order by id for share;
            end if;
            if ids is not null then
                delete from expectation_levels where employee_id in (select unnest(ids));
                {BUILD.format(where="e.id in (select unnest(ids))")};
            end if;
            return null;
        end $$
        """  # noqa: S608 (constant fragments only)
    )
    # Expectations added, changed or removed: their roles locked against people's changes,
    # then the rows of everyone in them rebuilt.
    op.execute(
        f"""
        create function expectation_levels_roles_changed() returns trigger
        language plpgsql as $$
        declare
            changed uuid[];
        begin
            {touched("role_id", "changed")}
            perform 1 from roles where id in (select unnest(changed)) order by id for no key update;
            delete from expectation_levels where role_id in (select unnest(changed));
            {BUILD.format(where="e.role_id in (select unnest(changed))")};
            return null;
        end $$
        """  # noqa: S608 (constant fragments only)
    )
    # Current levels rewritten: the people locked against changes of their own rows, and
    # their roles against expectation changes, then the levels copied again (nulls where
    # the row is gone).
    assign = ", ".join(LEVELS)
    op.execute(
        f"""
        create function expectation_levels_levels_changed() returns trigger
        language plpgsql as $$
        declare
            ids uuid[];
        begin
            {touched("employee_id", "ids")}
            perform 1 from employees where id in (select unnest(ids)) order by id for share;
            perform 1 from roles
            where id in (select role_id from employees where id in (select unnest(ids)))
            order by id for share;
            update expectation_levels g
            set ({assign}) = (
                select {FROM_LEVELS} from current_levels cl
                where cl.org_id = g.org_id and cl.employee_id = g.employee_id
                  and cl.competency_id = g.competency_id)
            where g.employee_id in (select unnest(ids));
            return null;
        end $$
        """  # noqa: S608 (constant fragments only)
    )
    for name, (table, event, transition, function) in TRIGGERS.items():
        op.execute(
            f"create trigger {name} after {event} on {table} "
            f"referencing {transition} for each statement execute function {function}()"
        )


def downgrade() -> None:
    for name, (table, *_) in TRIGGERS.items():
        op.execute(f"drop trigger {name} on {table}")
    for function in FUNCTIONS:
        op.execute(f"drop function {function}()")
    op.execute("drop table expectation_levels")
