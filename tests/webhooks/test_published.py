"""The published catalogue of event types: a JSON Schema per type under docs/webhooks/ and
an example per type in the README, both current, every example valid."""

from __future__ import annotations

import json

import jsonschema
import pytest

from service.webhooks import export


def test_the_published_schemas_and_readme_are_current() -> None:
    assert export.main(["--check"]) == 0, "run: uv run python -m service.webhooks.export"


def test_every_published_example_is_valid_against_its_schema() -> None:
    names = set()
    for path in sorted(export.SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["examples"], path.name
        for example in schema["examples"]:
            jsonschema.validate(example, schema)
        names.add(schema["title"])
    assert {"assessment.submitted", "assessment.imported", "webhook.test"} <= names
    readme = export.README.read_text()
    assert all(f"#### `{name}`" in readme for name in names)


def test_a_body_that_breaks_the_contract_is_caught() -> None:
    schema = json.loads((export.SCHEMA_DIR / "assessment.submitted.json").read_text())
    body = schema["examples"][0]
    broken = {**body, "data": {**body["data"], "kind": "GUESS"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
