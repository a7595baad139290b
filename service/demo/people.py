"""The demo organization's people: an org tree of 8 units and about 60 employees.

Deterministic: the same names, managers and dates every time. Role keys refer to
``service/demo/framework.yaml``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoUnit:
    key: str
    name: str
    parent: str | None


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    role: str | None
    unit: str
    manager: str | None
    title: str
    hired: dt.date
    location: str


UNITS = [
    DemoUnit("company", "Northwind Labs", None),
    DemoUnit("marketing", "Marketing", "company"),
    DemoUnit("engineering", "Engineering", "company"),
    DemoUnit("platform", "Platform Engineering", "engineering"),
    DemoUnit("apps", "Application Engineering", "engineering"),
    DemoUnit("customer-success", "Customer Success", "company"),
    DemoUnit("product", "Product", "company"),
    DemoUnit("people", "People & Talent", "company"),
]

LOCATIONS = ["Berlin", "Lisbon", "London", "Remote (EU)", "Toronto", "Austin"]

# (key, name, role key, unit, manager key); titles follow the role.
_PEOPLE: list[tuple[str, str, str | None, str, str | None]] = [
    ("ceo", "Helena Marsh", None, "company", None),
    ("hr-director", "Priya Raman", None, "people", "ceo"),
    ("hr-partner", "Tomasz Nowak", None, "people", "hr-director"),
    # Marketing
    ("cmo", "Dana Whitfield", "chief-marketing-officer", "marketing", "ceo"),
    ("mkt-director", "Olivier Laurent", "director-of-marketing", "marketing", "cmo"),
    ("mkt-manager", "Grace Okafor", "marketing-manager", "marketing", "mkt-director"),
    ("mkt-senior-manager", "Lucas Brandt", "senior-marketing-manager", "marketing", "mkt-director"),
    (
        "mkt-principal",
        "Sofia Castellanos",
        "principal-marketing-specialist",
        "marketing",
        "mkt-director",
    ),
    ("mkt-senior-1", "Jonas Albrecht", "senior-marketing-specialist", "marketing", "mkt-manager"),
    ("mkt-specialist-1", "Amara Nwosu", "marketing-specialist", "marketing", "mkt-manager"),
    ("mkt-specialist-2", "Ethan Rowe", "marketing-specialist", "marketing", "mkt-manager"),
    ("mkt-coordinator-1", "Mei Tanaka", "marketing-coordinator", "marketing", "mkt-manager"),
    (
        "mkt-coordinator-2",
        "Rafael Moreno",
        "marketing-coordinator",
        "marketing",
        "mkt-senior-manager",
    ),
    (
        "mkt-specialist-3",
        "Ingrid Solberg",
        "marketing-specialist",
        "marketing",
        "mkt-senior-manager",
    ),
    (
        "mkt-senior-2",
        "Kwame Mensah",
        "senior-marketing-specialist",
        "marketing",
        "mkt-senior-manager",
    ),
    # Engineering
    ("eng-director", "Marcus Feld", "director-of-engineering", "engineering", "ceo"),
    (
        "eng-senior-manager",
        "Aisha Karim",
        "senior-engineering-manager",
        "engineering",
        "eng-director",
    ),
    ("eng-principal", "Viktor Petrov", "principal-engineer", "engineering", "eng-director"),
    ("platform-manager", "Nora Lindqvist", "engineering-manager", "platform", "eng-senior-manager"),
    ("platform-staff", "Daniel Cho", "staff-engineer", "platform", "platform-manager"),
    (
        "platform-senior-1",
        "Fatima Zahra",
        "senior-software-engineer",
        "platform",
        "platform-manager",
    ),
    (
        "platform-senior-2",
        "Liam O'Connor",
        "senior-software-engineer",
        "platform",
        "platform-manager",
    ),
    ("platform-swe-1", "Chiara Bianchi", "software-engineer", "platform", "platform-manager"),
    ("platform-swe-2", "Samuel Adeyemi", "software-engineer", "platform", "platform-manager"),
    (
        "platform-associate",
        "Yuki Sato",
        "associate-software-engineer",
        "platform",
        "platform-manager",
    ),
    ("apps-manager", "Hannah Becker", "engineering-manager", "apps", "eng-senior-manager"),
    ("apps-senior-1", "Mateo Rossi", "senior-software-engineer", "apps", "apps-manager"),
    ("apps-senior-2", "Zainab Hussain", "senior-software-engineer", "apps", "apps-manager"),
    ("apps-swe-1", "Oskar Nilsson", "software-engineer", "apps", "apps-manager"),
    ("apps-swe-2", "Leila Haddad", "software-engineer", "apps", "apps-manager"),
    ("apps-swe-3", "Ben Carter", "software-engineer", "apps", "apps-manager"),
    ("apps-associate-1", "Ana Ferreira", "associate-software-engineer", "apps", "apps-manager"),
    ("apps-associate-2", "Tariq Aziz", "associate-software-engineer", "apps", "apps-manager"),
    ("apps-staff", "Elena Popescu", "staff-engineer", "apps", "apps-manager"),
    # Customer Success
    ("cs-director", "Rachel Goldberg", "director-of-customer-success", "customer-success", "ceo"),
    (
        "cs-manager-1",
        "Diego Alvarez",
        "customer-success-manager",
        "customer-success",
        "cs-director",
    ),
    (
        "cs-manager-2",
        "Signe Andersen",
        "customer-success-manager",
        "customer-success",
        "cs-director",
    ),
    (
        "cs-enterprise",
        "Kofi Boateng",
        "enterprise-customer-success-manager",
        "customer-success",
        "cs-manager-1",
    ),
    (
        "cs-senior-1",
        "Laura Schmidt",
        "senior-customer-success-manager",
        "customer-success",
        "cs-manager-1",
    ),
    (
        "cs-specialist-1",
        "Arjun Mehta",
        "customer-success-specialist",
        "customer-success",
        "cs-manager-1",
    ),
    (
        "cs-specialist-2",
        "Camille Dubois",
        "customer-success-specialist",
        "customer-success",
        "cs-manager-1",
    ),
    (
        "cs-rep-1",
        "Noah Fischer",
        "customer-support-representative",
        "customer-success",
        "cs-manager-1",
    ),
    (
        "cs-rep-2",
        "Isabela Costa",
        "customer-support-representative",
        "customer-success",
        "cs-manager-2",
    ),
    (
        "cs-rep-3",
        "Emil Jansen",
        "customer-support-representative",
        "customer-success",
        "cs-manager-2",
    ),
    ("cs-analyst-1", "Hana Kim", "customer-success-analyst", "customer-success", "cs-manager-2"),
    (
        "cs-analyst-2",
        "Patrick Byrne",
        "customer-success-analyst",
        "customer-success",
        "cs-manager-2",
    ),
    (
        "cs-senior-2",
        "Olga Ivanova",
        "senior-customer-success-manager",
        "customer-success",
        "cs-manager-2",
    ),
    # Product
    ("product-principal", "Julian Weber", "principal-product-manager", "product", "ceo"),
    ("product-senior", "Nadia Rahman", "senior-product-manager", "product", "product-principal"),
    ("product-pm-1", "Thomas Keller", "product-manager", "product", "product-principal"),
    ("product-pm-2", "Lucia Romero", "product-manager", "product", "product-principal"),
    ("product-apm-1", "Ravi Shankar", "associate-product-manager", "product", "product-senior"),
    ("product-apm-2", "Emma Larsen", "associate-product-manager", "product", "product-senior"),
    # More engineering and marketing so teams have a realistic spread
    ("platform-swe-3", "Pedro Santos", "software-engineer", "platform", "platform-manager"),
    ("apps-swe-4", "Aylin Demir", "software-engineer", "apps", "apps-manager"),
    ("mkt-coordinator-3", "Freya Holm", "marketing-coordinator", "marketing", "mkt-senior-manager"),
    (
        "cs-specialist-3",
        "Omar Farouk",
        "customer-success-specialist",
        "customer-success",
        "cs-manager-2",
    ),
    (
        "platform-senior-3",
        "Sara Lindholm",
        "senior-software-engineer",
        "platform",
        "platform-manager",
    ),
    ("apps-senior-3", "Kenji Watanabe", "senior-software-engineer", "apps", "apps-manager"),
    ("mkt-specialist-4", "Beatriz Lima", "marketing-specialist", "marketing", "mkt-manager"),
]

# Titles of people whose jobs the demo framework does not model (they have no role).
_TITLE_OVERRIDES = {
    "ceo": "Chief Executive Officer",
    "hr-director": "Director of People",
    "hr-partner": "People Partner",
}


def _title(key: str, role: str | None) -> str:
    if role is None:
        return _TITLE_OVERRIDES[key]
    return " ".join(w if w in ("of",) else w.capitalize() for w in role.split("-"))


def people() -> list[DemoPerson]:
    """The demo employees, managers before their reports."""
    base = dt.date(2016, 3, 1)
    out = []
    for i, (key, name, role, unit, manager) in enumerate(_PEOPLE):
        # Spread hire dates over ten years, seniors earlier: deterministic, plausible.
        hired = base + dt.timedelta(days=(i * 53) % 3400)
        out.append(
            DemoPerson(
                key,
                name,
                role,
                unit,
                manager,
                _title(key, role),
                hired,
                LOCATIONS[i % len(LOCATIONS)],
            )
        )
    return out


# The personas `serve --demo` prints tokens for.
PERSONAS = {
    "employee": ("platform-swe-1", "career:employee"),
    "manager": ("platform-manager", "career:employee career:manager"),
    "admin": ("hr-director", "career:employee career:admin"),
}
