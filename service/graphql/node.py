"""Row-backed Node types, and ``node(id:)`` / ``nodes(ids:)``: any object by its global ID,
if the caller may see it.

A type stored as one table row subclasses ``RowNode`` (or ``VersionedNode`` when the row
has ``version``/``created_at``/``updated_at``), names its batch function and, when not every
reader may see every row, overrides ``visible``::

    @strawberry.type(description="...")
    class Widget(VersionedNode):
        rows_by_id = queries.widgets_by_id          # (executor, ids) -> rows in order
        converters = {"status": WidgetStatus}       # column -> field value, where not as is
        columns = {"opened_at": "created_at"}       # field -> column, where named otherwise
        name: str = strawberry.field(description="Its name.")  # filled from row.name

        @classmethod
        async def readable(cls, info): ...          # optional: may the caller see any?
        @classmethod
        async def visible(cls, info, rows): ...     # optional: default is every row

Then ``Widget.from_row(row)`` (plain fields from the columns of the same name),
``widget.pk``, ``Widget.resolve_nodes(...)`` (one batched statement per request through the
request's DataLoader) and the global ID come for free. A type whose reads decide visibility
themselves (``read(db, principal, ids)``) sets ``rows = read_rows(read)`` instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from binascii import b2a_base64
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Annotated, Any, ClassVar, Self, TypeVar, cast

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry import relay
from strawberry.types import Info

from service.errors import UserInputError
from service.graphql.ids import parse_global_id
from service.graphql.lookahead import current, later
from service.graphql.relations import Relation, prefetch

MAX_NODES = 100

T = TypeVar("T")

RowsById = Callable[[Any, Sequence[uuid.UUID]], Awaitable[Sequence[Any | None]]]


def uuids(node_ids: Iterable[str]) -> list[uuid.UUID | None]:
    """The UUIDs inside node IDs, None where one is malformed."""
    out: list[uuid.UUID | None] = []
    for node_id in node_ids:
        try:
            out.append(uuid.UUID(node_id))
        except ValueError:
            out.append(None)
    return out


async def load_rows(info: Info, batch: RowsById, node_ids: Iterable[str]) -> list[Any | None]:
    """Rows for ``node_ids`` in order through the request's loader; None for malformed IDs."""
    ids = uuids(node_ids)
    found = iter(await info.context.loader(batch).load_many([i for i in ids if i is not None]))
    return [next(found) if i is not None else None for i in ids]


def once_per_request(read: Callable[[Any], Awaitable[T]]) -> Callable[[Info], Awaitable[T]]:
    """``read(context)`` run once per request (through the request's loaders), e.g. the
    organization's settings of a domain."""

    async def batch(ctx: Any, keys: Sequence[int]) -> list[T]:
        found = await read(ctx)
        return [found for _ in keys]

    async def get(info: Info) -> T:
        return cast(T, await info.context.loader(batch).load(0))

    return get


@strawberry.type(description="An object backed by one row (not itself in the schema).")
class RowObject:
    """Base of types backed by a row, Node or not: ``row`` is the row; ``from_row`` fills
    the plain fields from its columns and ``relations`` load the objects it refers to."""

    row: strawberry.Private[Any]
    # Field -> its value from the column's, where not as is; field -> column, where the
    # column is named otherwise. Both add to those of the base classes.
    converters: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}
    columns: ClassVar[Mapping[str, str]] = {}
    relations: ClassVar[Sequence[Relation]] = ()
    # Values of relation fields loaded in advance (by a list, for all its items), by field.
    known: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """The object of ``row``: each plain field (no default) from the column of its name,
        through ``converters`` where one is named."""
        return _maker_of(cls)(row)

    @classmethod
    def from_rows(cls, rows: Iterable[Any]) -> list[Self]:
        """``from_row`` of each row, in order (a class's own ``from_row`` too)."""
        if cls.from_row.__func__ is not _FROM_ROW:  # type: ignore[attr-defined]
            return [cls.from_row(r) for r in rows]
        return list(map(_maker_of(cls), rows))

    @classmethod
    async def prefetch(cls, info: Info, objects: Sequence[Any], selected: list[Any]) -> None:
        """Load the ``relations`` that ``selected`` (the fields selected on each of
        ``objects``) asks for, for all of them at once (``relations.prefetch``)."""
        await prefetch(info, objects, selected, cls.relations)

    def related(self, info: Info, field: str) -> Any:
        """The value of a relation field: from ``known`` when a list loaded it, else an
        awaitable that loads it for this object (its siblings batched by the loaders)."""
        if field in self.known:
            return self.known[field]
        return later(self._related(info, field))

    async def _related(self, info: Info, field: str) -> Any:
        await type(self).prefetch(info, [self], current(info))
        return self.known[field]


_FROM_ROW = RowObject.from_row.__func__  # type: ignore[attr-defined]


@strawberry.type(description="An object stored as one row (not itself in the schema).")
class RowNode(RowObject, relay.Node):
    """Base of row-backed Node types: ``row`` is the row, its ``id`` the global ID's UUID."""

    rows_by_id: ClassVar[RowsById]

    @property
    def pk(self) -> uuid.UUID:
        """The row's UUID."""
        return self.row.id

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.row.id)

    @classmethod
    async def readable(cls, info: Info) -> bool:
        """Whether the caller may see any object of this type (asked before any read)."""
        return True

    @classmethod
    async def rows(cls, info: Info, ids: Sequence[uuid.UUID]) -> Sequence[Any | None]:
        """The rows of ``ids`` in order (None where there is none), through the request's
        DataLoader of ``rows_by_id``."""
        return await info.context.loader(cls.rows_by_id).load_many(ids)

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        """Which of ``rows`` (all found) the caller may see; everyone sees all by default."""
        return [True for _ in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = uuids(node_ids)
        if not await cls.readable(info):
            return [None for _ in ids]
        found = iter(await cls.rows(info, [i for i in ids if i is not None]))
        rows = [next(found) if i is not None else None for i in ids]
        present = [r for r in rows if r is not None]
        allowed = iter(await cls.visible(info, present) if present else [])
        out: list[Self | None] = []
        for row in rows:
            out.append(cls.from_row(row) if row is not None and next(allowed) else None)
        return out


def answer_row_ids(schema: strawberry.Schema) -> None:
    """Make ``id`` of every row-backed type answer straight from the row (the global ID of
    the type's name and the row's UUID, encoded as strawberry encodes it), without
    strawberry's work per call: a page of a hundred rows asks for it a hundred times."""
    for gql_type in schema._schema.type_map.values():
        if not isinstance(gql_type, GraphQLObjectType) or "id" not in gql_type.fields:
            continue
        definition = gql_type.extensions.get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if (
            isinstance(origin, type)
            and issubclass(origin, RowNode)
            and origin.resolve_id.__func__ is RowNode.resolve_id.__func__  # type: ignore[attr-defined]
            and origin.resolve_typename.__func__ is relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
        ):
            field = gql_type.fields["id"]
            field.resolve = _row_id(gql_type.name, field.resolve)


def _row_id(type_name: str, resolve: Any) -> Any:
    prefix = f"{type_name}:"

    def answer(source: Any, info: GraphQLResolveInfo) -> Any:
        if isinstance(source, RowNode):
            # What ``str(relay.GlobalID(type_name, str(id)))`` is, without the GlobalID.
            return b2a_base64(f"{prefix}{source.row.id}".encode(), newline=False).decode()
        return resolve(source, info)

    return answer


def optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A converter for a nullable column: ``convert`` of a value, None for None."""
    return lambda value: None if value is None else convert(value)


def list_of(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A converter for an array column: ``convert`` of each item."""
    return lambda values: [convert(v) for v in values]


def is_set(value: Any) -> bool:
    """A converter: whether a nullable column holds a value (``archived`` of ``archived_at``)."""
    return value is not None


def _declared(cls: Any, attr: str) -> dict[str, Any]:
    """``cls.<attr>`` merged with its base classes' (the class's own win)."""
    return {k: v for c in reversed(cls.__mro__) for k, v in vars(c).get(attr, {}).items()}


def read_rows(read: Callable[[Any, Any, Sequence[uuid.UUID]], Awaitable[Sequence[Any]]]) -> Any:
    """The ``rows`` hook of a type whose reads decide visibility themselves:
    ``rows = read_rows(read)`` with ``read(db, principal, ids)``."""

    async def rows(cls: Any, info: Info, ids: Sequence[uuid.UUID]) -> Sequence[Any | None]:
        return await read(info.context, await info.context.principal(), ids)

    return classmethod(rows)


#: ``from_row``'s function making the objects of each class from a row.
_MAKERS: dict[type, Callable[[Any], Any]] = {}


def _maker_of(cls: type) -> Callable[[Any], Any]:
    """The class's function of ``_MAKERS``, written on its first use."""
    try:
        return _MAKERS[cls]
    except KeyError:
        make = _MAKERS[cls] = _maker(cls)
        return make


def _maker(
    cls: Any, converters: Mapping[str, Callable[[Any], Any]] | None = None
) -> Callable[[Any], Any]:
    """The function making an object of ``cls`` from a row: each plain field (no default)
    from its column (``columns``), through its converter (``converters``; those of the
    base classes too), written out for the class as the dataclass writes its
    ``__init__``. When that ``__init__`` is the dataclass's own (not frozen), with no
    ``__post_init__``, the object's attributes are set as it sets them, in its order,
    the other fields' defaults with them, without calling it."""
    columns = _declared(cls, "columns")
    if converters is None:
        converters = _declared(cls, "converters")
    fields = dataclasses.fields(cls)
    plain = [
        f.name
        for f in fields
        if f.init
        and f.name != "row"
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__}
    read = {"row": "row"}  # field -> the expression of its value
    for i, name in enumerate(plain):
        column = columns.get(name, name)
        if not (name.isidentifier() and column.isidentifier()):
            raise TypeError(f"{cls.__name__}.{name}: no column {column!r} to read")
        value = f"row.{column}"
        if name in converters:
            scope[f"convert_{i}"] = converters[name]
            value = f"convert_{i}({value})"
        read[name] = value
    init = getattr(cls.__init__, "__code__", None)
    if (
        init is not None
        and init.co_qualname == "__create_fn__.<locals>.__init__"
        and not hasattr(cls, "__post_init__")
        and not cls.__dataclass_params__.frozen
    ):
        # Every field ``__init__`` sets, in its order (the object's attributes then share
        # their keys with those of objects made by ``__init__``).
        lines = ["    obj = new(cls)"]
        for i, f in enumerate(fields):
            if f.name in read:
                value = read[f.name]
            elif f.default_factory is dict:
                value = "{}"
            elif f.default_factory is not dataclasses.MISSING:
                scope[f"factory_{i}"] = f.default_factory
                value = f"factory_{i}()"
            elif f.init and f.default is not dataclasses.MISSING:
                scope[f"default_{i}"] = f.default
                value = f"default_{i}"
            else:
                continue
            if not f.name.isidentifier():
                raise TypeError(f"{cls.__name__}: no field {f.name!r} to set")
            lines.append(f"    obj.{f.name} = {value}")
        body = "\n".join([*lines, "    return obj"])
    else:
        body = f"    return cls({', '.join(f'{n}={v}' for n, v in read.items())})"
    source = f"def make(row):\n{body}\n"
    # Named after the class, so that profiles tell the classes' functions apart.
    code = compile(source, f"<from_row of {cls.__module__}.{cls.__qualname__}>", "exec")
    exec(code, scope)  # noqa: S102 - names and columns checked above
    return cast(Callable[[Any], Any], scope["make"])


@strawberry.type(description="A row-backed object with optimistic concurrency.")
class VersionedNode(RowNode):
    """A ``RowNode`` whose row has ``version``, ``created_at`` and ``updated_at``."""

    version: int = strawberry.field(
        description="Incremented by every change; pass it to update mutations to refuse a "
        "change based on stale data."
    )
    created_at: dt.datetime = strawberry.field(description="When it was created.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")


def node_types(info: Info) -> dict[str, Any]:
    return _node_types(info.schema)


@cache
def _node_types(schema: Any) -> dict[str, Any]:
    """Object types implementing Node, by GraphQL name, read from the schema itself
    (interfaces extending Node, like the Node interface itself, have no objects of their own)."""
    found: dict[str, Any] = {}
    for name, gql_type in schema._schema.type_map.items():
        definition = getattr(gql_type, "extensions", {}).get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if getattr(definition, "is_interface", False):
            continue
        if origin is not None and isinstance(origin, type) and issubclass(origin, relay.Node):
            found[name] = origin
    return found


async def resolve_node(info: Info, global_id: str) -> relay.Node | None:
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    type_name, value = parsed
    cls = node_types(info).get(type_name)
    if cls is None:
        return None
    nodes = await cls.resolve_nodes(info=info, node_ids=[str(value)], required=False)
    return next(iter(nodes), None)


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global ID; null when it does not exist or "
        "the caller may not see it."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
    ) -> relay.Node | None:
        await info.context.principal()
        return await resolve_node(info, id)

    @strawberry.field(description=f"Objects by their global IDs, in order (at most {MAX_NODES}).")
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs.")],
    ) -> list[relay.Node | None]:
        await info.context.principal()
        if len(ids) > MAX_NODES:
            raise UserInputError.one("ids", f"at most {MAX_NODES} IDs at once")
        # Gathered, so the loaders behind each type batch the lookups into one statement.
        return list(await asyncio.gather(*(resolve_node(info, i) for i in ids)))
