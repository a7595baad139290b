"""Tables of the career framework: scales, levels, families, roles, tracks, transitions,
competencies and role expectations.

Every entity with a ``key`` keeps it unique per organization, archived rows included, so a
key always names the same thing (importing a document that uses an archived key restores
that entity). Entities are archived (``archived_at``), never deleted: employees, position
history and postings keep pointing at them. Owned details (scale levels, descriptors,
expectations, track steps) belong to their aggregate and are replaced with it.

Promotions implied by track order are not stored as transitions: consecutive
``track_steps`` of an active track *are* those edges (see ``queries.edges_select``), so
they can never disagree with the tracks.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP

from service.db import keyed_table, metadata, org_fk, reference, tenant_table, versioned


class TrackKind(StrEnum):
    IC = "IC"
    MANAGEMENT = "MANAGEMENT"
    OTHER = "OTHER"


class TransitionKind(StrEnum):
    PROMOTION = "PROMOTION"
    LATERAL = "LATERAL"


def _aggregate() -> list[Column]:
    """Columns every editable aggregate has: archive mark, version and timestamps."""
    return [
        Column("archived_at", TIMESTAMP(timezone=True)),
        *versioned(),
    ]


def _entity_table(name: str, *items: Any) -> Table:
    """A table of a keyed, archivable, versioned framework entity."""
    return tenant_table(
        name,
        Column("key", Text, nullable=False),
        *items,
        *_aggregate(),
        UniqueConstraint("org_id", "key"),
    )


# The framework as a whole: one row per organization, created on first import.
framework_settings = Table(
    "framework_settings",
    metadata,
    org_fk(),
    Column("notice", Text),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("org_id"),
    ForeignKeyConstraint(["org_id"], ["organizations.id"]),
)

proficiency_scales = _entity_table(
    "proficiency_scales",
    Column("name", Text, nullable=False),
    Column("description", Text),
)

scale_levels = keyed_table(
    "scale_levels",
    ("scale_id", "value"),
    *reference("scale_id", "proficiency_scales", ondelete="CASCADE"),
    Column("value", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
)

levels = _entity_table(
    "levels",
    Column("name", Text, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("description", Text),
)

job_families = _entity_table(
    "job_families",
    Column("name", Text, nullable=False),
    Column("description", Text),
)

roles = _entity_table(
    "roles",
    *reference("family_id", "job_families"),
    *reference("level_id", "levels"),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("pay_min", BigInteger),
    Column("pay_mid", BigInteger),
    Column("pay_max", BigInteger),
    Column("pay_currency", Text),
    Index("ix_roles_family", "org_id", "family_id"),
    Index("ix_roles_level", "org_id", "level_id"),
)

competencies = _entity_table(
    "competencies",
    Column("name", Text, nullable=False),
    Column("category", Text),
    Column("description", Text),
    *reference("scale_id", "proficiency_scales"),
    Index("ix_competencies_scale", "org_id", "scale_id"),
)

competency_descriptors = keyed_table(
    "competency_descriptors",
    ("competency_id", "level"),
    *reference("competency_id", "competencies", ondelete="CASCADE"),
    Column("level", Integer, nullable=False),
    Column("description", Text, nullable=False),
)

role_expectations = keyed_table(
    "role_expectations",
    ("role_id", "competency_id"),
    *reference("role_id", "roles", ondelete="CASCADE"),
    *reference("competency_id", "competencies"),
    Column("required_level", Integer, nullable=False),
    Column("weight", Float, nullable=False, server_default="1"),
    Column("core", Boolean, nullable=False, server_default="true"),
    Column("note", Text),
    Index("ix_role_expectations_competency", "org_id", "competency_id"),
)

tracks = _entity_table(
    "tracks",
    *reference("family_id", "job_families"),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("description", Text),
    Index("ix_tracks_family", "org_id", "family_id"),
)

# Positions run 1..n; consecutive positions of an active track are implied promotions.
track_steps = keyed_table(
    "track_steps",
    ("track_id", "position"),
    *reference("track_id", "tracks", ondelete="CASCADE"),
    Column("position", Integer, nullable=False),
    *reference("role_id", "roles"),
    UniqueConstraint("org_id", "track_id", "role_id"),
    Index("ix_track_steps_role", "org_id", "role_id"),
)

# Explicit moves only; see the module docstring for the implied promotions.
role_transitions = tenant_table(
    "role_transitions",
    *reference("from_role_id", "roles"),
    *reference("to_role_id", "roles"),
    Column("kind", Text, nullable=False),
    Column("note", Text),
    *_aggregate(),
    UniqueConstraint("org_id", "from_role_id", "to_role_id"),
    Index("ix_role_transitions_to", "org_id", "to_role_id"),
)
