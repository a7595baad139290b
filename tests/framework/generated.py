"""A generated framework of any size, for performance tests and benchmarks."""

from __future__ import annotations

from typing import Any

LEVELS = 6


def generated_framework(
    roles: int = 300, competencies: int = 60, per_role: int = 6
) -> dict[str, Any]:
    """A framework document with ``roles`` roles over families of 30 and ``competencies``
    competencies on one 5-step scale. In each family every run of 6 roles (one per level)
    is a track, alternately IC and management; consecutive tracks are linked by a lateral
    move at the third level; every role expects ``per_role`` competencies, 5 of them core."""
    families = max(1, roles // 30)
    doc: dict[str, Any] = {
        "version": 1,
        "scales": [
            {
                "key": "proficiency",
                "name": "Proficiency",
                "levels": [{"value": i, "name": f"Step {i}"} for i in range(1, 6)],
            }
        ],
        "levels": [{"key": f"l{i}", "name": f"Level {i}", "rank": i} for i in range(1, LEVELS + 1)],
        "jobFamilies": [{"key": f"f{f}", "name": f"Family {f}"} for f in range(families)],
        "competencies": [
            {
                "key": f"c{c}",
                "name": f"Competency {c}",
                "category": f"Category {c % 6}",
                "scale": "proficiency",
                "descriptors": [
                    {"level": lv, "description": f"Competency {c} at step {lv}."}
                    for lv in range(1, 6)
                ],
            }
            for c in range(competencies)
        ],
        "roles": [],
        "tracks": [],
        "transitions": [],
    }
    for r in range(roles):
        family, rung = r % families, (r // families) % LEVELS
        doc["roles"].append(
            {
                "key": f"r{r}",
                "family": f"f{family}",
                "level": f"l{rung + 1}",
                "title": f"Role {r}",
                "payBand": {
                    "min": 1000 * r,
                    "mid": 1000 * r + 500,
                    "max": 1000 * r + 900,
                    "currency": "EUR",
                },
                "expectations": [
                    {
                        "competency": f"c{(r + k * 7) % competencies}",
                        "requiredLevel": min(5, rung + 1 if k % 2 else max(1, rung)),
                        "core": k < 5,
                    }
                    for k in range(per_role)
                ],
            }
        )
    # Ladders: in each family, consecutive roles at increasing levels form a track.
    by_family: dict[int, list[int]] = {}
    for r in range(roles):
        by_family.setdefault(r % families, []).append(r)
    for family, members in by_family.items():
        for t in range(0, len(members) - LEVELS + 1, LEVELS):
            ladder = members[t : t + LEVELS]
            doc["tracks"].append(
                {
                    "key": f"t{family}-{t // LEVELS}",
                    "family": f"f{family}",
                    "name": f"Track {family}.{t // LEVELS}",
                    "kind": "IC" if t // LEVELS % 2 == 0 else "MANAGEMENT",
                    "roles": [f"r{m}" for m in ladder],
                }
            )
            if t:
                # a lateral move from the previous ladder's rung 3 to this one's rung 3
                doc["transitions"].append(
                    {
                        "kind": "LATERAL",
                        "fromRole": f"r{members[t - LEVELS + 2]}",
                        "toRole": f"r{ladder[2]}",
                    }
                )
    return doc
