"""The service side of the domain kit: "not given", and the atomic versioned update.

Services use these instead of writing their own markers and version checks; nothing here
knows about GraphQL (the GraphQL half is ``service.graphql.kit``).

- ``NOT_GIVEN``: a field a partial update leaves as it is (distinct from an explicit
  null). ``INVALID``: a value the caller gave malformed (a bad global ID), already
  reported; services skip their own checks of it. ``given(value)`` is true for neither.
- ``update_versioned``: one ``UPDATE … WHERE id = :id AND version = :expected`` that locks
  the row, bumps its version and returns the row both as it was and as written, so the
  history and audit of a change describe the row actually updated. When no row matches it
  raises ``STALE_VERSION`` (or ``NOT_FOUND`` when the row is gone); of N concurrent writers
  with the same version exactly one wins.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Final, Protocol

from sqlalchemy import (
    Column,
    ColumnElement,
    Executable,
    Select,
    Table,
    any_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.sql.elements import BindParameter

from service.db import Executor
from service.errors import ErrorCode, UserInputError, Validator


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Final[Any] = _Marker("NOT_GIVEN")
INVALID: Final[Any] = _Marker("INVALID")


def given(value: Any) -> bool:
    """Whether a partial update sets this field (to a well-formed value or null)."""
    return value is not NOT_GIVEN and value is not INVALID


def active_row(
    v: Validator, path: tuple[str, ...], row: Any, what: str, name: str = "key"
) -> Any | None:
    """``row``, looked up for a reference in an input, if it is there and not archived;
    otherwise None, with the reason in ``v`` at ``path``: no such ``what`` (a competency,
    a role), or the one its ``name`` column names is archived."""
    if row is None:
        v.add(path, f"no such {what}", ErrorCode.NOT_FOUND)
        return None
    if row.archived_at is not None:
        v.add(path, f'the {what} "{getattr(row, name)}" is archived', ErrorCode.INVALID_STATE)
        return None
    return row


def by_key(rows: Sequence[Any], attr: str, keys: Sequence[Any]) -> list[Any | None]:
    """The row whose ``attr`` is each key, in the order of ``keys`` (None where none is):
    what a DataLoader batch function returns for single objects."""
    found = dict(zip(map(attrgetter(attr), rows), rows, strict=True))
    return list(map(found.get, keys))


class Record(Mapping[str, Any]):
    """A row as attributes and as a mapping (``row.name``, ``row._mapping``, ``dict(row)``)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def _mapping(self) -> Mapping[str, Any]:
        return self._values

    def __repr__(self) -> str:
        return f"Record({self._values!r})"


@dataclass(frozen=True)
class Updated:
    """A versioned update: the row as it was (locked) and as written."""

    before: Record
    after: Record

    def changed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The part of ``values`` that differs from the row as it was."""
        return {k: v for k, v in values.items() if self.before[k] != v}


def stale_version(what: str, current: int, expected: int) -> UserInputError:
    return UserInputError.one(
        ("input", "version"),
        f"the {what} was changed by someone else (version {current}, not {expected}); "
        "reload and try again",
        ErrorCode.STALE_VERSION,
    )


def check_version(row: Any, expected: int | None, what: str) -> None:
    """An early refusal of a stale version, before the input is checked. Only advisory:
    ``update_versioned`` is what makes the check hold under concurrency."""
    if expected is not None and expected != row.version:
        raise stale_version(what, row.version, expected)


class TargetAction(Protocol):
    """A use case acting on one object at the version the caller read (``None``: any)."""

    def __call__(
        self, db: Any, principal: Any, target: Any, /, *, expected_version: int | None
    ) -> Awaitable[Any]: ...


async def update_versioned(
    db: Executor,
    table: Table,
    row_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    expected_version: int | None,
    what: str,
    returning: Iterable[ColumnElement[Any]] | None = None,
) -> Updated:
    """Write ``values`` to one row if its version is still ``expected_version`` (any version
    when ``None``), bumping the version and ``updated_at``, in one statement:

        WITH locked AS (SELECT … WHERE id = :id AND version = :expected FOR UPDATE)
        UPDATE t SET …, version = version + 1 FROM locked
        WHERE t.id = locked.id AND t.version = :expected RETURNING t.…, locked.…

    Concurrent writers queue on the row lock; once the first commits, the others' version
    predicate no longer matches and they get ``STALE_VERSION``.
    """
    predicate = [table.c.id == row_id]
    if expected_version is not None:
        predicate.append(table.c.version == expected_version)
    locked = select(*table.c).where(*predicate).with_for_update().cte("locked")
    columns = list(returning) if returning is not None else list(table.c)
    stmt = (
        update(table)
        .where(table.c.id == locked.c.id, *predicate[1:])
        .values(**values, version=table.c.version + 1, updated_at=func.now())
        .returning(*columns, *(c.label(f"before__{c.name}") for c in locked.c))
    )
    row = (await db.execute(stmt)).first()
    if row is None:
        current = (await db.execute(select(table.c.version).where(table.c.id == row_id))).scalar()
        if current is None:
            raise UserInputError.one(("input", "id"), f"no such {what}", ErrorCode.NOT_FOUND)
        raise stale_version(what, current, expected_version or 0)
    mapping = row._mapping
    prefix = "before__"
    before = {k[len(prefix) :]: v for k, v in mapping.items() if k.startswith(prefix)}
    after = {k: v for k, v in mapping.items() if not k.startswith(prefix)}
    return Updated(before=Record(before), after=Record(after))


# --- batch reads ----------------------------------------------------------------------------


def uuid_array(name: str = "ids") -> BindParameter[Any]:
    """A bind parameter holding a list of UUIDs, one array whatever its length: statements
    built with it once stay the same object, so SQLAlchemy's compiled cache and asyncpg's
    prepared statements are reused however many IDs a request asks for."""
    return bindparam(name, type_=ARRAY(UUID(as_uuid=True)))


def in_ids(column: Any, name: str = "ids") -> ColumnElement[bool]:
    """``column = any(:ids)``."""
    return column == any_(uuid_array(name))


RowsById = Callable[[Executor, Sequence[uuid.UUID]], Awaitable[list[Any | None]]]


def loader_by_id(table: Table) -> RowsById:
    """The batch function of ``table``'s rows by ID (``rows_by_id`` for that table), its
    statement built once."""
    stmt = select(table).where(in_ids(table.c.id))

    async def load(db: Executor, ids: Sequence[uuid.UUID]) -> list[Any | None]:
        return await batch_by_key(db, stmt, "id", ids)

    return load


def grouped(rows: Iterable[Any], attr: str, keys: Sequence[Any]) -> list[list[Any]]:
    """``rows`` grouped by their ``attr``, one list per key of ``keys`` (in order)."""
    rows = list(rows)
    groups: dict[Any, list[Any]] = {}
    for key, r in zip(map(attrgetter(attr), rows), rows, strict=True):
        if key in groups:
            groups[key].append(r)
        else:
            groups[key] = [r]
    return [groups.get(k, []) for k in keys]


async def batch_by_key(
    db: Executor, stmt: Executable, attr: str, keys: Sequence[Any]
) -> list[Any | None]:
    """Run ``stmt`` with its ``:ids`` bound to the distinct ``keys`` and return the row whose
    ``attr`` is each key, in order (None where none is): a DataLoader's single objects."""
    rows = (await db.execute(stmt, {"ids": list(set(keys))})).all()
    return by_key(rows, attr, keys)


async def batch_grouped(
    db: Executor, stmt: Executable, attr: str, keys: Sequence[Any]
) -> list[list[Any]]:
    """Run ``stmt`` with its ``:ids`` bound to the distinct ``keys`` and group its rows by
    ``attr``, one list per key in order: a DataLoader's lists."""
    rows = (await db.execute(stmt, {"ids": list(set(keys))})).all()
    return grouped(rows, attr, keys)


RowsByKey = Callable[[Executor, Sequence[uuid.UUID]], Awaitable[list[list[Any]]]]


def loader_grouped(column: Column[Any], *order: Any, where: Sequence[Any] = ()) -> RowsByKey:
    """The batch function of the rows of ``column``'s table for each key of ``column``
    (ordered by ``column``, then ``order``; only those meeting ``where``), its statement
    built once."""
    stmt = select(column.table).where(in_ids(column), *where).order_by(column, *order)

    async def load(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
        return await batch_grouped(db, stmt, column.name, ids)

    return load


# --- list filters -------------------------------------------------------------------------


def where_given(stmt: Select[Any], *conditions: tuple[Any, Any]) -> Select[Any]:
    """``stmt`` narrowed to ``column = value`` for each ``(column, value)`` whose value is
    given (not None): a list's optional equality filters, in order."""
    for column, value in conditions:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def like_pattern(search: str) -> str:
    """``search`` as a case-insensitive substring pattern, wildcards escaped."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(search: str, *columns: Any) -> ColumnElement[bool]:
    """Whether any of ``columns`` contains ``search`` (case-insensitive, wildcards escaped)."""
    pattern = like_pattern(search)
    return or_(*(column.ilike(pattern) for column in columns))
