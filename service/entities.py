"""Entities declared once: fields, checks and rules, from which create, update and
archive follow (the service side of the domain kit; no GraphQL here).

An ``Entity`` names its table and how messages and the audit log call it, and lists its
fields (``Attr``): a unique key, names, texts, references to other entities, enums, and
``hook`` fields whose check is the entity's own code. ``create``, ``update`` and
``set_archived`` then check every field at once (all problems reported together),
write, audit, and run the entity's ``check``, ``begin``/``finish`` and archive hooks.
``service.graphql.kit.entity_mutations`` makes the GraphQL inputs, payloads and
mutations from the same declaration. See docs/architecture.md for a worked example.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.elements import ClauseElement

from service.audit import service as audit
from service.auth.principal import Principal
from service.db import Executor
from service.errors import ErrorCode, FieldError, UserInputError, Validator
from service.kit import INVALID, NOT_GIVEN, active_row, check_version, update_versioned

KEY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
KEY_RE = re.compile(KEY_PATTERN)
MAX_KEY = 64
MAX_NAME = 200
MAX_TEXT = 4000

Path = tuple[str, ...]


Errors = Validator  # a validator seeded with the errors found reading the request


@dataclass
class Change:
    """One create or update in progress: what the hooks read and fill."""

    db: Executor
    principal: Principal
    entity: Entity
    data: Any
    v: Errors
    before: Any = None  # the row being updated; None when creating
    values: dict[str, Any] = field(default_factory=dict)  # columns to write
    refs: dict[str, Any] = field(default_factory=dict)  # referenced rows found, by field
    extra: dict[str, Any] = field(default_factory=dict)  # owned details changed, for audit
    writes: list[Callable[[uuid.UUID], Awaitable[None]]] = field(default_factory=list)

    @property
    def creating(self) -> bool:
        return self.before is None

    @property
    def own_id(self) -> uuid.UUID | None:
        return None if self.before is None else self.before.id

    def given(self, name: str) -> bool:
        """Creating sets every field (missing ones to null); updating, those given."""
        return self.creating or getattr(self.data, name, NOT_GIVEN) is not NOT_GIVEN

    def get(self, name: str) -> Any:
        value = getattr(self.data, name, NOT_GIVEN)
        return None if value is NOT_GIVEN else value

    def current(self, name: str) -> Any:
        """The value the entity will have: the checked new one, else the stored one."""
        stored = None if self.before is None else getattr(self.before, name)
        return self.values.get(name, stored)


Hook = Callable[[Change], Awaitable[None]]
# (db, entity, row, archiving, reasons found so far) -> further reasons
Blockers = Callable[[Executor, "Entity", Any, bool, list[str]], Awaitable[list[str]]]


@dataclass(frozen=True)
class Attr:
    """One field of an entity: its input, its column and its check.

    ``kind``: ``key`` (a unique slug), ``name`` (required text), ``text`` (optional text of
    at most ``limit``), ``ref`` (an active entity of type ``ref``), ``enum`` (one of
    ``choices``) or ``hook`` (``hook`` checks it, given or not, and fills the change)."""

    name: str
    doc: str  # of the create input's field
    update_doc: str | None = None  # of the update input's; None: set at creation only
    kind: str = "text"
    required: bool = False  # must be given on create (GraphQL: non-null)
    limit: int = MAX_TEXT
    ref: Entity | None = None
    ids: str | None = None  # GraphQL type of the IDs a hook field holds
    choices: type[StrEnum] | None = None
    hook: Hook | None = None
    then: Hook | None = None  # a further check after the field's own

    @property
    def input(self) -> str:
        head, *rest = self.name.split("_")
        return head + "".join(w.title() for w in rest)


@dataclass(frozen=True)
class Entity:
    """An entity type of the framework, declared once."""

    table: Any
    type_name: str  # GraphQL type, audit entity type
    label: str  # in messages
    action: str  # audit action prefix
    plural: str = ""
    attrs: tuple[Attr, ...] = ()
    doc: str = ""  # of the create input
    check: Hook | None = None  # entity-wide rules after the fields
    dependents: tuple[tuple[Any, str, str], ...] = ()  # active (table, column, message)
    begin: Callable[[Executor, Principal], Awaitable[None]] | None = None  # authorize, lock
    finish: Callable[[Executor], Awaitable[None]] | None = None  # after every change
    blockers: Blockers | None = None  # further reasons not to archive (restore) a row
    archived: Callable[[Executor, Principal, uuid.UUID], Awaitable[None]] | None = None

    @property
    def many(self) -> str:
        return self.plural or self.label + "s"

    @property
    def payload_field(self) -> str:
        """The payload's field: ``jobFamily``."""
        return self.type_name[0].lower() + self.type_name[1:]


def key() -> Attr:
    return Attr(
        "key",
        "Stable key: lowercase letters, digits, hyphens.",
        "New key.",
        kind="key",
        required=True,
    )


def name(attr: str = "name", doc: str = "Display name (at most 200 characters).") -> Attr:
    return Attr(attr, doc, f"New {attr}.", kind="name", required=True)


def description(doc: str) -> Attr:
    return Attr("description", doc, "New description.")


def ref(attr: str, entity: Entity, doc: str, update_doc: str | None) -> Attr:
    return Attr(attr, doc, update_doc, kind="ref", required=True, ref=entity)


def hook(attr: str, doc: str, update_doc: str, fn: Hook, *, required: bool = False) -> Attr:
    return Attr(attr, doc, update_doc, kind="hook", required=required, hook=fn)


# --- create, update and archive -------------------------------------------------------


async def load(
    db: Executor, entity: Entity, row_id: uuid.UUID, path: Path = ("input", "id")
) -> Any:
    row = await one_by_id(db, entity.table, row_id)
    if row is None:
        raise UserInputError.one(path, f"no such {entity.label}", ErrorCode.NOT_FOUND)
    return row


async def _check(ch: Change) -> None:
    """Check every field (on create, references first: other checks need them), then the
    entity's own rules."""
    attrs = ch.entity.attrs
    if ch.creating:
        attrs = tuple(sorted(attrs, key=lambda a: a.kind != "ref"))
    for a in attrs:
        if a.hook is not None:
            await a.hook(ch)
        elif ch.given(a.name) and (ch.creating or a.update_doc is not None):
            await _check_attr(ch, a, ch.get(a.name))
        if a.then is not None:
            await a.then(ch)
    if ch.entity.check is not None:
        await ch.entity.check(ch)


async def _check_attr(ch: Change, a: Attr, value: Any) -> None:
    v = ch.v
    if a.kind == "key":
        ch.values[a.name] = await _key(ch.db, v, ch.entity, value, ch.own_id)
    elif a.kind == "name":
        ch.values[a.name] = v.text(a.input, value, required=True)
    elif a.kind == "text":
        ch.values[a.name] = v.text(a.input, value, max_length=a.limit) or None
    elif a.kind == "enum":
        assert a.choices is not None
        if value is None:
            v.add(("input", a.input), "is required", ErrorCode.REQUIRED)
        elif value not in set(a.choices):
            v.add(("input", a.input), f"must be one of {', '.join(a.choices)}")
        ch.values[a.name] = None if value is None else str(value)
    elif a.kind == "ref":
        assert a.ref is not None
        if not ch.creating and value == getattr(ch.before, a.name):
            return
        found = await active_ref(ch.db, v, a.ref, value, ("input", a.input))
        if found is not None or ch.creating:
            ch.refs[a.name] = found
            ch.values[a.name] = found.id if found is not None else None


async def create(
    db: Executor,
    principal: Principal,
    entity: Entity,
    data: Any,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Create an entity from ``data`` (its fields by name; see ``Input``)."""
    await _begin(db, principal, entity)
    ch = Change(db, principal, entity, data, Errors(input_errors))
    await _check(ch)
    ch.v.raise_if_any()
    row = await _insert(db, principal, entity, ch.values)
    for step in ch.writes:
        await step(row.id)
    await _finish(db, entity)
    return row


async def update(
    db: Executor,
    principal: Principal,
    entity: Entity,
    row_id: uuid.UUID,
    data: Any,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
    path: Path = ("input", "id"),
) -> Any:
    """Change the fields ``data`` gives (those left out stay as they are). ``path`` is the
    input field naming the row, where an unknown row is reported."""
    await _begin(db, principal, entity)
    before = await load(db, entity, row_id, path)
    check_version(before, expected_version, entity.label)
    ch = Change(db, principal, entity, data, Errors(input_errors), before)
    await _check(ch)
    ch.v.raise_if_any()
    for step in ch.writes:
        await step(row_id)
    row = await write(db, principal, entity, before, ch.values, extra_changes=ch.extra)
    await _finish(db, entity)
    return row


async def set_archived(
    db: Executor,
    principal: Principal,
    entity: Entity,
    row_id: uuid.UUID,
    *,
    archived: bool,
    expected_version: int | None = None,
) -> Any:
    """Archive (or restore) an entity: kept, no longer offered. Refused while active rows
    depend on it (or, restoring, while what it refers to is archived)."""
    await _begin(db, principal, entity)
    before = await load(db, entity, row_id)
    check_version(before, expected_version, entity.label)
    if (before.archived_at is not None) == archived:
        return before
    blockers = await (_archive_blockers if archived else _restore_blockers)(db, entity, before)
    if entity.blockers is not None:
        blockers += await entity.blockers(db, entity, before, archived, blockers)
    if blockers:
        raise UserInputError(
            [FieldError(("input", "id"), message, ErrorCode.INVALID_STATE) for message in blockers]
        )
    row = await write(
        db,
        principal,
        entity,
        before,
        {"archived_at": func.now() if archived else None},
        action="archive" if archived else "restore",
        extra_changes={"archived": {"from": not archived, "to": archived}},
    )
    if archived and entity.archived is not None:
        await entity.archived(db, principal, row_id)
    await _finish(db, entity)
    return row


async def _begin(db: Executor, principal: Principal, entity: Entity) -> None:
    if entity.begin is not None:
        await entity.begin(db, principal)


async def _finish(db: Executor, entity: Entity) -> None:
    if entity.finish is not None:
        await entity.finish(db)


async def _archive_blockers(db: Executor, entity: Entity, row: Any) -> list[str]:
    """Why an active entity cannot be archived: the active entities that depend on it."""
    out = []
    for table, column, message in entity.dependents:
        used = await keys_where(db, table, table.c[column] == row.id, active(table))
        if used:
            out.append(f"{message}: {listing(used)}")
    return out


async def _restore_blockers(db: Executor, entity: Entity, row: Any) -> list[str]:
    """Why an archived entity cannot be restored: what it refers to is archived."""
    refs = [(a.ref, getattr(row, a.name)) for a in entity.attrs if a.ref is not None]
    return await archived_refs(db, refs)


async def archived_refs(db: Executor, refs: Sequence[tuple[Entity, Any]]) -> list[str]:
    """A reason for each of ``refs`` (entity, row ID) that is archived."""
    out = []
    for ref_entity, ref_id in refs:
        found = await one_by_id(db, ref_entity.table, ref_id)
        if found is not None and found.archived_at is not None:
            out.append(f'its {ref_entity.label} "{found.key}" is archived; restore that first')
    return out


# --- shared checks ------------------------------------------------------------------------


async def _key(
    db: Executor, v: Validator, entity: Entity, value: Any, own_id: uuid.UUID | None
) -> str | None:
    key = v.text("key", value, required=True, max_length=MAX_KEY)
    if not key:
        return key
    if not KEY_RE.match(key):
        v.add(
            ("input", "key"),
            f'"{key}" is not a valid key: use lowercase letters, digits and single hyphens, '
            'e.g. "senior-engineer"',
        )
        return key
    found = (await db.execute(select(entity.table).where(entity.table.c.key == key))).first()
    if found is not None and found.id != own_id:
        archived = " (archived)" if found.archived_at is not None else ""
        v.add(
            ("input", "key"),
            f'"{key}" is already used by another {entity.label}{archived}',
            ErrorCode.TAKEN,
        )
    return key


async def active_ref(
    db: Executor, v: Validator, entity: Entity, row_id: uuid.UUID | None, path: Path
) -> Any | None:
    """The referenced row if it exists and is active; otherwise an error at ``path``."""
    if row_id is INVALID:
        return None
    if row_id is None:
        v.add(path, "is required", ErrorCode.REQUIRED)
        return None
    return active_row(v, path, await one_by_id(db, entity.table, row_id), entity.label)


def listing(keys: Sequence[str], limit: int | None = 10) -> str:
    """Keys for a message: all of them, or the first ``limit`` and how many more."""
    limit = len(keys) if limit is None else limit
    shown = ", ".join(f'"{k}"' for k in keys[:limit])
    more = len(keys) - limit
    return shown + (f" and {more} more" if more > 0 else "")


async def insert_row(
    db: Executor,
    principal: Principal,
    table: Any,
    values: Mapping[str, Any],
    action: str,
    entity_type: str,
    *,
    unaudited: Mapping[str, Any] | None = None,
) -> Any:
    """Insert one row of a tenant table in the caller's organization and audit its creation
    (``action``, e.g. ``widget.create``, with ``values``; ``unaudited`` columns, such as a
    secret, are written but kept out of the audit log). Returns the row as written."""
    row = (
        await db.execute(
            insert(table)
            .values(org_id=principal.org_id, **values, **(unaudited or {}))
            .returning(*table.c)
        )
    ).one()
    await audit.record(db, principal, action, entity_type, row.id, audit.diff(None, dict(values)))
    return row


async def update_row(
    db: Executor,
    principal: Principal,
    table: Any,
    before: Any,
    values: Mapping[str, Any],
    *,
    expected_version: int | None,
    what: str,
    action: str,
    entity_type: str,
) -> Any:
    """Write ``values`` to the row read as ``before`` through ``update_versioned`` and audit
    what changed (``action``, e.g. ``widget.update``); SQL expressions such as ``now()`` are
    written but kept out of the log. Returns the row as written, or ``before`` when
    ``values`` is empty."""
    if not values:
        check_version(before, expected_version, what)
        return before
    written = await update_versioned(
        db, table, before.id, values, expected_version=expected_version, what=what
    )
    plain = {k: v for k, v in values.items() if not isinstance(v, ClauseElement)}
    await audit.record(
        db,
        principal,
        action,
        entity_type,
        before.id,
        audit.diff(written.before, written.changed(plain)),
    )
    return written.after


async def write_settings(
    db: Executor,
    principal: Principal,
    table: Any,
    before: Mapping[str, Any],
    changes: Mapping[str, Any],
    action: str,
    entity_type: str,
) -> None:
    """Write ``changes`` to the caller's organization's row of a ``settings_table`` (made
    when there is none yet, the other columns at their defaults), one version up, and audit
    them against ``before`` (``action``, e.g. ``widget_settings.update``)."""
    stmt = pg_insert(table).values(org_id=principal.org_id, **changes)
    await db.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id"],
            set_={**changes, "version": table.c.version + 1, "updated_at": func.now()},
        )
    )
    await audit.record(db, principal, action, entity_type, None, audit.diff(before, changes))


async def _insert(
    db: Executor, principal: Principal, entity: Entity, values: dict[str, Any]
) -> Any:
    return await insert_row(
        db, principal, entity.table, values, f"{entity.action}.create", entity.type_name
    )


async def write(
    db: Executor,
    principal: Principal,
    entity: Entity,
    before: Any,
    values: dict[str, Any],
    *,
    action: str = "update",
    extra_changes: dict[str, Any] | None = None,
) -> Any:
    """Write ``values`` (bumping the version) and audit them; ``extra_changes`` are owned
    details (levels, steps, expectations) that changed without a column of their own."""
    plain = {k: v for k, v in values.items() if not isinstance(v, ClauseElement)}
    changes = audit.diff(dict(before._mapping), plain)
    if extra_changes:
        changes.update(extra_changes)
    if not changes:
        return before
    # Framework changes are serialized (``lock_framework``) and ``before`` was read under
    # that lock, so its version is the one to hold; the predicate makes it so regardless.
    written = await update_versioned(
        db, entity.table, before.id, values, expected_version=before.version, what=entity.label
    )
    await audit.record(
        db, principal, f"{entity.action}.{action}", entity.type_name, before.id, changes
    )
    return written.after


def active(table: Any) -> ColumnElement[bool]:
    return table.c.archived_at.is_(None)


async def one_by_id(db: Executor, table: Any, row_id: uuid.UUID) -> Any | None:
    return (await db.execute(select(table).where(table.c.id == row_id))).first()


async def keys_where(db: Executor, table: Any, *conditions: Any) -> list[str]:
    stmt = select(table.c.key).where(*conditions).order_by(table.c.key)
    return list((await db.execute(stmt)).scalars().all())
