"""The committed SDL matches the code, and every public element is described."""

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from service.graphql.export import sdl
from service.graphql.schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_matches_code() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == sdl(), (
        "schema.graphql is out of date: run `uv run python -m service.graphql.export > "
        "schema.graphql` and review the diff as an API change"
    )


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    missing: list[str] = []
    for name, t in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not t.description:
            missing.append(name)
        if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)):
            for fname, f in t.fields.items():
                if not f.description:
                    missing.append(f"{name}.{fname}")
                for aname, a in f.args.items():
                    if not a.description and aname not in ("first", "after", "last", "before"):
                        missing.append(f"{name}.{fname}({aname})")
        if isinstance(t, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, v in t.fields.items() if not v.description]
        if isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, d in t.values.items() if not d.description]
    assert missing == []
