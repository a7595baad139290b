"""Relations declared once: one declaration serves a whole list and a single object.

A row-backed type (``node.RowNode``) names its relations; a field of a relation answers
with ``self.related(info, "<field>")``::

    class Role(VersionedNode):
        relations = (
            to_one(queries.levels_by_id, Level, level="level_id"),
            to_one(queries.job_families_by_id, JobFamily, family="family_id"),
            Relation(("expectations",), _load_expectations),
        )

        @strawberry.field(description="The role's level.")
        def level(self, info: Info) -> Level:
            return self.related(info, "level")

A list resolver calls ``await Role.prefetch(info, page.nodes, connection_nodes(info))``:
each relation whose fields are selected loads for the whole page in one batch (and, below
it, what is selected on the objects it found), and the fields answer from memory without
a coroutine. An object read on its own loads the relation for itself when its field is
resolved; the request's DataLoaders batch it with its siblings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from service.graphql.lookahead import children, named

#: ``load(info, objects, wanted)``: fill ``obj.known[field]`` for every object and every
#: field of ``wanted`` (the relation's fields as selected, with what is selected below).
Load = Callable[[Info, Sequence[Any], list[SelectedField]], Awaitable[None]]


@dataclass(frozen=True)
class Relation:
    """Fields of a type that are loaded together, for many objects at once."""

    fields: tuple[str, ...]  # GraphQL field names; each one's value lands in ``known``
    load: Load


async def prefetch(
    info: Info,
    objects: Sequence[Any],
    selected: Iterable[SelectedField],
    relations: Iterable[Relation],
) -> None:
    """Load every relation of ``relations`` that ``selected`` (the fields selected on each
    of ``objects``) asks for, each in one batch for all the objects."""
    if not objects:
        return
    selected = list(selected)
    for relation in relations:
        wanted = named(selected, *relation.fields)
        if wanted:
            await relation.load(info, objects, wanted)


def to_one(batch: Any, node: Any, **columns: str) -> Relation:
    """Fields holding the object of another table that the row refers to: ``field=column``
    pairs, all looked up in one batch through the request's loader of ``batch``. ``node``
    is the objects' GraphQL type (a ``RowNode``); what is selected below the fields is
    prefetched on them in turn."""

    async def load(info: Info, objects: Sequence[Any], wanted: list[SelectedField]) -> None:
        names = {f.name for f in wanted}
        pairs = [(field, column) for field, column in columns.items() if field in names]
        ids = {getattr(o.row, c) for o in objects for _, c in pairs} - {None}
        rows = await info.context.loader(batch).load_many(list(ids))
        found = {r.id: node.from_row(r) for r in rows if r is not None}
        await node.prefetch(info, list(found.values()), children(wanted))
        for o in objects:
            for field, column in pairs:
                o.known[field] = found.get(getattr(o.row, column))

    return Relation(tuple(columns), load)
