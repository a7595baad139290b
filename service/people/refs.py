"""People's GraphQL types as the other domains' types name them.

People's types refer to the other domains' types (an employee's role, applications, gap
analysis), so those name ``Employee`` and ``OrgUnit`` back lazily: ``service.people.types``
is loaded when the schema is built, not when these modules are imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from service.people.types import Employee, OrgUnit

PEOPLE_TYPES = "service.people.types"
EmployeeRef = Annotated["Employee", strawberry.lazy(PEOPLE_TYPES)]
OrgUnitRef = Annotated["OrgUnit", strawberry.lazy(PEOPLE_TYPES)]
