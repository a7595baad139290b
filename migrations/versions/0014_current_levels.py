"""Current levels: the derived proficiencies pivoted to one row per employee and
competency, with a (level, as-of) pair per kind of rating, so organization aggregates
resolve every cell with a per-row expression. Backfilled from ``current_proficiencies``
organization by organization (the tables are under Row Level Security).

Revision ID: 0014_current_levels
Revises: 0013_mobility
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0014_current_levels"
down_revision = "0013_mobility"
branch_labels = None
depends_on = None

KINDS = ("self", "manager", "peer", "calibration")


def upgrade() -> None:
    pairs = ",\n".join(
        f"{k}_level numeric(3, 1) constraint ck_current_levels_{k} check ({k}_level between 1 and 20),"
        f"\n{k}_as_of timestamptz"
        for k in KINDS
    )
    op.execute(
        f"""
        create table current_levels (
            org_id uuid not null,
            employee_id uuid not null,
            competency_id uuid not null,
            {pairs},
            peer_count integer,
            constraint pk_current_levels primary key (org_id, employee_id, competency_id),
            constraint fk_current_levels_employee foreign key (org_id, employee_id)
                references employees (org_id, id),
            constraint fk_current_levels_competency foreign key (org_id, competency_id)
                references competencies (org_id, id)
        )
        """
    )
    for statement in tenant_table_sql("current_levels"):
        op.execute(statement)
    columns = ", ".join(f"{k}_level, {k}_as_of" for k in KINDS)
    pivot = ", ".join(
        f"max(level) filter (where source_kind = '{k.upper()}'), "
        f"max(as_of) filter (where source_kind = '{k.upper()}')"
        for k in KINDS
    )
    op.execute(
        f"""
        do $$
        declare o uuid;
        begin
            for o in select id from organizations loop
                perform set_config('app.org_id', o::text, true);
                insert into current_levels
                    (org_id, employee_id, competency_id, {columns}, peer_count)
                select org_id, employee_id, competency_id, {pivot},
                       max(rating_count) filter (where source_kind = 'PEER')
                from current_proficiencies
                group by org_id, employee_id, competency_id;
            end loop;
            perform set_config('app.org_id', '', true);
        end $$
        """  # noqa: S608 (constant fragments only)
    )


def downgrade() -> None:
    op.execute("drop table current_levels")
