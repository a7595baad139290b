"""Settings of a domain written through the kit's ``write_settings``: the organization's row
is made on the first change, each change is one version up, and the audit log tells each
change from and to; a value already set writes nothing."""

from __future__ import annotations

import json
from typing import Any

from service.mobility import service as mobility
from service.people import service as people
from service.promotions import service as promotions
from tests.conftest import Org
from tests.race import audit_changes


def _sorted(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit changes in a stable order (``audit_changes`` has none)."""
    return sorted(changes, key=lambda c: json.dumps(c, sort_keys=True))


async def test_mobility_settings_are_made_changed_and_audited(team: Org) -> None:
    first = await team.run(mobility.update_settings, "INTERVIEWING", expected_version=0)
    assert (first.confidential_until, first.version) == ("INTERVIEWING", 1)
    second = await team.run(mobility.update_settings, "ACCEPTED", expected_version=1)
    assert (second.confidential_until, second.version) == ("ACCEPTED", 2)
    same = await team.run(mobility.update_settings, "ACCEPTED")
    assert same.version == 2
    assert _sorted(await audit_changes(team, "mobility_settings.update")) == _sorted(
        [
            {"confidential_until": {"from": "OFFERED", "to": "INTERVIEWING"}},
            {"confidential_until": {"from": "INTERVIEWING", "to": "ACCEPTED"}},
        ]
    )


async def test_promotion_settings_keep_the_setting_not_changed(team: Org) -> None:
    first = await team.run(
        promotions.update_settings,
        promotions.SettingsInput(require_second_approver=True),
        expected_version=0,
    )
    assert (first.require_second_approver, first.show_open_cases_to_employee) == (True, False)
    second = await team.run(
        promotions.update_settings,
        promotions.SettingsInput(show_open_cases_to_employee=True),
        expected_version=1,
    )
    assert (second.require_second_approver, second.show_open_cases_to_employee) == (True, True)
    assert second.version == 2
    same = await team.run(
        promotions.update_settings, promotions.SettingsInput(require_second_approver=True)
    )
    assert same.version == 2
    assert _sorted(await audit_changes(team, "promotion_settings.update")) == _sorted(
        [
            {"require_second_approver": {"from": False, "to": True}},
            {"show_open_cases_to_employee": {"from": False, "to": True}},
        ]
    )


async def test_people_settings_are_changed_and_audited(team: Org) -> None:
    start = await team.run(people.update_people_settings, directory_visible=True)
    logged = await audit_changes(team, "people_settings.update")
    closed = await team.run(people.update_people_settings, directory_visible=False)
    assert (closed.directory_visible, closed.version) == (False, start.version + 1)
    again = await team.run(people.update_people_settings, directory_visible=False)
    assert again.version == start.version + 1
    opened = await team.run(people.update_people_settings, directory_visible=True)
    assert (opened.directory_visible, opened.version) == (True, start.version + 2)
    after = await audit_changes(team, "people_settings.update")
    assert len(after) == len(logged) + 2
    assert _sorted([c for c in after if c not in logged]) == _sorted(
        [
            {"directory_visible": {"from": True, "to": False}},
            {"directory_visible": {"from": False, "to": True}},
        ]
    )
