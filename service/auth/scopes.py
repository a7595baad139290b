"""The OAuth 2.0 scopes careerpath understands."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """A careerpath scope. A scope is necessary, never sufficient: policy still applies."""

    EMPLOYEE = "career:employee"
    MANAGER = "career:manager"
    ADMIN = "career:admin"
    HRIS = "career:hris"
    WEBHOOKS = "career:webhooks"

    @property
    def description(self) -> str:
        """One line for docs and the discovery document."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: dict[Scope, str] = {
    Scope.EMPLOYEE: "Your own profile, assessments, gaps, plans and applications; "
    "the published framework and open postings.",
    Scope.MANAGER: "Everything an employee sees, plus the people below you in the org chart.",
    Scope.ADMIN: "Everything in the organization: framework editing, cycles, approvals, "
    "analytics and audit.",
    Scope.HRIS: "Bulk sync of org units and employees; read roles, levels and promotions.",
    Scope.WEBHOOKS: "Manage webhook endpoints and read their deliveries.",
}

#: Every scope, in a stable order.
ALL_SCOPES: tuple[Scope, ...] = tuple(Scope)
