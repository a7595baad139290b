"""Who is calling: the organization, the employee (or service account) and the scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class ActorType(StrEnum):
    EMPLOYEE = "EMPLOYEE"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    org_id: uuid.UUID
    subject: str
    scopes: frozenset[str]
    actor_type: ActorType
    employee_id: uuid.UUID | None = None
    service_account_id: uuid.UUID | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def actor_id(self) -> uuid.UUID | None:
        return self.employee_id or self.service_account_id


def system_principal(org_id: uuid.UUID, scopes: frozenset[str] | None = None) -> Principal:
    """careerpath itself (CLI, demo loader, scheduled jobs) acting as an HR admin."""
    return Principal(
        org_id=org_id,
        subject="system",
        scopes=scopes or frozenset({"career:admin"}),
        actor_type=ActorType.SYSTEM,
    )
