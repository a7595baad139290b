"""Importing and exporting the framework as a framework document (docs/framework-format.md).

**Import makes the organization's framework equal to the document.** Entities are matched
by key (transitions by their pair of roles):

- a key that is new is *created*; one whose fields, references or owned details (scale
  levels, descriptors, expectations, track roles) differ is *updated*, its ``version``
  bumped; an archived entity named by the document is restored (counted as updated);
  the rest are *unchanged* and not touched;
- an active entity the document does not name is *archived*, never deleted: employees and
  history keep pointing at it, and importing a document naming it again restores it.

Descriptors and expectations are counted the same way, by (competency, level) and (role,
competency); those a document drops from their owner are *removed* (deleted, never archived).

Re-importing the same document therefore changes nothing. The import runs in the caller's
transaction and writes set-based (one multi-row statement per table and kind of change),
so a failure leaves nothing behind; a dry run performs the same writes inside a savepoint
and rolls them back, returning the same summary. Every created, updated or archived
entity gets an audit event, and the import one more with the counts.

**Export** writes the active framework in canonical form (``dump_document``), so
export → import → export is byte-identical.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, literal_column, null, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from service.audit import service as audit
from service.auth.principal import Principal
from service.db import Executor
from service.errors import ErrorCode, FieldError, UserInputError
from service.framework import queries
from service.framework import service as framework
from service.framework.document import (
    DocumentError,
    Fmt,
    FrameworkDocument,
    dump_document,
    parse_document,
)
from service.framework.models import (
    competencies,
    competency_descriptors,
    framework_settings,
    job_families,
    levels,
    proficiency_scales,
    role_expectations,
    role_transitions,
    roles,
    scale_levels,
    track_steps,
    tracks,
)


class FrameworkFormat(StrEnum):
    """Text formats of a framework document."""

    YAML = "yaml"
    JSON = "json"


#: Entity sections of a document, in the order they are written; names as in the document.
SECTIONS = ("scales", "levels", "jobFamilies", "competencies", "roles", "tracks", "transitions")

#: Steps reported to a progress callback, in order.
PHASES = ("check", "load", *SECTIONS, "archive", "audit")

#: Sections of the import summary: the entity sections and the details their entities own
#: (descriptors of competencies, expectations of roles), each after its owner.
SUMMARY_SECTIONS = (
    *SECTIONS[:4],
    "descriptors",
    SECTIONS[4],
    "expectations",
    *SECTIONS[5:],
)

Progress = Callable[[str], None]


@dataclass
class Counts:
    """What an import did (or would do) to one kind of entity.

    Owned details (descriptors, expectations) are never archived: those an owner's new
    version leaves out are ``removed``."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    removed: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.archived + self.removed

    def tally(self, stored: dict[Any, Any], wanted: dict[Any, Any]) -> None:
        """Count owned details by key: ``stored`` and ``wanted`` map each key to its content."""
        for key, content in wanted.items():
            if key not in stored:
                self.created += 1
            elif stored[key] != content:
                self.updated += 1
            else:
                self.unchanged += 1
        self.removed += len(stored.keys() - wanted.keys())


@dataclass
class ImportSummary:
    counts: dict[str, Counts] = field(
        default_factory=lambda: {s: Counts() for s in SUMMARY_SECTIONS}
    )
    notice_changed: bool = False
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return self.notice_changed or any(c.changed for c in self.counts.values())


def document_errors(exc: DocumentError) -> UserInputError:
    """Every problem of a document as a userError at ``input.document.<path>``."""
    return UserInputError(
        [
            FieldError(
                ("input", "document", *((p.path,) if p.path else ())),
                f"{p.path}: {p.message}" if p.path else p.message,
                ErrorCode.INVALID,
            )
            for p in exc.problems
        ]
    )


# --- export -------------------------------------------------------------------------------


async def export_document(db: Executor, principal: Principal) -> FrameworkDocument:
    framework.require_admin(principal)
    snapshot = await queries.load_snapshot(db)
    return parse_document(queries.snapshot_document(snapshot))


async def export_framework(db: Executor, principal: Principal, fmt: Fmt = "yaml") -> str:
    """The organization's active framework as canonical YAML or JSON."""
    return dump_document(await export_document(db, principal), fmt)


# --- import -------------------------------------------------------------------------------


def _compare(row: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Changed columns of ``row`` against the wanted ``values`` (an archived row differs)."""
    changes = {k: v for k, v in values.items() if getattr(row, k) != v}
    if row.archived_at is not None:
        changes["archived"] = False
    return changes


class _Importer:
    def __init__(
        self,
        db: Executor,
        principal: Principal,
        doc: FrameworkDocument,
        snapshot: queries.Snapshot,
        summary: ImportSummary,
        progress: Progress,
    ) -> None:
        self.db = db
        self.principal = principal
        self.org_id = principal.org_id
        self.doc = doc
        self.s = snapshot
        self.summary = summary
        self.progress = progress
        self.audit_rows: list[dict[str, Any]] = []
        # key -> id, filled as each table is written
        self.ids: dict[str, dict[str, uuid.UUID]] = {}
        self._to_archive: list[tuple[str, framework.Entity, list[Any]]] = []

    # --- helpers ----------------------------------------------------------------------

    def _audit(
        self, action: str, entity_type: str, entity_id: Any, changes: dict[str, Any]
    ) -> None:
        self.audit_rows.append(audit.event(self.principal, action, entity_type, entity_id, changes))

    async def _upsert_keyed(
        self,
        section: str,
        entity: framework.Entity,
        existing: Sequence[Any],
        wanted: list[tuple[str, dict[str, Any], Any]],
        children_of: Callable[[Any], Any] | None,
    ) -> tuple[dict[str, uuid.UUID], set[str]]:
        """Create or update the keyed entities of one section.

        ``wanted`` holds (key, column values, owned details) per document entity;
        ``children_of(row)`` gives the stored owned details of an existing row in the same
        shape. Returns key -> id for every wanted entity and the keys whose owned details
        must be rewritten.
        """
        counts = self.summary.counts[section]
        by_key = {r.key: r for r in existing}
        ids = {r.key: r.id for r in existing}
        rewrite: set[str] = set()
        upserts: list[dict[str, Any]] = []
        for key, values, details in wanted:
            row = by_key.get(key)
            if row is None:
                counts.created += 1
                upserts.append({"key": key, **values})
                rewrite.add(key)
                self._audit(
                    f"{entity.action}.create", entity.type_name, None, {"key": key, **values}
                )
                continue
            changes = _compare(row, values)
            if children_of is not None and children_of(row) != details:
                changes["details"] = True
                rewrite.add(key)
            if not changes:
                counts.unchanged += 1
                continue
            counts.updated += 1
            upserts.append({"key": key, **values})
            diff = audit.diff(dict(row._mapping), {k: v for k, v in values.items() if k in changes})
            if "archived" in changes:
                diff["archived"] = {"from": True, "to": False}
            if "details" in changes:
                diff["details"] = "replaced"
            self._audit(f"{entity.action}.import", entity.type_name, row.id, diff)
        if upserts:
            table = entity.table
            base = pg_insert(table)
            columns = [c for c in upserts[0] if c != "key"]
            stmt = base.on_conflict_do_update(
                index_elements=[table.c.org_id, table.c.key],
                set_={
                    **{c: base.excluded[c] for c in columns},
                    # literals, not parameters: a statement whose only parameters are its
                    # VALUES runs as one multi-row INSERT for all its rows
                    "archived_at": null(),
                    "version": table.c.version + literal_column("1"),
                    "updated_at": func.now(),
                },
            ).returning(table.c.id, table.c.key)
            result = await self.db.execute(
                stmt, [{"org_id": self.org_id, **row} for row in upserts]
            )
            for r in result.all():
                ids[r.key] = r.id
        # audit events of created rows learn their ids now
        for event in self.audit_rows:
            if event["entity_id"] is None and event["entity_type"] == entity.type_name:
                event["entity_id"] = ids[event["changes"]["key"]]
        wanted_keys = {k for k, _, _ in wanted}
        stale = [r for r in existing if r.archived_at is None and r.key not in wanted_keys]
        self._to_archive.append((section, entity, stale))
        self.ids[section] = ids
        return ids, rewrite

    async def _replace_children(
        self,
        parent_column: Any,
        ids: dict[str, uuid.UUID],
        rewrite: Iterable[str],
        rows: list[dict[str, Any]],
    ) -> None:
        """Replace the children (rows of ``parent_column``'s table) of the entities whose
        details are rewritten (``rewrite``: keys, ``ids``: their IDs by key) with ``rows``."""
        table = parent_column.table
        parent_ids = [ids[k] for k in rewrite]
        if not parent_ids:
            return
        await self.db.execute(table.delete().where(parent_column.in_(list(parent_ids))))
        if rows:
            await self.db.execute(insert(table), [{"org_id": self.org_id, **r} for r in rows])

    # --- sections ---------------------------------------------------------------------

    async def run(self) -> None:
        await self.db.execute(text("set constraints ex_levels_active_rank deferred"))
        await self.notice()
        await self.scales()
        self.progress("scales")
        await self.levels()
        self.progress("levels")
        await self.families()
        self.progress("jobFamilies")
        await self.competencies()
        self.progress("competencies")
        await self.roles()
        self.progress("roles")
        await self.tracks()
        self.progress("tracks")
        await self.transitions()
        self.progress("transitions")
        await self.archive()
        await self.db.execute(text("set constraints ex_levels_active_rank immediate"))
        self.progress("archive")

    async def notice(self) -> None:
        if self.doc.notice == self.s.notice:
            return
        self.summary.notice_changed = True
        stmt = pg_insert(framework_settings).values(org_id=self.org_id, notice=self.doc.notice)
        await self.db.execute(
            stmt.on_conflict_do_update(
                index_elements=[framework_settings.c.org_id],
                set_={"notice": stmt.excluded.notice, "updated_at": func.now()},
            )
        )
        self._audit(
            "framework.notice",
            "Framework",
            None,
            {"notice": {"from": self.s.notice, "to": self.doc.notice}},
        )

    async def scales(self) -> None:
        def details(levels_: Any) -> list[tuple[Any, ...]]:
            return [(lv.value, lv.name, lv.description) for lv in levels_]

        wanted = [
            (sc.key, {"name": sc.name, "description": sc.description}, details(sc.levels))
            for sc in self.doc.scales
        ]
        ids, rewrite = await self._upsert_keyed(
            "scales",
            framework.SCALE,
            self.s.scales,
            wanted,
            lambda r: details(self.s.scale_levels.get(r.id, [])),
        )
        rows = [
            {
                "scale_id": ids[sc.key],
                "value": lv.value,
                "name": lv.name,
                "description": lv.description,
            }
            for sc in self.doc.scales
            if sc.key in rewrite
            for lv in sc.levels
        ]
        await self._replace_children(scale_levels.c.scale_id, ids, rewrite, rows)

    async def levels(self) -> None:
        wanted = [
            (lv.key, {"name": lv.name, "rank": lv.rank, "description": lv.description}, None)
            for lv in self.doc.levels
        ]
        await self._upsert_keyed("levels", framework.LEVEL, self.s.levels, wanted, None)

    async def families(self) -> None:
        wanted = [
            (f.key, {"name": f.name, "description": f.description}, None)
            for f in self.doc.job_families
        ]
        await self._upsert_keyed("jobFamilies", framework.FAMILY, self.s.families, wanted, None)

    async def competencies(self) -> None:
        scale_ids = self.ids["scales"]

        def details(items: Any) -> list[tuple[Any, ...]]:
            return sorted((d.level, d.description) for d in items)

        wanted = [
            (
                c.key,
                {
                    "name": c.name,
                    "category": c.category,
                    "description": c.description,
                    "scale_id": scale_ids[c.scale],
                },
                details(c.descriptors),
            )
            for c in self.doc.competencies
        ]
        ids, rewrite = await self._upsert_keyed(
            "competencies",
            framework.COMPETENCY,
            self.s.competencies,
            wanted,
            lambda r: details(self.s.descriptors.get(r.id, [])),
        )
        stored = {r.key: r.id for r in self.s.competencies}
        for c in self.doc.competencies:
            self.summary.counts["descriptors"].tally(
                dict(details(self.s.descriptors.get(stored[c.key], []) if c.key in stored else [])),
                dict(details(c.descriptors)),
            )
        rows = [
            {"competency_id": ids[c.key], "level": d.level, "description": d.description}
            for c in self.doc.competencies
            if c.key in rewrite
            for d in c.descriptors
        ]
        await self._replace_children(competency_descriptors.c.competency_id, ids, rewrite, rows)

    async def roles(self) -> None:
        family_ids, level_ids = self.ids["jobFamilies"], self.ids["levels"]
        competency_ids = self.ids["competencies"]

        def details(items: Any) -> list[tuple[Any, ...]]:
            return sorted(
                (str(cid), lvl, float(w), core, note) for cid, lvl, w, core, note in items
            )

        def stored(r: Any) -> list[tuple[Any, ...]]:
            return details(
                (e.competency_id, e.required_level, e.weight, e.core, e.note)
                for e in self.s.expectations.get(r.id, [])
            )

        def by_competency(items: list[tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
            return {item[0]: item[1:] for item in items}

        existing = {r.key: r for r in self.s.roles}
        wanted = []
        for role in self.doc.roles:
            band = role.pay_band
            values = {
                "family_id": family_ids[role.family],
                "level_id": level_ids[role.level],
                "title": role.title,
                "description": role.description,
                "pay_min": band.min if band else None,
                "pay_mid": band.mid if band else None,
                "pay_max": band.max if band else None,
                "pay_currency": band.currency if band else None,
            }
            expectations = details(
                (competency_ids[e.competency], e.required_level, e.weight, e.core, e.note)
                for e in role.expectations
            )
            wanted.append((role.key, values, expectations))
            row = existing.get(role.key)
            self.summary.counts["expectations"].tally(
                by_competency(stored(row)) if row is not None else {}, by_competency(expectations)
            )
        ids, rewrite = await self._upsert_keyed(
            "roles", framework.ROLE, self.s.roles, wanted, stored
        )
        rows = [
            {
                "role_id": ids[role.key],
                "competency_id": competency_ids[e.competency],
                "required_level": e.required_level,
                "weight": float(e.weight),
                "core": e.core,
                "note": e.note,
            }
            for role in self.doc.roles
            if role.key in rewrite
            for e in role.expectations
        ]
        await self._replace_children(role_expectations.c.role_id, ids, rewrite, rows)

    async def tracks(self) -> None:
        family_ids, role_ids = self.ids["jobFamilies"], self.ids["roles"]
        wanted = [
            (
                t.key,
                {
                    "family_id": family_ids[t.family],
                    "name": t.name,
                    "kind": t.kind,
                    "description": t.description,
                },
                [role_ids[k] for k in t.roles],
            )
            for t in self.doc.tracks
        ]
        ids, rewrite = await self._upsert_keyed(
            "tracks",
            framework.TRACK,
            self.s.tracks,
            wanted,
            lambda r: [st.role_id for st in self.s.steps.get(r.id, [])],
        )
        rows = [
            {"track_id": ids[t.key], "position": i + 1, "role_id": role_ids[k]}
            for t in self.doc.tracks
            if t.key in rewrite
            for i, k in enumerate(t.roles)
        ]
        await self._replace_children(track_steps.c.track_id, ids, rewrite, rows)

    async def transitions(self) -> None:
        role_ids = self.ids["roles"]
        counts = self.summary.counts["transitions"]
        entity = framework.TRANSITION
        existing = {(r.from_role_id, r.to_role_id): r for r in self.s.transitions}
        upserts: list[dict[str, Any]] = []
        wanted: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for t in self.doc.transitions:
            pair = (role_ids[t.from_role], role_ids[t.to_role])
            wanted.add(pair)
            values = {
                "from_role_id": pair[0],
                "to_role_id": pair[1],
                "kind": t.kind,
                "note": t.note,
            }
            row = existing.get(pair)
            if row is None:
                counts.created += 1
                upserts.append(values)
                continue
            changes = _compare(row, {"kind": t.kind, "note": t.note})
            if not changes:
                counts.unchanged += 1
                continue
            counts.updated += 1
            upserts.append(values)
            diff = audit.diff(dict(row._mapping), {"kind": t.kind, "note": t.note})
            if "archived" in changes:
                diff["archived"] = {"from": True, "to": False}
            self._audit(f"{entity.action}.import", entity.type_name, row.id, diff)
        if upserts:
            base = pg_insert(role_transitions)
            stmt = base.on_conflict_do_update(
                index_elements=[
                    role_transitions.c.org_id,
                    role_transitions.c.from_role_id,
                    role_transitions.c.to_role_id,
                ],
                set_={
                    "kind": base.excluded.kind,
                    "note": base.excluded.note,
                    "archived_at": null(),
                    "version": role_transitions.c.version + literal_column("1"),
                    "updated_at": func.now(),
                },
            ).returning(
                role_transitions.c.id,
                role_transitions.c.from_role_id,
                role_transitions.c.to_role_id,
                role_transitions.c.version,
            )
            result = await self.db.execute(stmt, [{"org_id": self.org_id, **u} for u in upserts])
            for r in result.all():
                if r.version == 1:
                    self._audit(
                        f"{entity.action}.create",
                        entity.type_name,
                        r.id,
                        {"from_role_id": r.from_role_id, "to_role_id": r.to_role_id},
                    )
        stale = [r for pair, r in existing.items() if r.archived_at is None and pair not in wanted]
        self._to_archive.append(("transitions", entity, stale))

    async def archive(self) -> None:
        for section, entity, rows in self._to_archive:
            if not rows:
                continue
            self.summary.counts[section].archived += len(rows)
            table = entity.table
            await self.db.execute(
                update(table)
                .where(table.c.id.in_([r.id for r in rows]))
                .values(archived_at=func.now(), version=table.c.version + 1, updated_at=func.now())
            )
            for r in rows:
                self._audit(
                    f"{entity.action}.archive",
                    entity.type_name,
                    r.id,
                    {"archived": {"from": False, "to": True}, "reason": "not in imported document"},
                )

    async def write_audit(self) -> None:
        self._audit(
            "framework.import",
            "Framework",
            None,
            {
                "counts": {
                    s: {
                        "created": c.created,
                        "updated": c.updated,
                        "unchanged": c.unchanged,
                        "archived": c.archived,
                        "removed": c.removed,
                    }
                    for s, c in self.summary.counts.items()
                },
                "notice_changed": self.summary.notice_changed,
            },
        )
        await audit.record_many(self.db, self.audit_rows)
        self.progress("audit")


async def import_framework(
    db: Executor,
    principal: Principal,
    data: str | bytes | dict[str, Any] | FrameworkDocument,
    *,
    fmt: Fmt | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Make the organization's framework equal to a framework document (see the module
    docstring). Raises ``UserInputError`` with every problem of the document, each at
    ``input.document.<path>``; nothing is written then."""
    framework.require_admin(principal)
    report = progress or (lambda phase: None)
    if isinstance(data, FrameworkDocument):
        doc = data
    else:
        try:
            doc = parse_document(data, fmt=fmt)
        except DocumentError as exc:
            raise document_errors(exc) from None
    report("check")
    await framework.lock_framework(db, principal)
    snapshot = await queries.load_snapshot(db)
    report("load")
    summary = ImportSummary(dry_run=dry_run)
    if dry_run:
        await db.execute(text("savepoint framework_dry_run"))
    importer = _Importer(db, principal, doc, snapshot, summary, report)
    try:
        await importer.run()
        if summary.changed and not dry_run:
            await importer.write_audit()
        else:
            report("audit")
    finally:
        if dry_run:
            await db.execute(text("rollback to savepoint framework_dry_run"))
            await db.execute(text("release savepoint framework_dry_run"))
    return summary


async def counts_by_table(db: Executor) -> dict[str, int]:
    """Rows per framework table (archived included), for tests and diagnostics."""
    out = {}
    for table in (
        proficiency_scales,
        scale_levels,
        levels,
        job_families,
        competencies,
        competency_descriptors,
        roles,
        role_expectations,
        tracks,
        track_steps,
        role_transitions,
        framework_settings,
    ):
        out[table.name] = int(
            (await db.execute(select(func.count()).select_from(table))).scalar_one()
        )
    return out
