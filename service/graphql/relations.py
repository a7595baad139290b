"""Relations declared once: one declaration serves a whole list and a single object.

A row-backed type (``node.RowNode``) names its relations; a field of a relation answers
with ``self.related(info, "<field>")``::

    class Role(VersionedNode):
        relations = (
            to_one(queries.levels_by_id, Level, level="level_id"),
            to_one(queries.job_families_by_id, JobFamily, family="family_id"),
            Relation(("expectations",), _load_expectations),
        )

        level: Level = related("The role's level.")  # answers self.related(info, "level")

A list resolver calls ``await Role.prefetch(info, page.nodes, connection_nodes(info))``:
each relation whose fields are selected loads for the whole page in one batch (and, below
it, what is selected on the objects it found), and the fields answer from memory without
a coroutine. An object read on its own loads the relation for itself when its field is
resolved; the request's DataLoaders batch it with its siblings.
"""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import strawberry
from graphql import GraphQLFieldResolver, GraphQLObjectType, GraphQLResolveInfo
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
    of ``objects``) asks for, each in one batch for all the objects. The relations load side
    by side, so loads of the same table (here and in sibling fields) share one batch."""
    if not objects:
        return
    selected = list(selected)
    loads = []
    for relation in relations:
        wanted = named(selected, *relation.fields)
        if wanted:
            loads.append(relation.load(info, objects, wanted))
    await asyncio.gather(*loads)


def related(description: str, **options: Any) -> Any:
    """A field of one of the type's ``relations``, declared in place like a plain field
    (``level: Level = related("The role's level.")``): it answers with
    ``self.related(info, "<its GraphQL name>")``."""
    return strawberry.field(resolver=_related, description=description, **options)


def _related(self: Any, info: Info) -> Any:
    return self.related(info, info.field_name)


def answer_loaded_relations(schema: strawberry.Schema) -> None:
    """Make every field declared by ``related`` answer straight from ``known`` when a list
    loaded it: without strawberry's work per call (an ``Info``, the arguments, the field's
    extensions), which on a page of a hundred rows is a few hundred calls for values
    already in memory. The field's own resolver still answers when nothing was loaded."""
    for gql_type in schema._schema.type_map.values():
        if not isinstance(gql_type, GraphQLObjectType):
            continue
        for name, field in gql_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            resolver = getattr(definition, "base_resolver", None)
            if (
                resolver is not None
                and resolver.wrapped_func is _related
                and not definition.extensions
                and field.resolve is not None
            ):
                field.resolve = _known_or(name, field.resolve)


def _known_or(name: str, resolve: GraphQLFieldResolver) -> GraphQLFieldResolver:
    def answer(source: Any, info: GraphQLResolveInfo, **arguments: Any) -> Any:
        known = source.known
        if name in known:
            return known[name]
        return resolve(source, info, **arguments)

    return answer


#: ``find(info, ids)``: the objects of ``ids`` found (and visible), by ID, and their type.
Find = Callable[[Info, list[Any]], Awaitable[tuple[Any, dict[Any, Any]]]]


def _each(columns: dict[str, str], find: Find, *, many: bool = False) -> Relation:
    """Fields holding the objects that a column of the row refers to (``field=column``
    pairs: an ID, or with ``many`` an array of IDs), found for all objects at once by
    ``find``; what is selected below the fields is prefetched on the objects found in
    turn."""

    async def load(info: Info, objects: Sequence[Any], wanted: list[SelectedField]) -> None:
        names = {f.name for f in wanted}
        rows = [o.row for o in objects]
        # Each selected field's column, read from every row at once.
        read = {
            field: list(map(attrgetter(column), rows))
            for field, column in columns.items()
            if field in names
        }
        values = [v for vs in read.values() for v in vs]
        ids = {i for v in values for i in v} if many else set(values) - {None}
        node, found = await find(info, list(ids))
        await node.prefetch(info, list(found.values()), children(wanted))
        for field, vs in read.items():
            if many:
                for o, value in zip(objects, vs, strict=True):
                    o.known[field] = [found[i] for i in value if i in found]
            else:
                for o, obj in zip(objects, map(found.get, vs), strict=True):
                    o.known[field] = obj

    return Relation(tuple(columns), load)


def _node(node: Any) -> Any:
    """A type given itself, or by its dotted path where importing it would make a cycle."""
    if isinstance(node, str):
        module, _, name = node.rpartition(".")
        return getattr(importlib.import_module(module), name)
    return node


def to_one(batch: Any, node: Any, **columns: str) -> Relation:
    """Fields holding the object of another table that the row refers to: ``field=column``
    pairs, all looked up in one batch through the request's loader of ``batch``. ``node``
    is the objects' GraphQL type (a ``RowNode``, or its dotted path)."""
    return _each(columns, _loaded(batch, node))


def to_many(batch: Any, node: Any, **columns: str) -> Relation:
    """Like ``to_one``, for array columns of IDs: each field holds the objects found, in
    the order of the array."""
    return _each(columns, _loaded(batch, node), many=True)


def to_list(batch: Any, node: Any, field: str) -> Relation:
    """A field holding the rows of another table that belong to the row: ``batch(context,
    ids)`` gives the rows of each ID, through the request's loader; ``node`` is their
    GraphQL type (or its dotted path). What is selected below is prefetched on them."""

    async def load(info: Info, objects: Sequence[Any], wanted: list[SelectedField]) -> None:
        cls = _node(node)
        lists = await info.context.loader(batch).load_many([o.row.id for o in objects])
        made = [cls.from_rows(rows) for rows in lists]
        await cls.prefetch(info, [x for xs in made for x in xs], children(wanted))
        for o, xs in zip(objects, made, strict=True):
            o.known[field] = xs

    return Relation((field,), load)


_ID = attrgetter("id")


def _loaded(batch: Any, node: Any) -> Find:
    async def find(info: Info, ids: list[Any]) -> tuple[Any, dict[Any, Any]]:
        cls = _node(node)
        rows = [r for r in await info.context.loader(batch).load_many(ids) if r is not None]
        return cls, dict(zip(map(_ID, rows), cls.from_rows(rows), strict=True))

    return find


def to_node(node: Any, **columns: str) -> Relation:
    """Like ``to_one``, for objects shown only when the caller may see them: found
    through ``node.resolve_nodes`` (its ``readable`` and ``visible`` rules), None else."""

    async def find(info: Info, ids: list[uuid.UUID]) -> tuple[Any, dict[Any, Any]]:
        cls = _node(node)
        found = await cls.resolve_nodes(info=info, node_ids=[str(i) for i in ids])
        return cls, {o.pk: o for o in found if o is not None}

    return _each(columns, find)
