"""The framework document format: parsing, validation messages, canonical dumps, schema."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from service.framework.document import (
    DocumentError,
    FrameworkDocument,
    Problem,
    canonicalize,
    dump_document,
    implied_promotions,
    json_schema,
    json_schema_text,
    parse_document,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "service" / "demo" / "framework.yaml"
SCHEMA = ROOT / "docs" / "framework.schema.json"
REGENERATE = "uv run python -m service.framework.document > docs/framework.schema.json"


def minimal() -> dict[str, Any]:
    """A small valid document; tests copy it and break one thing."""
    return {
        "version": 1,
        "scales": [
            {
                "key": "proficiency",
                "name": "Proficiency",
                "levels": [
                    {"value": 1, "name": "Awareness"},
                    {"value": 2, "name": "Developing"},
                    {"value": 3, "name": "Proficient"},
                ],
            }
        ],
        "levels": [
            {"key": "junior", "name": "Junior", "rank": 1},
            {"key": "senior", "name": "Senior", "rank": 2},
        ],
        "jobFamilies": [
            {"key": "engineering", "name": "Engineering"},
            {"key": "product", "name": "Product"},
        ],
        "competencies": [
            {
                "key": "strategic-thinking",
                "name": "Strategic thinking",
                "scale": "proficiency",
                "descriptors": [
                    {"level": 1, "description": "Knows the team's goals."},
                    {"level": 2, "description": "Links work to department goals."},
                ],
            },
            {"key": "collaboration", "name": "Collaboration", "scale": "proficiency"},
        ],
        "roles": [
            {
                "key": "engineer",
                "family": "engineering",
                "level": "junior",
                "title": "Engineer",
                "expectations": [{"competency": "strategic-thinking", "requiredLevel": 1}],
            },
            {
                "key": "senior-engineer",
                "family": "engineering",
                "level": "senior",
                "title": "Senior Engineer",
                "payBand": {"min": 100, "mid": 150, "max": 200, "currency": "USD"},
                "expectations": [
                    {"competency": "strategic-thinking", "requiredLevel": 2},
                    {"competency": "collaboration", "requiredLevel": 3, "weight": 2, "core": False},
                ],
            },
            {"key": "product-manager", "family": "product", "level": "senior", "title": "PM"},
        ],
        "tracks": [
            {
                "key": "engineering-ic",
                "family": "engineering",
                "name": "Engineering IC",
                "kind": "IC",
                "roles": ["engineer", "senior-engineer"],
            }
        ],
        "transitions": [
            {"kind": "LATERAL", "fromRole": "senior-engineer", "toRole": "product-manager"}
        ],
    }


def problems(data: Any, fmt: str | None = None) -> list[tuple[str, str]]:
    with pytest.raises(DocumentError) as info:
        parse_document(data, fmt=fmt)  # type: ignore[arg-type]
    return [tuple(p) for p in info.value.problems]  # type: ignore[misc]


# --------------------------------------------------------------------------- valid input


def test_minimal_document_parses_into_models() -> None:
    doc = parse_document(minimal())
    senior = doc.roles[1]
    assert senior.pay_band is not None
    assert senior.pay_band.mid == 150
    assert senior.expectations[1].weight == 2.0
    assert senior.expectations[1].core is False
    assert doc.roles[0].expectations[0].weight == 1.0  # default
    assert doc.roles[0].expectations[0].core is True  # default
    assert doc.transitions[0].from_role == "senior-engineer"
    assert implied_promotions(doc) == [("engineer", "senior-engineer", "engineering-ic")]


def test_yaml_json_bytes_and_dict_inputs_are_equivalent() -> None:
    data = minimal()
    as_json = json.dumps(data)
    as_yaml = dump_document(parse_document(data), "yaml")
    expected = parse_document(data)
    assert parse_document(as_json, fmt="json") == expected
    assert parse_document(as_json) == expected  # detected as JSON
    assert parse_document(as_json, fmt="yaml") == expected  # YAML reads JSON too
    # The YAML text is a canonical dump: same content, entities sorted by key.
    assert parse_document(as_yaml, fmt="yaml") == canonicalize(expected)
    assert parse_document(as_yaml) == canonicalize(expected)
    assert parse_document(as_yaml.encode("utf-8")) == canonicalize(expected)
    assert parse_document(b"\xef\xbb\xbf" + as_json.encode()) == expected  # BOM


def test_surrounding_whitespace_in_strings_is_dropped() -> None:
    data = minimal()
    data["roles"][0]["title"] = "  Engineer \n"
    assert parse_document(data).roles[0].title == "Engineer"


# --------------------------------------------------------------------------- shape errors


def test_unknown_field_is_reported_with_a_suggestion() -> None:
    data = minimal()
    data["roles"][1]["expecations"] = data["roles"][1].pop("expectations")
    assert problems(data) == [
        ("roles[1].expecations", 'unknown field "expecations" (did you mean "expectations"?)')
    ]


def test_snake_case_field_names_are_not_accepted_in_documents() -> None:
    data = minimal()
    data["job_families"] = data.pop("jobFamilies")
    assert problems(data) == [
        ("job_families", 'unknown field "job_families" (did you mean "jobFamilies"?)')
    ]


def test_missing_field_and_wrong_types() -> None:
    data = minimal()
    del data["roles"][0]["title"]
    data["levels"][0]["rank"] = "1"  # strings are not numbers
    data["roles"][1]["expectations"][0]["core"] = "yes"
    assert problems(data) == [
        ("levels[0].rank", "input should be a valid integer"),
        ("roles[0].title", "required field is missing"),
        ("roles[1].expectations[0].core", "input should be a valid boolean"),
    ]


def test_keys_must_be_slugs_of_at_most_64_characters() -> None:
    data = minimal()
    data["jobFamilies"].append({"key": "Engineering Team", "name": "Engineering team"})
    data["jobFamilies"].append({"key": "p" * 65, "name": "Long"})
    assert problems(data) == [
        (
            "jobFamilies[2].key",
            '"Engineering Team" is not a valid key: use lowercase letters, digits and single '
            'hyphens, e.g. "senior-engineer"',
        ),
        ("jobFamilies[3].key", "string should have at most 64 characters"),
    ]


def test_version_currency_kind_and_weight_are_checked() -> None:
    data = minimal()
    data["version"] = 2
    data["roles"][1]["payBand"]["currency"] = "usd"
    data["tracks"][0]["kind"] = "LADDER"
    data["roles"][1]["expectations"][1]["weight"] = 0
    assert problems(data) == [
        ("version", "unsupported version 2; expected 1"),
        ("roles[1].payBand.currency", '"usd" is not a three-letter currency code like "USD"'),
        ("roles[1].expectations[1].weight", "input should be greater than 0"),
        ("tracks[0].kind", "input should be 'IC', 'MANAGEMENT' or 'OTHER'"),
    ]


def test_lists_and_strings_have_maximum_sizes() -> None:
    data = minimal()
    role = data["roles"][2]
    data["roles"] = [dict(role, key=f"role-{i}") for i in range(2001)]
    data["tracks"] = []
    data["transitions"] = []
    data["competencies"][0]["descriptors"][0]["description"] = "x" * 2001
    assert problems(data) == [
        (
            "competencies[0].descriptors[0].description",
            "string should have at most 2000 characters",
        ),
        ("roles", "list should have at most 2000 items after validation, not 2001"),
    ]


def test_track_needs_at_least_one_role_and_scale_two_levels() -> None:
    data = minimal()
    data["tracks"][0]["roles"] = []
    data["scales"][0]["levels"] = data["scales"][0]["levels"][:1]
    assert problems(data) == [
        ("scales[0].levels", "list should have at least 2 items after validation, not 1"),
        ("tracks[0].roles", "list should have at least 1 item after validation, not 0"),
    ]


# --------------------------------------------------------------------------- cross-references


@pytest.mark.parametrize(
    ("section", "label"),
    [
        ("scales", "scale"),
        ("levels", "level"),
        ("jobFamilies", "job family"),
        ("competencies", "competency"),
        ("roles", "role"),
        ("tracks", "track"),
    ],
)
def test_duplicate_keys_per_entity_type(section: str, label: str) -> None:
    data = minimal()
    twin = copy.deepcopy(data[section][0])
    if section == "levels":
        twin["rank"] = 99  # only the key repeats
    data[section].append(twin)
    index = len(data[section]) - 1
    key = twin["key"]
    assert problems(data) == [
        (f"{section}[{index}].key", f'duplicate {label} key "{key}" (also {section}[0])')
    ]


def test_same_key_in_different_entity_types_is_fine() -> None:
    data = minimal()
    data["levels"][1]["key"] = "senior-engineer"  # also a role key
    for role in data["roles"]:
        if role["level"] == "senior":
            role["level"] = "senior-engineer"
    doc = parse_document(data)
    assert "senior-engineer" in {level.key for level in doc.levels}
    assert "senior-engineer" in {role.key for role in doc.roles}
    assert {r.key: r.level for r in doc.roles}["senior-engineer"] == "senior-engineer"


def test_unknown_references() -> None:
    data = minimal()
    data["competencies"][1]["scale"] = "stars"
    data["roles"][0]["family"] = "enginering"
    data["roles"][0]["level"] = "mid"
    data["roles"][1]["expectations"][0]["competency"] = "strategic-thinkng"
    data["tracks"][0]["family"] = "sales"
    data["tracks"][0]["roles"].append("staff-engineer")
    data["transitions"][0]["toRole"] = "product-manger"
    assert problems(data) == [
        ("competencies[1].scale", 'unknown scale key "stars"'),
        ("roles[0].family", 'unknown job family key "enginering" (did you mean "engineering"?)'),
        ("roles[0].level", 'unknown level key "mid"'),
        (
            "roles[1].expectations[0].competency",
            'unknown competency key "strategic-thinkng" (did you mean "strategic-thinking"?)',
        ),
        ("tracks[0].family", 'unknown job family key "sales"'),
        (
            "tracks[0].roles[0]",
            'role "engineer" belongs to family "enginering", not the track\'s family "sales"',
        ),
        (
            "tracks[0].roles[1]",
            'role "senior-engineer" belongs to family "engineering", '
            'not the track\'s family "sales"',
        ),
        ("tracks[0].roles[2]", 'unknown role key "staff-engineer"'),
        (
            "transitions[0].toRole",
            'unknown role key "product-manger" (did you mean "product-manager"?)',
        ),
    ]


def test_required_level_outside_the_competency_scale() -> None:
    data = minimal()
    data["roles"][1]["expectations"][1]["requiredLevel"] = 4
    assert problems(data) == [
        (
            "roles[1].expectations[1].requiredLevel",
            'required level 4 is outside scale "proficiency" of competency "collaboration" (1..3)',
        )
    ]


def test_competency_expected_twice_on_one_role() -> None:
    data = minimal()
    data["roles"][1]["expectations"].append({"competency": "collaboration", "requiredLevel": 1})
    assert problems(data) == [
        (
            "roles[1].expectations[2].competency",
            'competency "collaboration" is already expected on this role '
            "(also roles[1].expectations[1])",
        )
    ]


def test_descriptor_levels_outside_the_scale_or_repeated() -> None:
    data = minimal()
    descriptors = data["competencies"][0]["descriptors"]
    descriptors.append({"level": 4, "description": "Beyond the scale."})
    descriptors.append({"level": 1, "description": "Again."})
    assert problems(data) == [
        ("competencies[0].descriptors[2].level", 'level 4 is outside scale "proficiency" (1..3)'),
        (
            "competencies[0].descriptors[3].level",
            "descriptor for level 1 is given twice (also competencies[0].descriptors[0])",
        ),
    ]


def test_scale_level_values_must_run_one_to_n_in_order() -> None:
    data = minimal()
    levels = data["scales"][0]["levels"]
    levels[1]["value"] = 3
    levels[2]["value"] = 2
    levels[2]["name"] = "Awareness"
    message = "level values must run 1, 2, 3, … in the order listed"
    assert problems(data) == [
        ("scales[0].levels[1].value", f"expected value 2, got 3: {message}"),
        ("scales[0].levels[2].value", f"expected value 3, got 2: {message}"),
        ("scales[0].levels[2].name", 'duplicate level name "Awareness" (also scales[0].levels[0])'),
    ]


def test_level_ranks_are_unique() -> None:
    data = minimal()
    data["levels"][1]["rank"] = 1
    assert problems(data) == [("levels[1].rank", 'rank 1 is already used by level "junior"')]


def test_pay_band_must_be_ordered() -> None:
    data = minimal()
    data["roles"][1]["payBand"]["mid"] = 250
    assert problems(data) == [
        ("roles[1].payBand", "pay band must have min ≤ mid ≤ max, got min 100, mid 250, max 200")
    ]


def test_role_repeated_within_a_track_is_a_cycle() -> None:
    data = minimal()
    data["tracks"][0]["roles"].append("engineer")
    assert problems(data) == [
        (
            "tracks[0].roles[2]",
            'role "engineer" appears twice in this track (also tracks[0].roles[0]); '
            "a track cannot loop back",
        )
    ]


def test_track_steps_and_promotions_must_not_go_down_in_level() -> None:
    data = minimal()
    data["tracks"][0]["roles"].reverse()
    data["transitions"].append(
        {"kind": "PROMOTION", "fromRole": "product-manager", "toRole": "engineer"}
    )
    assert problems(data) == [
        (
            "tracks[0].roles[1]",
            'track step goes down from "senior-engineer" (level "senior", rank 2) '
            'to "engineer" (level "junior", rank 1)',
        ),
        (
            "transitions[1].toRole",
            'promotion goes down from "product-manager" (level "senior", rank 2) '
            'to "engineer" (level "junior", rank 1)',
        ),
    ]


def test_lateral_move_may_go_down_in_level() -> None:
    data = minimal()
    data["transitions"].append(
        {"kind": "LATERAL", "fromRole": "product-manager", "toRole": "engineer"}
    )
    doc = parse_document(data)
    moves = [(t.kind, t.from_role, t.to_role) for t in doc.transitions]
    assert ("LATERAL", "product-manager", "engineer") in moves


def test_transition_to_itself_duplicated_or_implied_by_a_track() -> None:
    data = minimal()
    data["transitions"] += [
        {"kind": "LATERAL", "fromRole": "engineer", "toRole": "engineer"},
        {"kind": "PROMOTION", "fromRole": "senior-engineer", "toRole": "product-manager"},
        {"kind": "PROMOTION", "fromRole": "engineer", "toRole": "senior-engineer"},
    ]
    assert problems(data) == [
        ("transitions[1].toRole", 'transition from "engineer" to itself'),
        (
            "transitions[2]",
            'duplicate transition from "senior-engineer" to "product-manager" '
            "(also transitions[0])",
        ),
        (
            "transitions[3]",
            'transition from "engineer" to "senior-engineer" is already implied by track '
            '"engineering-ic"',
        ),
    ]


# --------------------------------------------------------------------------- all at once


def test_every_problem_is_reported_at_once_in_document_order() -> None:
    data = minimal()
    data["transitions"][0]["toRole"] = "senior-engineer"  # to itself
    data["roles"][1]["expectations"][0]["competency"] = "strategy"  # unknown
    data["roles"][0]["title"] = ""  # shape
    data["levels"].append({"key": "Staff", "name": "Staff", "rank": 3})  # shape
    data["tracks"][0]["roles"].append("engineer")  # cycle
    data["scales"][0]["levels"][2]["value"] = 5  # not contiguous
    assert problems(data) == [
        (
            "scales[0].levels[2].value",
            "expected value 3, got 5: level values must run 1, 2, 3, … in the order listed",
        ),
        (
            "levels[2].key",
            '"Staff" is not a valid key: use lowercase letters, digits and single hyphens, '
            'e.g. "senior-engineer"',
        ),
        ("roles[0].title", "string should have at least 1 character"),
        ("roles[1].expectations[0].competency", 'unknown competency key "strategy"'),
        (
            "tracks[0].roles[2]",
            'role "engineer" appears twice in this track (also tracks[0].roles[0]); '
            "a track cannot loop back",
        ),
        ("transitions[0].toRole", 'transition from "senior-engineer" to itself'),
    ]


def test_references_to_a_malformed_entry_are_not_reported_as_unknown() -> None:
    data = minimal()
    data["roles"][0]["payBand"] = {"min": 1}  # role "engineer" is malformed...
    # ...but the track that names it must not add 'unknown role key "engineer"'.
    assert problems(data) == [
        ("roles[0].payBand.mid", "required field is missing"),
        ("roles[0].payBand.max", "required field is missing"),
        ("roles[0].payBand.currency", "required field is missing"),
    ]


def test_an_unusable_section_does_not_cascade() -> None:
    data = minimal()
    data["roles"] = {"engineer": {}}
    assert problems(data) == [("roles", "input should be a valid list")]


def test_document_error_message_lists_every_problem() -> None:
    data = minimal()
    data["roles"][0]["level"] = "mid"
    data["tracks"][0]["kind"] = "ladder"
    with pytest.raises(DocumentError) as info:
        parse_document(data)
    assert info.value.problems[0] == Problem("roles[0].level", 'unknown level key "mid"')
    assert str(info.value) == (
        "invalid framework document (2 problems):\n"
        '  roles[0].level: unknown level key "mid"\n'
        "  tracks[0].kind: input should be 'IC', 'MANAGEMENT' or 'OTHER'"
    )


# --------------------------------------------------------------------------- text errors


def test_yaml_syntax_error_reports_line_and_column() -> None:
    text = "version: 1\nlevels:\n  - key: junior\n    name: [Junior\n    rank: 1\n"
    [(path, message)] = problems(text)
    assert path == ""
    assert message.startswith("invalid YAML at line 5, column 9: ")


def test_yaml_duplicate_mapping_key_is_an_error() -> None:
    text = "version: 1\nlevels:\n  - key: junior\n    name: Junior\n    rank: 1\n    rank: 2\n"
    assert problems(text) == [("", 'invalid YAML at line 6, column 5: duplicate key "rank"')]


def test_json_errors() -> None:
    assert problems('{"version": 1,}', fmt="json") == [
        ("", "invalid JSON at line 1, column 15: Expecting property name enclosed in double quotes")
    ]
    assert problems('{"version": 1, "version": 1}') == [
        ("", 'invalid JSON: duplicate key "version"')
    ]


def test_empty_non_mapping_and_non_utf8_documents() -> None:
    assert problems("") == [("", "document is empty")]
    assert problems("- 1\n- 2\n") == [("", "document must be a mapping at the top level, got list")]
    assert problems(b"version: \xff\n") == [("", "document is not valid UTF-8 (byte 9)")]


def test_yaml_alias_expansion_is_bounded() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    [(path, message)] = problems("\n".join(lines))
    assert (path, message) == ("", "document expands to more than 2000000 values")


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("version: 2024-02-30\n", None, "invalid YAML: a value that cannot be read"),
        ("version: 0000-01-01\n", None, "invalid YAML: a value that cannot be read"),
        ("version: 2024-01-01 25:00:00\n", None, "invalid YAML: a value that cannot be read"),
        ("? [a]\n: 1\n", None, "invalid YAML: a mapping key that is a list or a mapping"),
        ("version: " + "9" * 5000, None, "invalid YAML: an integer with too many digits"),
        ('{"version": ' + "9" * 5000 + "}", None, "invalid JSON: an integer with too many digits"),
        ("version: \ud800\n", None, "invalid YAML: text that is not valid Unicode"),
        ('{"version": NaN}', None, "invalid JSON: NaN is not a number JSON allows"),
        ('{"version": -Infinity}', "json", "invalid JSON: -Infinity is not a number JSON"),
        # Deep enough to overflow libyaml's C stack, which would end the process.
        ("[" * 200_000 + "]" * 200_000, "yaml", "invalid YAML: nested more than 100 levels"),
        ("[" * 200_000, "yaml", "invalid YAML: nested more than 100 levels"),
        ("".join("  " * i + "- \n" for i in range(300)), None, "invalid YAML: nested more"),
        ("[" * 200_000 + "]" * 200_000, "json", "invalid JSON: nested too deeply"),
        ("[" * 150 + "]" * 150, "json", "document is nested more than 100 levels deep"),
    ],
)
def test_values_python_cannot_hold_are_problems_not_crashes(
    text: str, fmt: str | None, expected: str
) -> None:
    [(path, message)] = problems(text, fmt)
    assert path == ""
    assert message.startswith(expected), message


def test_text_postgresql_cannot_store_is_refused_at_its_path() -> None:
    data = minimal()
    data["roles"][1]["title"] = "Senior\x00Engineer"
    data["levels"][0]["name"] = "Junior \ud800"
    data["jobFamilies"][0]["description"] = float("nan")
    text = json.dumps(data)  # \u0000 and \ud800 escapes, NaN
    assert problems(text.replace("NaN", "1")) == [
        ("levels[0].name", "contains an unpaired surrogate"),
        ("roles[1].title", "contains a NUL character"),
    ]
    assert problems(
        dump_document(parse_document(minimal()), "yaml").replace(
            "version: 1", "version: 1\nnote: !!float .nan"
        )
    )[0] == ("note", "is not a finite number")
    bad_key = minimal()
    bad_key["levels"][0]["na\x00me"] = "x"
    assert problems(json.dumps(bad_key)) == [
        ("levels[0].na\\x00me", "key contains a NUL character")
    ]


def test_brackets_and_indentation_in_text_are_not_nesting() -> None:
    data = minimal()
    data["roles"][0]["description"] = "[" * 60 + "\n" + "".join(" " * i + "x\n" for i in range(60))
    for fmt in ("yaml", "json"):
        text = dump_document(parse_document(data), fmt)
        assert parse_document(text).roles


# --------------------------------------------------------------------------- canonical dumps


def test_dump_is_canonical_regardless_of_input_order() -> None:
    data = minimal()
    shuffled = copy.deepcopy(data)
    for section in ("levels", "jobFamilies", "competencies", "roles"):
        shuffled[section].reverse()
    shuffled["roles"][1]["expectations"].reverse()
    shuffled["competencies"][1]["descriptors"].reverse()
    for fmt in ("yaml", "json"):
        assert dump_document(parse_document(shuffled), fmt) == dump_document(
            parse_document(data), fmt
        )


def test_canonical_order_keeps_track_steps_and_scale_levels() -> None:
    doc = canonicalize(parse_document(minimal()))
    assert [level.key for level in doc.levels] == ["junior", "senior"]  # by rank
    assert [c.key for c in doc.competencies] == ["collaboration", "strategic-thinking"]
    assert [r.key for r in doc.roles] == ["engineer", "product-manager", "senior-engineer"]
    assert doc.tracks[0].roles == ["engineer", "senior-engineer"]
    assert [lvl.name for lvl in doc.scales[0].levels] == ["Awareness", "Developing", "Proficient"]


def test_dump_omits_defaults_and_writes_whole_weights_as_integers() -> None:
    text = dump_document(parse_document(minimal()), "yaml")
    assert "core: true" not in text
    assert "weight: 1\n" not in text
    assert "    weight: 2\n" in text
    assert text.startswith("version: 1\nscales:\n")


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_demo_round_trip_is_byte_identical(fmt: str) -> None:
    first = dump_document(parse_document(DEMO.read_text(encoding="utf-8")), fmt)  # type: ignore[arg-type]
    second = dump_document(parse_document(first, fmt=fmt), fmt)  # type: ignore[arg-type]
    assert second == first


def test_multiline_text_round_trips_as_a_literal_block() -> None:
    data = minimal()
    data["roles"][0]["description"] = "1. Writes code.\n2. Tests it.\n\n3. Ships it."
    text = dump_document(parse_document(data), "yaml")
    assert "description: |-\n" in text
    assert dump_document(parse_document(text), "yaml") == text


# --------------------------------------------------------------------------- demo framework


@pytest.fixture(scope="module")
def demo() -> FrameworkDocument:
    return parse_document(DEMO.read_text(encoding="utf-8"))


def test_demo_shape(demo: FrameworkDocument) -> None:
    assert [s.name for s in demo.scales[0].levels] == [
        "Awareness",
        "Developing",
        "Proficient",
        "Advanced",
        "Expert",
    ]
    assert {f.key for f in demo.job_families} == {
        "marketing",
        "engineering",
        "customer-success",
        "product",
    }
    assert 15 <= len(demo.competencies) <= 25
    tracks = {t.key: t.roles for t in demo.tracks}
    assert tracks["marketing-ic"][0] == tracks["marketing-management"][0] == "marketing-coordinator"
    assert tracks["engineering-management"][:3] == tracks["engineering-ic"][:3]
    assert tracks["marketing-management"][-1] == "chief-marketing-officer"
    laterals = {(t.from_role, t.to_role) for t in demo.transitions if t.kind == "LATERAL"}
    assert ("software-engineer", "associate-product-manager") in laterals
    assert ("senior-customer-success-manager", "product-manager") in laterals


def test_demo_competencies_describe_every_level(demo: FrameworkDocument) -> None:
    for comp in demo.competencies:
        assert [d.level for d in comp.descriptors] == [1, 2, 3, 4, 5], comp.key


def test_demo_roles_have_pay_bands_and_four_to_six_core_competencies(
    demo: FrameworkDocument,
) -> None:
    on_a_track = {key for track in demo.tracks for key in track.roles}
    for role in demo.roles:
        assert role.pay_band is not None, role.key
        assert role.pay_band.currency == "USD", role.key
        assert 0 < role.pay_band.min < role.pay_band.mid < role.pay_band.max, role.key
        assert 4 <= sum(e.core for e in role.expectations) <= 6, role.key
        assert role.key in on_a_track, role.key


def test_demo_requirements_rise_along_every_track(demo: FrameworkDocument) -> None:
    required = {r.key: {e.competency: e.required_level for e in r.expectations} for r in demo.roles}
    core_mean = {
        r.key: sum(e.required_level for e in r.expectations if e.core)
        / sum(e.core for e in r.expectations)
        for r in demo.roles
    }
    for track in demo.tracks:
        for lower, higher in zip(track.roles, track.roles[1:], strict=False):
            before, after = required[lower], required[higher]
            for competency in before.keys() & after.keys():
                assert after[competency] >= before[competency], (lower, higher, competency)
            assert core_mean[higher] > core_mean[lower], (lower, higher)


# --------------------------------------------------------------------------- JSON Schema


def test_committed_schema_is_up_to_date() -> None:
    committed = SCHEMA.read_text(encoding="utf-8") if SCHEMA.exists() else ""
    assert committed == json_schema_text(), (
        f"docs/framework.schema.json is out of date; regenerate it with: {REGENERATE}"
    )


def test_schema_module_prints_the_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "service.framework.document"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == json_schema_text()


def test_schema_accepts_the_demo_and_rejects_unknown_fields() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    validator.check_schema(json_schema())
    demo = json.loads(dump_document(parse_document(DEMO.read_text(encoding="utf-8")), "json"))
    assert list(validator.iter_errors(demo)) == []
    demo["roles"][0]["expecations"] = []
    assert [e.validator for e in validator.iter_errors(demo)] == ["additionalProperties"]


def test_values_yaml_reads_as_dates_are_reported_not_crashed_on() -> None:
    assert problems("version: 2024-01-01\n") == [
        ("version", 'unsupported version "2024-01-01"; expected 1')
    ]


def test_example_in_the_format_guide_is_valid() -> None:
    guide = (ROOT / "docs" / "framework-format.md").read_text(encoding="utf-8")
    example = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    doc = parse_document(example)
    assert [r.key for r in doc.roles] == [
        "software-engineer",
        "senior-software-engineer",
        "product-manager",
    ]


text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@example(title="0", description="a\u2028b\nc", note="0\x850", weight=1.0)
@example(title="yes", description="line\r\nbreak", note="  two\n  indented\n", weight=0.1)
@given(title=text, description=text, note=text, weight=st.floats(0.01, 100))
def test_any_text_and_weight_survive_the_round_trip(
    title: str, description: str, note: str, weight: float
) -> None:
    data = minimal()
    role = data["roles"][1]
    role["title"], role["description"] = title, description
    role["expectations"][0].update(note=note, weight=weight)
    try:
        doc = parse_document(data)
    except DocumentError:
        assume(False)  # e.g. text that is only whitespace
        return
    for fmt in ("yaml", "json"):
        first = dump_document(doc, fmt)
        again = parse_document(first, fmt=fmt)
        assert again == canonicalize(doc)
        assert dump_document(again, fmt) == first


def test_yaml_is_written_by_libyaml_with_the_same_bytes_as_the_python_emitter() -> None:
    import yaml

    from service.framework import document

    assert yaml.__with_libyaml__, "PyYAML is built without libyaml"
    assert issubclass(document._Dumper, yaml.CSafeDumper)
    python_dumper = type("PythonDumper", (yaml.SafeDumper,), {"ignore_aliases": lambda *_: True})
    python_dumper.add_representer(str, document._represent_str)
    data = minimal()
    data["roles"][0]["description"] = "Line one.\nLine two: «quoted» — \u2028 and # hash\n"
    data["roles"][0]["title"] = "yes"
    for doc in (parse_document(DEMO.read_text(encoding="utf-8")), parse_document(data)):
        plain = canonicalize(doc).model_dump(mode="json", by_alias=True, exclude_defaults=True)
        text = dump_document(doc, "yaml")
        for role in plain.get("roles", []):
            for expectation in role.get("expectations", []):
                if float(expectation.get("weight", 0.5)).is_integer():
                    expectation["weight"] = int(expectation["weight"])
        expected = yaml.dump(
            plain, Dumper=python_dumper, sort_keys=False, allow_unicode=True, width=100, indent=2
        )
        assert text == expected
        assert parse_document(text) == canonicalize(doc)


def test_unknown_fields_do_not_hide_problems_found_through_their_entry() -> None:
    data = minimal()
    data["competencies"][1]["theme"] = "People"  # collaboration
    data["competencies"][0]["descriptors"][0]["sumary"] = "Typo"
    data["competencies"][0]["descriptors"][1]["level"] = 5
    data["roles"][1]["expectations"][1]["requiredLevel"] = 4  # collaboration is 1..3
    data["roles"][1]["expectations"][0]["notes"] = "Typo"
    data["roles"][1]["level"] = "mid"
    assert problems(data) == [
        ("competencies[0].descriptors[0].sumary", 'unknown field "sumary"'),
        (
            "competencies[0].descriptors[1].level",
            'level 5 is outside scale "proficiency" (1..3)',
        ),
        ("competencies[1].theme", 'unknown field "theme"'),
        ("roles[1].level", 'unknown level key "mid"'),
        ("roles[1].expectations[0].notes", 'unknown field "notes" (did you mean "note"?)'),
        (
            "roles[1].expectations[1].requiredLevel",
            'required level 4 is outside scale "proficiency" of competency "collaboration" (1..3)',
        ),
    ]
