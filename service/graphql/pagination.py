"""Relay connections with offset cursors, one SQL statement per page; keyset cursors
(``paginate_keyset``) for feeds that change while clients page through them.

Cursors are opaque to clients (base64 of a position). Pages are limited to 100 nodes,
20 by default. ``totalCount`` rides on the same statement as a window count.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import inspect
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select, tuple_
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from service.errors import UserInputError

T = TypeVar("T")
DEFAULT_PAGE = 20
MAX_PAGE = 100
_PREFIX = "cursor:"
#: The largest position a cursor may hold.
MAX_POSITION = 2**31 - 1
_MAX_POSITION_DIGITS = len(str(MAX_POSITION))


@strawberry.type(description="Where a page sits within the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More nodes follow this page.")
    has_previous_page: bool = strawberry.field(description="Nodes precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first node of the page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last node of the page.")


@strawberry.type(description="A node of a list with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")
    node: T = strawberry.field(description="The item.")


def _edges(self: Connection[T]) -> list[Edge[T]]:
    return [Edge(cursor=self.cursor_at(i), node=n) for i, n in enumerate(self.nodes)]


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[T]):
    # Edges are made when asked for: a page read through ``nodes`` needs no cursors.
    edges: list[Edge[T]] = strawberry.field(
        resolver=_edges, description="The page's nodes with their cursors."
    )
    nodes: list[T] = strawberry.field(description="The page's nodes.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="How many nodes the whole list holds.")
    #: The cursor of the node at a position of the page.
    cursor_at: strawberry.Private[Callable[[int], str]]


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode()


def decode_cursor(cursor: str, argument: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if raw.startswith(_PREFIX):
            digits = raw[len(_PREFIX) :]
            # A position past any list's length (and past what SQL's OFFSET takes) is
            # no cursor the service made.
            if digits.isascii() and digits.isdigit() and len(digits) <= _MAX_POSITION_DIGITS:
                position = int(digits)
                if position <= MAX_POSITION:
                    return position
    except (ValueError, UnicodeDecodeError):
        pass
    raise UserInputError.one(argument, "is not a valid cursor")


def paged(resolver: Callable[..., Awaitable[Any]]) -> Any:
    """A list field's resolver that takes ``paging: PageArgs`` in place of the four Relay
    arguments, which the field declares (last, after the resolver's own arguments)::

        @strawberry.field(description="The organization's units, by name.")
        @paged
        async def org_units(self, info: Info, paging: PageArgs) -> Connection[OrgUnit]:
            return await paginate(info, queries.org_units_select(), paging, OrgUnit.from_row)
    """
    signature = inspect.signature(resolver)
    own = [p for p in signature.parameters.values() if p.name != "paging"]

    @functools.wraps(resolver)
    async def resolve(
        *args: Any,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return await resolver(*args, paging=PageArgs(first, after, last, before), **kwargs)

    resolve.__signature__ = signature.replace(parameters=[*own, *_PAGE_PARAMETERS])  # type: ignore[attr-defined]
    return resolve


_PAGE_PARAMETERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
    for name, annotation in (
        ("first", "int | None"),
        ("after", "str | None"),
        ("last", "int | None"),
        ("before", "str | None"),
    )
]


@dataclass(frozen=True)
class PageArgs:
    """``first``/``after``/``last``/``before``, checked; positions are 0-based."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def window(self, total: int | None = None) -> tuple[int, int]:
        """(offset, limit) of the requested page. ``total`` is needed only for bare ``last``."""
        for name, value in (("first", self.first), ("last", self.last)):
            if value is not None and not 0 <= value <= MAX_PAGE:
                raise UserInputError.one(name, f"must be between 0 and {MAX_PAGE}")
        if self.first is not None and self.last is not None:
            raise UserInputError.one("last", "cannot be combined with `first`")
        start = decode_cursor(self.after, "after") + 1 if self.after else 0
        end = decode_cursor(self.before, "before") if self.before else None
        if self.last is not None:
            if end is None:
                end = total if total is not None else 0
            start = max(start, end - self.last)
            return start, max(end - start, 0)
        size = DEFAULT_PAGE if self.first is None else self.first
        if end is not None:
            size = min(size, max(end - start, 0))
        return start, size

    @property
    def needs_total_first(self) -> bool:
        return self.last is not None and self.before is None


def make_connection(nodes: Sequence[T], offset: int, limit: int, total: int) -> Connection[T]:
    nodes = list(nodes)[:limit]
    return Connection(
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=offset + len(nodes) < total,
            has_previous_page=offset > 0,
            start_cursor=encode_cursor(offset) if nodes else None,
            end_cursor=encode_cursor(offset + len(nodes) - 1) if nodes else None,
        ),
        total_count=total,
        cursor_at=lambda i: encode_cursor(offset + i),
    )


async def paginate(
    info: Info,
    statement: Select[Any],
    args: PageArgs,
    to_node: Callable[[Any], T],
) -> Connection[T]:
    """Run ``statement`` (ordered, unpaged) for one page; one statement in the usual case.

    ``totalCount`` rides on the page as a window count only when it is selected: counting
    the whole list turns an index scan of one page into a scan of the whole list.
    """
    ctx = info.context
    total: int | None = None
    if args.needs_total_first:
        count = select(func.count()).select_from(statement.order_by(None).subquery())
        total = (await ctx.execute(count)).scalar_one()
    offset, limit = args.window(total)
    if total is None and not _selects(info, "totalCount"):
        # One row more than the page tells whether another page follows.
        rows = (await ctx.execute(statement.offset(offset).limit(limit + 1))).all() if limit else []
        known = offset + len(rows)
        return make_connection([to_node(r) for r in rows[:limit]], offset, limit, known)
    paged = statement.add_columns(func.count().over().label("_total")).offset(offset).limit(limit)
    rows = (await ctx.execute(paged)).all() if limit else []
    if total is None:
        if rows:
            total = rows[0]._total
        else:
            count = select(func.count()).select_from(statement.order_by(None).subquery())
            total = (await ctx.execute(count)).scalar_one()
    return make_connection([to_node(r) for r in rows], offset, limit, total)


def _selects(info: Info, name: str) -> bool:
    """Whether the current field selects ``name`` directly or through a fragment."""

    def walk(selections: Sequence[Any]) -> bool:
        for selection in selections:
            if isinstance(selection, SelectedField):
                if selection.name == name:
                    return True
            elif walk(selection.selections):  # inline fragment or fragment spread
                return True
        return False

    return any(walk(field.selections) for field in info.selected_fields)


async def paginate_partitions(
    ctx: Any,
    statement: Select[Any],
    partition_by: ColumnElement[Any],
    order_by: Sequence[ColumnElement[Any]],
    keys: Sequence[tuple[Any, PageArgs]],
    to_node: Callable[[Any], T],
) -> list[Connection[T]]:
    """One page of a child list for each parent key, in a single statement.

    ``statement`` selects the children (unordered, unpaged); ``partition_by`` is its parent
    column. Used by loaders for nested connections such as ``directReports``.
    """
    windows = [(key, *args.window(None)) for key, args in keys]
    ranked = statement.add_columns(
        partition_by.label("_key"),
        func.row_number().over(partition_by=partition_by, order_by=order_by).label("_rn"),
        func.count().over(partition_by=partition_by).label("_total"),
    ).where(partition_by.in_({key for key, _ in keys}))
    # The outer select names the ranked rows' columns as text, typed like the originals: a
    # subquery's own column collection copies every column with its constraints and
    # events, which costs more than all the rest of the statement's building.
    sub = ranked.subquery("ranked")
    columns = {
        c.name: literal_column(f'ranked."{c.name}"', c.type) for c in ranked.selected_columns
    }
    assert len(columns) == len(ranked.selected_columns), "the children's columns need unique names"
    key_of, rank = columns["_key"], columns["_rn"]
    bounds = [
        and_(key_of == key, rank > offset, rank <= offset + limit)
        for key, offset, limit in windows
        if limit
    ]
    rows_by_key: dict[Any, list[Any]] = {}
    totals: dict[Any, int] = {}
    if bounds:
        result = await ctx.execute(
            select(*(column.label(name) for name, column in columns.items()))
            .select_from(sub)
            .where(or_(*bounds))
            .order_by(key_of, rank)
        )
        for row in result:
            rows_by_key.setdefault(row._key, []).append(row)
            totals[row._key] = row._total
    out = []
    for key, offset, limit in windows:
        rows = [r for r in rows_by_key.get(key, []) if offset < r._rn <= offset + limit]
        # A parent with no rows in any requested window has no row to carry its total; its
        # list is empty or the page lies past the end, so the offset is the best bound known.
        total = totals.get(key, offset)
        out.append(make_connection([to_node(r) for r in rows], offset, limit, total))
    return out


# --- keyset paging, for feeds ---------------------------------------------------------

_KEY_PREFIX = "key"
_KEY_PARSERS: dict[type, Callable[[str], Any]] = {
    dt.datetime: dt.datetime.fromisoformat,
    uuid.UUID: uuid.UUID,
    str: str,
}


def encode_key_cursor(values: Sequence[Any]) -> str:
    """A cursor holding the sort key of a row, e.g. ``(updated_at, id)``."""
    raw = orjson.dumps(
        [_KEY_PREFIX, *(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values)]
    )
    return base64.urlsafe_b64encode(raw).decode()


def decode_key_cursor(cursor: str, keys: Sequence[ColumnElement[Any]], argument: str) -> list[Any]:
    """The sort key a cursor of ``encode_key_cursor`` holds, typed like ``keys``."""
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(raw, list) and len(raw) == len(keys) + 1 and raw[0] == _KEY_PREFIX:
            values = [
                _KEY_PARSERS[k.type.python_type](v) for k, v in zip(keys, raw[1:], strict=True)
            ]
            if all(not isinstance(v, dt.datetime) or v.tzinfo is not None for v in values):
                return values
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, orjson.JSONDecodeError):
        pass
    raise UserInputError.one(argument, "is not a valid cursor")


async def paginate_keyset(
    info: Info,
    statement: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    args: PageArgs,
    to_node: Callable[[Any], T],
) -> Connection[T]:
    """One page of ``statement`` (unordered) in the order of ``keys`` (unique together,
    e.g. ``(created_at, id)``), with cursors holding each row's key instead of its
    position: rows inserted or moved while a client pages are neither skipped nor repeated
    among the others, and each page is an index range scan. ``after`` / ``before`` bound
    the range; ``first`` pages forward (20 by default), ``last`` backward. ``totalCount``
    costs one more statement, only when selected."""
    for name, value in (("first", args.first), ("last", args.last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise UserInputError.one(name, f"must be between 0 and {MAX_PAGE}")
    if args.first is not None and args.last is not None:
        raise UserInputError.one("last", "cannot be combined with `first`")
    row_key = tuple_(*keys)
    ranged = statement
    if args.after:
        ranged = ranged.where(row_key > tuple_(*decode_key_cursor(args.after, keys, "after")))
    if args.before:
        ranged = ranged.where(row_key < tuple_(*decode_key_cursor(args.before, keys, "before")))
    backward = args.last is not None
    limit = args.last if backward else (DEFAULT_PAGE if args.first is None else args.first)
    assert limit is not None
    ordered = ranged.order_by(*(k.desc() if backward else k.asc() for k in keys))
    rows = list((await info.context.execute(ordered.limit(limit + 1))).all()) if limit else []
    more = len(rows) > limit
    rows = rows[:limit]
    if backward:
        rows.reverse()
    total = 0
    if _selects(info, "totalCount"):
        count = select(func.count()).select_from(statement.order_by(None).subquery())
        total = (await info.context.execute(count)).scalar_one()
    cursors = [encode_key_cursor([getattr(r, str(k.key)) for k in keys]) for r in rows]
    return Connection(
        nodes=[to_node(r) for r in rows],
        page_info=PageInfo(
            has_next_page=(args.before is not None) if backward else more,
            has_previous_page=more if backward else args.after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        total_count=total,
        cursor_at=cursors.__getitem__,
    )
