"""Convert the Financial Times engineering competencies into a careerpath framework document.

Usage::

    uv run python scripts/ft_engineering_to_careerpath.py path/to/engineering.yml > ft.yaml

The FT file (MIT licence, Copyright (c) 2019 Financial Times) has ``levels`` (8 job levels),
``themes`` (9 competency areas) and ``competencies`` (one row per level and theme: a summary of
what is expected and a named proficiency). The mapping:

- one job family, ``engineering``;
- each FT level becomes a **role** with the same key. The IC and people-manager variants of a
  level (``senior-2-ic``/``senior-2-pm``, ``principal-ic``/``principal-pm``) share one
  **level** (``senior-2``, ``principal``), because the FT treats them as the same seniority
  on two paths. That gives 6 levels ranked in file order for 8 roles;
- each theme becomes a **competency** (its summary is the description);
- the FT names its proficiency with five words used in every row: Awareness, Foundational,
  Working knowledge, Practitioner, Expert. They become one 5-step **scale** in that order;
- each row becomes an **expectation** of its role: the required level is the row's
  proficiency and the row's summary is the expectation's **note**. The summaries describe a
  job level, not a proficiency step (junior and engineer both require "Foundational" in
  Technical with different text), so they cannot serve as per-level descriptors, and the
  competencies carry no descriptors. All nine are core: the FT rates every theme at
  every level;
- two **tracks**: IC (junior → engineer → senior-1 → senior-2-ic → principal-ic) and
  MANAGEMENT (junior → engineer → senior-1 → senior-2-pm → principal-pm → tech-director).
  Levels before the first IC/PM split sit on both; levels after it without a suffix (the
  Technology Director) lead people and sit on the management track;
- LATERAL **transitions** both ways between the IC and people-manager role of each shared
  level, since moving between the paths at the same seniority is the point of a dual track.

The output carries the FT copyright and licence in the document's ``notice``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# The FT file's proficiency words, lowest first.
FT_PROFICIENCY = ["Awareness", "Foundational", "Working knowledge", "Practitioner", "Expert"]
SCALE_DESCRIPTIONS = {
    "Awareness": "Knows the area and its practices; applies them with guidance.",
    "Foundational": "Applies the basics reliably in their own work.",
    "Working knowledge": "Applies the area independently in varied situations.",
    "Practitioner": "Applies it in depth, including in complex situations, and guides others.",
    "Expert": "A recognised authority who shapes practice across the organization.",
}
IC_SUFFIX, PM_SUFFIX = "-ic", "-pm"
NOTICE = (
    "Adapted from the Financial Times engineering competencies. "
    "Copyright (c) 2019 Financial Times. Used under the MIT License."
)
FAMILY = "engineering"
SCALE = "ft-proficiency"


def _text(value: Any) -> str:
    """Tidy FT text: keep line structure (numbered lists), drop blank lines and padding."""
    lines = [line.strip() for line in str(value).replace("\u200b", "").splitlines()]
    return "\n".join(line for line in lines if line)


def _paragraph(value: Any) -> str:
    """Theme summaries are one paragraph hard-wrapped in the source: unwrap them."""
    return " ".join(str(value).split())


def _base(level_id: str) -> tuple[str, str | None]:
    """("senior-2-ic") -> ("senior-2", "ic"); ("junior") -> ("junior", None)."""
    for suffix in (IC_SUFFIX, PM_SUFFIX):
        if level_id.endswith(suffix):
            return level_id.removesuffix(suffix), suffix[1:]
    return level_id, None


def _level_name(name: str) -> str:
    for variant in (" (Individual Contributor)", " (People Manager)"):
        name = name.removesuffix(variant)
    return name


def convert(ft: dict[str, Any], *, license_text: str | None = None) -> dict[str, Any]:
    """The FT competencies file (decoded YAML) as a framework document mapping.

    ``license_text`` (the FT LICENSE file) is appended to the notice when given.
    """
    levels: dict[str, dict[str, Any]] = {}
    roles: list[dict[str, Any]] = []
    ic_track: list[str] = []
    management_track: list[str] = []
    split_seen = False
    for entry in ft["levels"]:
        role_key = entry["id"]
        level_key, path = _base(role_key)
        if level_key not in levels:
            levels[level_key] = {
                "key": level_key,
                "name": _level_name(entry["name"]),
                "rank": len(levels) + 1,
            }
        roles.append(
            {
                "key": role_key,
                "family": FAMILY,
                "level": level_key,
                "title": entry["name"],
                "expectations": [],
            }
        )
        split_seen = split_seen or path is not None
        if path == "ic" or not split_seen:
            ic_track.append(role_key)
        if path == "pm" or path is None:
            management_track.append(role_key)

    role_by_key = {role["key"]: role for role in roles}
    for row in ft["competencies"]:
        proficiency = row["proficiency"]
        if proficiency not in FT_PROFICIENCY:
            raise ValueError(f"unknown FT proficiency {proficiency!r} in row {row['id']}")
        role_by_key[row["level"]]["expectations"].append(
            {
                "competency": row["theme"],
                "requiredLevel": FT_PROFICIENCY.index(proficiency) + 1,
                "core": True,
                "note": _text(row["summary"]),
            }
        )

    # LATERAL moves between the IC and people-manager roles of each shared level.
    transitions = []
    for level_key in levels:
        ic, pm = level_key + IC_SUFFIX, level_key + PM_SUFFIX
        if ic in role_by_key and pm in role_by_key:
            transitions += [
                {
                    "kind": "LATERAL",
                    "fromRole": ic,
                    "toRole": pm,
                    "note": "Move to the people-manager path.",
                },
                {
                    "kind": "LATERAL",
                    "fromRole": pm,
                    "toRole": ic,
                    "note": "Move to the individual-contributor path.",
                },
            ]

    notice = NOTICE + ("\n\n" + license_text.strip() if license_text else "")
    return {
        "version": 1,
        "notice": notice,
        "scales": [
            {
                "key": SCALE,
                "name": "FT proficiency",
                "levels": [
                    {"value": i + 1, "name": name, "description": SCALE_DESCRIPTIONS[name]}
                    for i, name in enumerate(FT_PROFICIENCY)
                ],
            }
        ],
        "levels": list(levels.values()),
        "jobFamilies": [
            {
                "key": FAMILY,
                "name": ft.get("name", "Engineering"),
                "description": _paragraph(ft["summary"]),
            }
        ],
        "competencies": [
            {
                "key": theme["id"],
                "name": theme["name"],
                "category": "Engineering",
                "description": _paragraph(theme["summary"]),
                "scale": SCALE,
            }
            for theme in ft["themes"]
        ],
        "roles": roles,
        "tracks": [
            {
                "key": "engineering-ic",
                "family": FAMILY,
                "name": "Individual contributor",
                "kind": "IC",
                "roles": ic_track,
            },
            {
                "key": "engineering-management",
                "family": FAMILY,
                "name": "People manager",
                "kind": "MANAGEMENT",
                "roles": management_track,
            },
        ],
        "transitions": transitions,
    }


def main(argv: list[str]) -> int:
    import yaml

    from service.framework.document import DocumentError, dump_document, parse_document

    if len(argv) != 2:
        print(f"usage: {argv[0]} path/to/engineering.yml", file=sys.stderr)
        return 2
    path = Path(argv[1])
    license_file = path.parent / "LICENSE"
    license_text = license_file.read_text(encoding="utf-8") if license_file.exists() else None
    ft = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        doc = parse_document(convert(ft, license_text=license_text))
    except DocumentError as exc:
        print(exc, file=sys.stderr)
        return 1
    sys.stdout.write(dump_document(doc, "yaml"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
