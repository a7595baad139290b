"""The organization summary as it was computed before ``current_levels``: every grouping
its own statement over ``current_proficiencies`` resolved by ``DISTINCT ON``. Kept as the
reference the one-statement summary is proved equal to (``test_summary_reference.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from service.assessments.queries import (
    NO_GROUP,
    RESOLVED_SQL,
    Rules,
    SummaryFilter,
    summary_filters,
)
from service.db import Executor

# group key, and how to name and order the groups
GROUP_BY = {
    "ORG_UNIT": ("p.org_unit_id", "left join org_units n on n.id = g.group_id", "n.name"),
    "JOB_FAMILY": ("p.family_id", "left join job_families n on n.id = g.group_id", "n.name"),
    "LEVEL": ("p.level_id", "left join levels n on n.id = g.group_id", "n.rank"),
    "COMPETENCY": ("x.competency_id", "left join competencies n on n.id = g.group_id", "n.name"),
}


# Aggregates per group and competency first (a small hash aggregate), then per group; the
# current levels of everyone at once by one DISTINCT ON over the derived table.
SUMMARY_SQL = """
    with resolved as ({resolved}),
    population as (
        select e.id as employee_id, e.org_unit_id, r.id as role_id, r.family_id, r.level_id
        from employees e
        join roles r on r.id = e.role_id
        where e.status <> 'TERMINATED' {filters}
    ),
    cells as (
        select coalesce({group_key}, :no_group) as group_id, p.employee_id, x.competency_id,
               x.required_level,
               cur.level as current_level
        from population p
        join role_expectations x on x.role_id = p.role_id
        left join resolved cur
               on cur.employee_id = p.employee_id and cur.competency_id = x.competency_id
        {competency_filter}
    ),
    by_competency as (
        select group_id, competency_id,
               count(*) as n, count(current_level) as assessed,
               sum(greatest(required_level - current_level, 0)) as shortfall,
               count(*) filter (where current_level >= required_level) as met
        from cells group by group_id, competency_id
    ),
    heads as (
        select group_id, count(*) as headcount
        from (select distinct group_id, employee_id from cells) d group by group_id
    ),
    groups as (
        select b.group_id, h.headcount,
               sum(b.assessed)::numeric / sum(b.n) as assessed_share,
               sum(b.shortfall) / nullif(sum(b.assessed), 0) as mean_gap,
               sum(b.met)::numeric / nullif(sum(b.assessed), 0) as met_share,
               (array_agg(b.competency_id
                          order by b.shortfall / nullif(b.assessed, 0) desc, k.name, b.competency_id)
                   filter (where b.shortfall > 0))[1:3] as weakest
        from by_competency b
        join competencies k on k.id = b.competency_id
        join heads h on h.group_id = b.group_id
        group by b.group_id, h.headcount
    )
    select nullif(g.group_id, :no_group) as group_id, g.headcount,
           g.headcount < :min_group as suppressed,
           case when g.headcount >= :min_group then cast(g.assessed_share as float8) end
               as assessed_share,
           case when g.headcount >= :min_group then cast(round(g.mean_gap, 4) as float8) end
               as mean_gap,
           case when g.headcount >= :min_group then cast(g.met_share as float8) end
               as met_share,
           case when g.headcount >= :min_group then coalesce(g.weakest, '{{}}') end
               as weakest_ids
    from groups g
    {name_join}
    order by {order} nulls last, g.group_id
"""


async def reference_summary(
    db: Executor, rules: Rules, group_by: str, f: SummaryFilter
) -> list[Any]:
    """Aggregates of the current-role gaps of every active employee with a role, grouped,
    in one statement. Groups of fewer than ``rules.min_group_size`` people come back with
    ``suppressed`` set and no figures."""
    params: dict[str, Any] = {
        "min_group": rules.min_group_size,
        "no_group": NO_GROUP,
        **rules.params(),
    }
    filters = summary_filters(f, params)
    competency_filter = "where x.competency_id = :competency_id" if f.competency_id else ""
    group_key, name_join, order = GROUP_BY[group_by]
    sql = SUMMARY_SQL.format(
        filters=" ".join(filters),
        group_key=group_key,
        resolved=RESOLVED_SQL,
        competency_filter=competency_filter,
        name_join=name_join,
        order=order,
    )
    return list((await db.execute(text(sql), params)).all())
