"""Fields, type checks and enum values answered directly (``service.graphql.direct``) give
the answers strawberry's own resolvers and checks give: values, nulls, errors, refusals."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from typing import Any

import pytest
import strawberry
from strawberry import relay
from strawberry.permission import BasePermission

from service.graphql import node
from service.graphql.direct import answer_directly
from service.graphql.node import RowNode, answer_row_ids
from service.graphql.schema import schema as service_schema
from service.kit import Record


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    CRIMSON = "red"  # an alias: strawberry answers the first name of a value


class Denied(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Thing(Named):
    count: int | None
    color: strawberry.enum(Color) | None  # type: ignore[valid-type]
    secret: str | None = strawberry.field(default="hidden", permission_classes=[Denied])

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@strawberry.type
class Other(Named):
    pass


class NotAThing:
    name = "not a thing"


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return [
            Thing(name="a", count=1, color=Color.RED),
            Thing(name="b", count=None, color=None),
            Thing(name="c", count=3, color=Color.GREEN),
        ]

    @strawberry.field
    def wrong(self) -> Thing:
        return NotAThing()  # type: ignore[return-value]

    @strawberry.field
    def kin(self) -> Thing:
        return Other(name="kin")  # type: ignore[return-value]  # of Thing's interface

    @strawberry.field
    def cast(self) -> Named:
        return strawberry.cast(Other, Thing(name="cast", count=0, color=None))

    @strawberry.field
    def raw_color(self) -> strawberry.enum(Color):  # type: ignore[valid-type]
        return "green"  # a raw value, not a member

    @strawberry.field
    def bad_color(self) -> strawberry.enum(Color) | None:  # type: ignore[valid-type]
        return "purple"

    @strawberry.field
    def missing(self) -> Thing | None:
        thing = Thing(name="m", count=1, color=None)
        del thing.count  # the attribute read raises
        return thing


DOCUMENTS = [
    "{ things { name count color shout } }",
    "{ things { secret name } }",
    "{ wrong { name } }",
    "{ kin { name } }",
    "{ cast { name ... on Other { name } ... on Thing { count } } }",
    "{ rawColor }",
    "{ badColor }",
    "{ missing { name count } }",
]


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(query=Query)
    direct = strawberry.Schema(query=Query)
    answer_directly(direct)
    return plain, direct


@pytest.mark.parametrize("document", DOCUMENTS)
def test_direct_answers_are_strawberrys(document: str) -> None:
    plain, direct = _schemas()
    expected, got = plain.execute_sync(document), direct.execute_sync(document)
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]


def test_the_passes_replace_strawberrys_resolvers_only_where_the_answer_is_the_attribute() -> None:
    plain, direct = _schemas()
    before, after = plain._schema.type_map["Thing"], direct._schema.type_map["Thing"]
    for name in ("name", "count", "color"):  # plain fields
        assert after.fields[name].resolve is not before.fields[name].resolve
    # A resolver of its own, or a permission, keeps strawberry's resolver.
    for name in ("shout", "secret"):
        assert after.fields[name].resolve.__qualname__ == before.fields[name].resolve.__qualname__
    assert after.is_type_of is not before.is_type_of


def test_values_nulls_and_refusals() -> None:
    direct = _schemas()[1]
    result = direct.execute_sync("{ things { name count color } }")
    assert result.data == {
        "things": [
            {"name": "a", "count": 1, "color": "RED"},
            {"name": "b", "count": None, "color": None},
            {"name": "c", "count": 3, "color": "GREEN"},
        ]
    }
    assert direct.execute_sync("{ wrong { name } }").errors
    denied = direct.execute_sync("{ things { secret } }")
    assert denied.errors is not None
    assert denied.errors[0].message == "not for you"


@strawberry.type
class Widget(RowNode):
    name: str


@strawberry.type
class WidgetQuery:
    @strawberry.field
    def widget(self) -> Widget:
        return Widget.from_row(Record({"id": WIDGET_ID, "name": "w"}))

    @strawberry.field
    def node(self) -> relay.Node:
        return Widget.from_row(Record({"id": WIDGET_ID, "name": "n"}))


WIDGET_ID = uuid.UUID("0b8f0a6e-3c55-4c1e-9d2f-6a8e2f0d6a11")


def test_a_row_id_is_the_global_id_strawberry_makes() -> None:
    plain = strawberry.Schema(query=WidgetQuery)
    direct = strawberry.Schema(query=WidgetQuery)
    answer_row_ids(direct)
    document = "{ widget { id name } node { id ... on Widget { name } } }"
    expected, got = plain.execute_sync(document), direct.execute_sync(document)
    assert got.errors is None
    assert expected.errors is None
    assert got.data == expected.data
    assert got.data["widget"]["id"] == str(relay.GlobalID("Widget", str(WIDGET_ID)))  # type: ignore[index]


def test_the_service_schema_answers_plain_fields_directly() -> None:
    employee = service_schema._schema.type_map["Employee"]
    assert employee.fields["name"].resolve.__qualname__ == "_attribute.<locals>.answer"
    # Fields with resolvers of their own (details, HR record) keep them: they check access.
    for name in ("email", "hireDate", "terminationReason"):
        assert employee.fields[name].resolve.__qualname__ != "_attribute.<locals>.answer"


class AnyRow:
    """A row with every column: each one's value its own object, named after it."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __getattr__(self, name: str) -> object:
        return self.values.setdefault(name, type(name, (), {})())


def _row_types() -> list[type]:
    found, todo = [], [node.RowObject]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        found.append(cls)
    assert service_schema is not None  # every domain's types are imported
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


@pytest.mark.parametrize("cls", _row_types(), ids=lambda c: c.__name__)
def test_an_object_made_from_a_row_is_the_one_its_init_makes(
    cls: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Made without converters: the values are the columns' own, compared by identity.
    monkeypatch.setitem(node._MAKERS, cls, node._maker(cls, converters={}))
    columns = node._declared(cls, "columns")
    plain = [
        f.name
        for f in dataclasses.fields(cls)
        if f.init
        and f.name != "row"
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    row = AnyRow()
    from_row = node.RowObject.from_row.__func__  # type: ignore[attr-defined]
    got = from_row(cls, row)
    fields = {n: getattr(row, columns.get(n, n)) for n in plain}
    expected = cls(row=row, **fields)
    assert type(got) is cls
    assert vars(got) == vars(expected)
    for name in plain:
        assert getattr(got, name) is fields[name]
    if "known" in vars(got):
        assert got.known == {}
        assert got.known is not from_row(cls, AnyRow()).known  # one per object


def test_converters_apply_to_their_columns() -> None:
    from service.people.types import PositionChange

    row = Record(
        {
            "kind": "HIRE",
            "effective_date": None,
            "title": None,
            "source_type": None,
            "note": None,
            "created_at": "then",
        }
    )
    change = PositionChange.from_row(row)
    assert change.kind is not None
    assert change.kind.value == "HIRE"  # type: ignore[attr-defined]
    assert change.recorded_at == "then"  # a column named otherwise


@strawberry.type
class Checked(node.RowObject):
    name: str

    def __post_init__(self) -> None:
        self.known["checked"] = self.name


def test_a_type_with_its_own_post_init_is_made_by_its_init() -> None:
    made = Checked.from_row(Record({"name": "n"}))
    assert made.known == {"checked": "n"}
