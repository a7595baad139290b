"""The mutation kit: a mutation is declared once — input, permission, service call, payload.

    @strawberry.type(description="Result of a widget mutation.")
    class WidgetPayload(Payload):
        widget: Widget | None = strawberry.field(default=None, description="The widget.")

    @strawberry.input(description="Changes to a widget.")
    class UpdateWidgetInput:
        id: strawberry.ID = id_input("Widget", "The widget to change.", target=True)
        version: int | None = version_input()
        owner_id: strawberry.ID | None = id_input("Employee", "New owner.", default=UNSET)

    @strawberry.type
    class WidgetMutation:
        update_widget = mutation(
            "Change a widget. Requires `career:admin`.",
            UpdateWidgetInput,
            WidgetPayload,
            permission=policies.require_admin,
            call=lambda c: widgets.update(c.db, c.principal, c.input.id, c.input, c.errors),
        )

What the kit does, in this order, for every mutation:

1. ``permission(principal)`` — a refused caller gets a FORBIDDEN error before any of their
   input is looked at;
2. the input is decoded into plain values (``c.input``, attributes by Python name): global
   IDs declared with ``id_input`` become UUIDs, omitted fields ``NOT_GIVEN``, enums their
   values, nested inputs namespaces. A malformed ID becomes ``INVALID`` with its error in
   ``c.errors`` (services report those together with their own checks; the kit refuses the
   input anyway), except the ``target`` ID, which refuses the input at once;
3. ``call(c)`` runs in a savepoint; a ``UserInputError`` rolls it back and becomes
   ``userErrors`` (one error-code enum: ``service.errors.ErrorCode``);
4. the payload's object field is filled with ``Type.from_row(result)`` (``Type.of(result)``
   for an object not backed by one row, such as settings; or ``make(result)``).
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import strawberry
from sqlalchemy import Select
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
    has_object_definition,
)
from strawberry.types.info import Info
from strawberry.utils.str_converters import to_camel_case

from service import entities
from service.auth import policies
from service.auth.principal import Principal
from service.entities import Attr, Entity
from service.errors import FieldError, UserInputError
from service.graphql.errors import UserError, run_mutation
from service.graphql.ids import decode_id
from service.graphql.lookahead import connection_nodes
from service.graphql.node import RowObject
from service.graphql.pagination import Connection, PageArgs, paginate
from service.kit import INVALID, NOT_GIVEN, TargetAction

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

P = TypeVar("P", bound="Payload")
S = TypeVar("S", bound="DataclassInstance")
D = TypeVar("D", contravariant=True)
N = TypeVar("N", bound=RowObject)

_NODE = "careerpath.node"  # metadata key: the type names a global-ID input may hold
_TARGET = "careerpath.target"  # metadata key: the object the mutation acts on

VERSION_DESCRIPTION = "The `version` you read; the change is refused if it changed since."


@strawberry.type(description="Result of a mutation (not itself in the schema).")
class Payload:
    """Base of every mutation payload: ``userErrors`` plus one object field."""

    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why the input was refused; empty when the change was made.",
    )


def id_input(
    type_names: str | Iterable[str],
    description: str,
    *,
    default: Any = strawberry.UNSET,
    target: bool = False,
    required: bool = False,
) -> Any:
    """An input field holding global IDs of ``type_names`` (one ID or a list of them),
    decoded by the kit. ``target``: the object the mutation acts on (required)."""
    names = (type_names,) if isinstance(type_names, str) else tuple(type_names)
    kwargs: dict[str, Any] = {} if target or required else {"default": default}
    return strawberry.field(
        description=description, metadata={_NODE: names, _TARGET: target}, **kwargs
    )


def optional_input(description: str) -> Any:
    """An input field that may be omitted: None then."""
    return strawberry.field(default=None, description=description)


def unset_input(description: str) -> Any:
    """A field of an update input that may be omitted: the value stays as it is then
    (``NOT_GIVEN`` once decoded), while null clears it where the field allows."""
    return strawberry.field(default=strawberry.UNSET, description=description)


def version_input() -> Any:
    """The optional ``version`` field of an update input."""
    return strawberry.field(default=None, description=VERSION_DESCRIPTION)


def target_input(
    name: str,
    description: str,
    type_name: str,
    doc: str,
    *,
    field: str = "id",
    versioned: bool = True,
) -> type:
    """An input naming only the object a mutation acts on (``field``, a global ID of
    ``type_name``) and, when ``versioned``, the ``version`` read."""
    fields: list[tuple[str, Any, Any]] = [
        (field, strawberry.ID, id_input(type_name, doc, target=True))
    ]
    if versioned:
        fields.append(("version", int | None, version_input()))
    return input_type(name, description, fields)


@dataclass
class Call:
    """What a mutation's service call gets."""

    info: Info
    db: Any  # the request context: an ``Executor`` in the request's transaction
    principal: Principal
    input: Any  # the decoded input (attributes by Python name)
    errors: list[FieldError]  # malformed IDs found while decoding, reported with the rest


def decode_input(value: Any, path: tuple[str, ...], errors: list[FieldError]) -> Any:
    """Plain values of a strawberry input (see the module's step 2)."""
    if value is strawberry.UNSET:
        return NOT_GIVEN
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [decode_input(v, (*path, str(i)), errors) for i, v in enumerate(value)]
    if not has_object_definition(value):
        return value
    out = SimpleNamespace()
    for f in value.__strawberry_definition__.fields:
        raw = getattr(value, f.python_name)
        sub = (*path, f.graphql_name or to_camel_case(f.python_name))
        names = f.metadata.get(_NODE)
        if names is None or raw is strawberry.UNSET or raw is None:
            decoded = decode_input(raw, sub, errors)
        elif f.metadata.get(_TARGET):
            decoded = decode_id(raw, names, sub)  # raises: nothing to act on
        elif isinstance(raw, list):
            decoded = [_decode_id(r, names, (*sub, str(i)), errors) for i, r in enumerate(raw)]
        else:
            decoded = _decode_id(raw, names, sub, errors)
        setattr(out, f.python_name, decoded)
    return out


def service_input(cls: type[S], data: Any, **values: Any) -> S:
    """The service's input dataclass ``cls`` from a decoded input: each field the input's
    value of the same name, or the one given in ``values``; a field the input lacks keeps
    its default (``NOT_GIVEN`` in the services' partial-update inputs)."""
    given = {
        f.name: getattr(data, f.name)
        for f in dataclasses.fields(cls)
        if f.name not in values and hasattr(data, f.name)
    }
    return cls(**given, **values)


def filter_id(
    errors: list[FieldError], value: Any, type_name: str, path: tuple[str, ...]
) -> uuid.UUID | None:
    """A global ID given to a query (a filter's or an argument's), None when absent. A
    malformed one goes to ``errors``, to be reported with the query's other problems, and
    reads as None."""
    if value is None:
        return None
    try:
        return decode_id(value, type_name, path)
    except UserInputError as exc:
        errors.extend(exc.errors)
        return None


async def paginate_nodes(
    info: Info, statement: Select[Any], paging: PageArgs, node: type[N]
) -> Connection[N]:
    """One page of ``node`` objects from ``statement`` (``paginate``), with the relations
    the query selects on them loaded for the whole page at once (``node.prefetch``)."""
    page = await paginate(info, statement, paging, node.from_row)
    await node.prefetch(info, page.nodes, connection_nodes(info))
    return page


def _decode_id(
    value: Any, names: Iterable[str], path: tuple[str, ...], errors: list[FieldError]
) -> Any:
    try:
        return decode_id(value, names, path)
    except UserInputError as exc:
        errors.extend(exc.errors)
        return INVALID


def _object_field(payload: type[Payload]) -> tuple[str, Callable[[Any], Any]]:
    """The payload's object field and how to make its value from a row (``from_row``) or
    from what the service returned (``of``)."""
    definition = get_object_definition(payload, strict=True)
    fields = [f for f in definition.fields if f.python_name != "user_errors"]
    if len(fields) != 1:
        raise TypeError(f"{payload.__name__}: give `make`, the payload has {len(fields)} fields")
    field_type = fields[0].type
    if isinstance(field_type, StrawberryOptional):
        field_type = field_type.of_type
    make = getattr(field_type, "from_row", None) or getattr(field_type, "of", None)
    if isinstance(field_type, StrawberryList) or make is None:
        raise TypeError(f"{payload.__name__}: give `make`, {field_type} has no from_row or of")
    return fields[0].python_name, make


def _as_given(data: Any) -> Any:
    return data


def versioned_call(action: TargetAction, target: str = "id") -> Callable[[Call], Awaitable[Any]]:
    """The call of a mutation whose input is a ``target_input``: ``action(db, principal,
    <the target's ID>, expected_version=<version>)``."""

    async def call(c: Call) -> Any:
        return await action(
            c.db, c.principal, getattr(c.input, target), expected_version=c.input.version
        )

    return call


def target_call(
    action: Callable[[Any, Principal, Any], Awaitable[Any]], target: str = "id"
) -> Callable[[Call], Awaitable[Any]]:
    """The call of a mutation whose input is a ``target_input(versioned=False)``:
    ``action(db, principal, <the target's ID>)``."""

    async def call(c: Call) -> Any:
        return await action(c.db, c.principal, getattr(c.input, target))

    return call


class CreateAction(Protocol[D]):
    """A service function making something from the decoded input."""

    def __call__(
        self, db: Any, principal: Principal, data: D, /, *, input_errors: Sequence[FieldError]
    ) -> Awaitable[Any]: ...


class UpdateAction(Protocol[D]):
    """A service function changing one object at the version the caller read."""

    def __call__(
        self,
        db: Any,
        principal: Principal,
        target: Any,
        data: D,
        /,
        *,
        expected_version: int | None,
        input_errors: Sequence[FieldError],
    ) -> Awaitable[Any]: ...


def create_call(
    action: CreateAction[D], data: Callable[[Any], D] = _as_given
) -> Callable[[Call], Awaitable[Any]]:
    """The call of a create mutation: ``action(db, principal, data(<input>),
    input_errors=<malformed IDs>)``."""

    async def call(c: Call) -> Any:
        return await action(c.db, c.principal, data(c.input), input_errors=c.errors)

    return call


def update_call(
    action: UpdateAction[D], data: Callable[[Any], D], target: str = "id"
) -> Callable[[Call], Awaitable[Any]]:
    """The call of an update mutation: ``action(db, principal, <the target's ID>,
    data(<input>), expected_version=<version>, input_errors=<malformed IDs>)``."""

    async def call(c: Call) -> Any:
        return await action(
            c.db,
            c.principal,
            getattr(c.input, target),
            data(c.input),
            expected_version=c.input.version,
            input_errors=c.errors,
        )

    return call


def mutation(
    description: str,
    input: type,
    payload: type[P],
    *,
    call: Callable[[Call], Awaitable[Any]],
    permission: Callable[[Principal], object] | None = None,
    make: Callable[[Any], P] | None = None,
    input_description: str = "The change to make.",
    suffix: str = "",
) -> Any:
    """A ``verbNoun(input: VerbNounInput!): Payload!`` mutation field, run the kit's way
    (module docstring). ``suffix`` ends the description: the sentence saying who may call
    it, shared by the mutations of one ``permission`` (``partial(mutation, permission=…,
    suffix=…)``)."""

    async def resolve(self: Any, info: Info, input: Any) -> Any:
        async def act() -> Any:
            errors: list[FieldError] = []
            principal = await info.context.principal()
            try:
                data = decode_input(input, ("input",), errors)
                result = await call(Call(info, info.context, principal, data, errors))
            except UserInputError as exc:
                raise UserInputError(errors + [e for e in exc.errors if e not in errors]) from None
            if errors:  # a malformed ID the service did not look at still refuses the input
                raise UserInputError(errors)
            return result

        result, user_errors = await run_mutation(info, act, authorize=permission)
        if user_errors:
            return payload(user_errors=user_errors)
        if make is not None:
            return make(result)
        name, from_row = _object_field(payload)
        make_payload: Any = payload
        return make_payload(**{name: from_row(result) if result is not None else None})

    resolve.__annotations__ = {
        "info": Info,
        "input": Annotated[input, strawberry.argument(description=input_description)],
        "return": payload,
    }
    return strawberry.mutation(resolver=resolve, description=description + suffix)


ADMIN = " Requires `career:admin`."
#: A mutation for HR admins (``career:admin``) only, saying so at the end of its description.
admin_mutation = partial(mutation, permission=policies.require_admin, suffix=ADMIN)


# --- entities declared once (service.entities) -------------------------------------------------


def input_type(name: str, description: str, fields: list[tuple[str, Any, Any]]) -> type:
    """A strawberry input from ``(python name, annotation, strawberry.field)`` triples."""
    namespace: dict[str, Any] = {"__annotations__": {n: a for n, a, _ in fields}}
    namespace.update({n: f for n, _, f in fields})
    return strawberry.input(type(name, (), namespace), description=description)


def payload_type(name: str, description: str, field: str, node: Any, doc: str) -> type:
    """A ``Payload`` with one object field."""
    namespace = {
        "__annotations__": {field: node | None},
        field: strawberry.field(default=None, description=doc),
    }
    return strawberry.type(type(name, (Payload,), namespace), description=description)


def change_payload(
    node: type, field: str, label: str | None = None, what: str | None = None
) -> type:
    """``<Node>Payload``, the result of the mutations that change a ``label`` (by default
    ``field`` in words): its one field holds the object after the change (called ``what``
    there; ``label`` by default)."""
    label = label or field.replace("_", " ")
    article = "an" if label[0] in "aeiou" else "a"
    return payload_type(
        f"{get_object_definition(node, strict=True).name}Payload",
        f"Result of {article} {label} mutation.",
        field,
        node,
        f"The {what or label} after the change; null when refused.",
    )


def result_payload(
    mutation_name: str,
    field: str,
    node: Any,
    doc: str = "The settings after the change; null when refused.",
) -> type:
    """``<MutationName>Payload``, the result of one mutation (by default of one that changes
    the organization's settings of a domain)."""
    return payload_type(
        f"{mutation_name[0].upper()}{mutation_name[1:]}Payload",
        f"Result of `{mutation_name}`.",
        field,
        node,
        doc,
    )


_PAYLOADS: dict[str, type] = {}


def entity_payload(entity: Entity, node: type) -> Any:
    """``<T>Payload`` of an entity (one per type, shared by all its mutations)."""
    found = _PAYLOADS.get(entity.type_name)
    if found is None:
        found = _PAYLOADS[entity.type_name] = change_payload(node, entity.action, entity.label)
    return found


def _attr_field(a: Attr, types: Mapping[Any, Any], *, creating: bool) -> tuple[str, Any, Any]:
    """An entity field as an input field: a global ID for references, the declared type
    (``types``) for enums and hooks, else a string; optional in updates."""
    if a.kind == "ref" and a.ref is not None:
        annotation: Any = strawberry.ID
        ids: str | None = a.ref.type_name
    else:
        annotation = types.get(a.choices or a.name, str)
        ids = a.ids
    if ids is not None and a.kind != "ref":
        annotation = list[strawberry.ID]
    required = creating and a.required
    if not required:
        annotation = annotation | None
    doc = a.doc if creating else a.update_doc or ""
    default: Any = None if creating else strawberry.UNSET
    if ids is not None:
        return a.name, annotation, id_input(ids, doc, default=default, required=required)
    if required:
        return a.name, annotation, strawberry.field(description=doc)
    return a.name, annotation, strawberry.field(default=default, description=doc)


def entity_mutations(
    entities: Iterable[Entity],
    nodes: Mapping[str, type],
    types: Mapping[Any, Any],
    *,
    permission: Callable[[Principal], object] | None,
    suffix: str = "",
) -> dict[str, Any]:
    """``create<T>`` and ``update<T>`` mutations of each entity, with their inputs and
    ``<T>Payload``, made from its declaration. ``nodes``: the GraphQL type of each entity
    (by type name); ``types``: input types of hook fields (by field name) and enums (by
    the Python enum)."""
    out: dict[str, Any] = {}
    for e in entities:
        t, label = e.type_name, e.label
        payload = entity_payload(e, nodes[t])
        create_input = input_type(
            f"Create{t}Input", e.doc, [_attr_field(a, types, creating=True) for a in e.attrs]
        )
        update_input = input_type(
            f"Update{t}Input",
            f"Changes to a {label}; omitted fields stay as they are.",
            [
                ("id", strawberry.ID, id_input(t, f"The {label} to change.", target=True)),
                ("version", int | None, version_input()),
                *(
                    _attr_field(a, types, creating=False)
                    for a in e.attrs
                    if a.update_doc is not None
                ),
            ],
        )
        for verb, doing, given, call in (
            ("create", "Create", create_input, _create),
            ("update", "Change", update_input, _update),
        ):
            out[f"{verb}_{e.action}"] = mutation(
                f"{doing} a {label}." + suffix,
                given,
                payload,
                permission=permission,
                call=partial(call, e),
            )
    return out


async def _create(entity: Entity, c: Call) -> Any:
    return await entities.create(c.db, c.principal, entity, c.input, c.errors)


async def _update(entity: Entity, c: Call) -> Any:
    return await entities.update(
        c.db,
        c.principal,
        entity,
        c.input.id,
        c.input,
        expected_version=c.input.version,
        input_errors=c.errors,
    )
