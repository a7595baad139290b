"""Fields and values answered without strawberry's per-call work, on the built schema.

Strawberry wraps each field in a resolver of its own, and its object types and enums in
checks of their own; graphql-core calls them once per field and object of a response. On
a page of a hundred rows that is thousands of calls for values already in memory. The
passes here replace them, on the built schema, by functions giving the same answer:

- a plain field (no resolver, no field extension, no permission) is its attribute, as
  strawberry's default resolver reads it (``getattr``);
- an object of a type implementing an interface is of that type when its class is the
  type's own (strawberry's check of casts and interfaces runs otherwise);
- an enum member is answered by its name, looked up by its value (strawberry compares it
  with every value of the enum in turn).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField

DEFINITION = "strawberry-definition"


def answer_directly(schema: strawberry.Schema) -> None:
    """Apply every pass of this module to ``schema``'s types."""
    for gql_type in schema._schema.type_map.values():
        if isinstance(gql_type, GraphQLObjectType):
            _answer_plain_fields(gql_type)
            _check_type_directly(gql_type)
        elif isinstance(gql_type, CustomGraphQLEnumType):
            _name_members_directly(gql_type)


def _answer_plain_fields(gql_type: GraphQLObjectType) -> None:
    for field in gql_type.fields.values():
        definition = field.extensions.get(DEFINITION)
        resolve = field.resolve
        if (
            isinstance(definition, StrawberryField)
            and definition.is_basic_field
            and definition.default_resolver is getattr
            and getattr(resolve, "_is_default", False)
            and getattr(resolve, "__name__", None) == "_get_basic_result"
            and not field.args
        ):
            field.resolve = _attribute(definition.python_name)


def _attribute(name: str) -> Callable[..., Any]:
    def answer(source: Any, info: GraphQLResolveInfo) -> Any:
        return getattr(source, name)

    return answer


def _check_type_directly(gql_type: GraphQLObjectType) -> None:
    definition = gql_type.extensions.get(DEFINITION)
    check = gql_type.is_type_of
    if check is None or not isinstance(definition, StrawberryObjectDefinition):
        return
    origin = definition.origin
    if not isinstance(origin, type) or definition.is_type_of is not None:
        return
    gql_type.is_type_of = _of_type(origin, check)


def _of_type(origin: type, check: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def is_type_of(obj: Any, info: GraphQLResolveInfo) -> Any:
        # An object of the type's own class, not cast to another type, is of the type.
        # (Asked with ``hasattr``: reading the object's ``__dict__`` would make one.)
        if obj.__class__ is origin and not hasattr(obj, TYPE_CAST_ATTRIBUTE):
            return True
        return check(obj, info)

    return is_type_of


def _name_members_directly(gql_type: CustomGraphQLEnumType) -> None:
    names: dict[Any, str] = {}
    try:
        for name, value in gql_type.values.items():
            names.setdefault(value.value, name)
    except TypeError:  # a value that cannot be a key: compared one by one, as strawberry does
        return
    members = gql_type.wrapped_cls
    coerce = gql_type.coerce_output_value

    def coerce_output_value(output_value: Any) -> Any:
        if output_value.__class__ is members:
            name = names.get(output_value._value_)
            if name is not None:
                return name
        return coerce(output_value)

    # graphql-core completes every enum value through this method of the type.
    gql_type.coerce_output_value = coerce_output_value  # type: ignore[method-assign]
    gql_type.serialize = coerce_output_value  # type: ignore[method-assign]
