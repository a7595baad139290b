"""The strawberry floor: what strawberry itself costs to serve a response of the same shape.

For one recorded request (document + variables) and the response careerpath gave to it,
``floor_source`` writes a small strawberry schema with exactly the fields the document
selects (the same names, the same arguments with the same types, aliases kept), each a
plain attribute of an object held in memory, and the objects themselves from the
response. Served by strawberry's own ASGI app under uvicorn with the service's settings,
it answers the very same request bytes with the same data: no database, no
authentication, no resolvers of ours. Its API CPU per request, divided by the fields in
the response, is the floor careerpath's per-field cost is compared with (issue 17, item 5).

    BENCH_FLOOR_RECORD=record.json uvicorn bench.strawberry_floor:app --loop uvloop --http httptools

``record.json`` holds ``{"body": <request body>, "response": <response body>}``.
"""

from __future__ import annotations

import json
import os
import sys
import types
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    ListTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    TypeNode,
    parse,
)
from graphql.language import ast

_SCALARS = {"Int": "int", "Float": "float", "String": "str", "Boolean": "bool", "ID": "ID"}


def count_fields(value: Any) -> int:
    """Response fields in ``value``: one per key of every object, list items included."""
    if isinstance(value, dict):
        return sum(1 + count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0


def _leaf_type(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    if kinds <= {int} and present and not any(isinstance(v, bool) for v in present):
        name = "int"
    elif kinds <= {int, float} and present and bool not in kinds:
        name = "float"
    elif kinds == {bool}:
        name = "bool"
    else:
        name = "str"
    return name


class _Writer:
    """Writes the floor module's source, one class per object position in the document."""

    def __init__(self, variables: dict[str, Any], var_types: dict[str, TypeNode]) -> None:
        self.variables = variables
        self.var_types = var_types
        self.classes: list[str] = []
        self.enums: list[str] = []
        self.last_object = ""
        # (class, field index) -> the class of the objects that field holds
        self.inner: dict[tuple[str, int], str] = {}

    def _enum(self, values: list[str]) -> str:
        name = f"Enum{len(self.enums)}"
        members = "\n".join(f"    {v} = {v!r}" for v in values)
        self.enums.append(f"@strawberry.enum\nclass {name}(enum.Enum):\n{members}\n")
        return name

    def _type_of(self, node: TypeNode, value: Any) -> str:
        if isinstance(node, NonNullTypeNode):
            return self._type_of(node.type, value).removesuffix(" | None")
        if isinstance(node, ListTypeNode):
            items = value if isinstance(value, list) else []
            return f"list[{self._type_of(node.type, items[0] if items else None)}] | None"
        name = node.name.value  # type: ignore[attr-defined]
        if name in _SCALARS:
            return f"{_SCALARS[name]} | None"
        if not isinstance(value, str):
            raise ValueError(f"the strawberry floor takes no input objects ({name})")
        # An enum (or a custom scalar) of the service: an enum of the value sent.
        return f"{self._enum([value])} | None"

    def _argument(self, arg: ast.ArgumentNode) -> tuple[str, str]:
        value = arg.value
        if isinstance(value, ast.VariableNode):
            var = value.name.value
            return var, self._type_of(self.var_types[var], self.variables.get(var))
        if isinstance(value, ast.IntValueNode):
            return "", "int"
        if isinstance(value, ast.FloatValueNode):
            return "", "float"
        if isinstance(value, ast.BooleanValueNode):
            return "", "bool"
        if isinstance(value, ast.EnumValueNode):
            return "", self._enum([value.value])
        if isinstance(value, ast.StringValueNode):
            return "", "str"
        raise ValueError("the strawberry floor takes no input objects or lists")

    def object_type(self, selection: SelectionSetNode, values: list[dict[str, Any]]) -> str:
        """The class for objects selected by ``selection``, given every value at this
        position of the response (all list items at once)."""
        name = f"T{len(self.classes)}"
        self.classes.append("")  # reserve the name before the nested classes
        lines = [f"@strawberry.type\nclass {name}:"]
        for i, field in enumerate(_fields(selection)):
            key = (field.alias or field.name).value
            found = [v.get(key) for v in values]
            annotation = self._field_type(field, found)
            if field.selection_set is not None:
                self.inner[(name, i)] = self.last_object
            python = f"f{i}"
            if field.arguments:
                params = []
                for j, arg in enumerate(field.arguments):
                    _, arg_type = self._argument(arg)
                    default = " = None" if arg_type.endswith("| None") else ""
                    params.append(
                        f"a{j}: Annotated[{arg_type}, strawberry.argument("
                        f"name={arg.name.value!r})]{default}"
                    )
                lines.append(f"    v{i}: strawberry.Private[Any]")
                lines.append(f"    @strawberry.field(name={field.name.value!r})")
                lines.append(f"    def {python}(self, {', '.join(params)}) -> {annotation}:")
                lines.append(f"        return self.v{i}")
            else:
                lines.append(
                    f"    {python}: {annotation} = strawberry.field(name={field.name.value!r})"
                )
        self.classes[int(name[1:])] = "\n".join(lines) + "\n"
        return name

    def _field_type(self, field: FieldNode, found: list[Any]) -> str:
        nullable = " | None" if any(v is None for v in found) else ""
        if field.selection_set is None:
            flat = [x for v in found for x in (v if isinstance(v, list) else [v])]
            inner = _leaf_type(flat)
            listed = any(isinstance(v, list) for v in found)
            return f"list[{inner}]{nullable}" if listed else f"{inner}{nullable}"
        if any(isinstance(v, list) for v in found):
            items = [x for v in found if isinstance(v, list) for x in v]
            inner = self.object_type(field.selection_set, [x for x in items if x is not None])
            self.last_object = inner
            item_null = " | None" if any(x is None for x in items) else ""
            return f"list[{inner}{item_null}]{nullable}"
        objects = [v for v in found if isinstance(v, dict)]
        self.last_object = self.object_type(field.selection_set, objects)
        return f"{self.last_object}{nullable}"


def _fields(selection: SelectionSetNode) -> Iterator[FieldNode]:
    names: set[str] = set()
    for node in selection.selections:
        if not isinstance(node, FieldNode):
            raise ValueError("the strawberry floor takes documents without fragments")
        if node.name.value in names:
            raise ValueError(f"the strawberry floor takes {node.name.value} once per object")
        names.add(node.name.value)
        yield node


def floor_source(body: dict[str, Any], data: dict[str, Any]) -> str:
    """The floor module for one request and the ``data`` of its response."""
    document = parse(body["query"])
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    if operation.operation != OperationType.QUERY:
        raise ValueError("the strawberry floor mirrors reads only")
    var_types = {v.variable.name.value: v.type for v in operation.variable_definitions or ()}
    writer = _Writer(body.get("variables") or {}, var_types)
    root = writer.object_type(operation.selection_set, [data])
    head = (
        "from __future__ import annotations\n"
        "import enum\nfrom typing import Annotated, Any\n"
        "import strawberry\nfrom strawberry import ID\n\n"
    )
    inner = ", ".join(f"({c!r}, {i}): {t}" for (c, i), t in writer.inner.items())
    return (
        head + "\n".join(writer.enums + writer.classes) + f"\nROOT = {root}\nINNER = {{{inner}}}\n"
    )


def build(source: str, data: dict[str, Any], document: str) -> tuple[Any, Any]:
    """The schema of ``source`` and its root object filled from ``data``."""
    import strawberry

    # strawberry resolves a resolver's annotations in its module's namespace.
    module = types.ModuleType("bench_strawberry_floor_types")
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    exec(compile(source, "<strawberry floor>", "exec"), namespace)
    root_type = namespace["ROOT"]
    operation = next(
        d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)
    )
    root = _instance(root_type, operation.selection_set, data, namespace)
    from strawberry.extensions import ParserCache, ValidationCache

    # strawberry's own caches, as the service parses and validates a document once too.
    extensions = [partial(ParserCache, maxsize=64), partial(ValidationCache, maxsize=64)]
    return strawberry.Schema(query=root_type, extensions=extensions), root


def _instance(cls: Any, selection: SelectionSetNode, value: dict[str, Any], ns: Any) -> Any:
    kwargs: dict[str, Any] = {}
    for i, field in enumerate(_fields(selection)):
        raw = value.get((field.alias or field.name).value)
        if field.selection_set is not None:
            inner = ns["INNER"][(cls.__name__, i)]
            if isinstance(raw, list):
                raw = [
                    _instance(inner, field.selection_set, x, ns) if x is not None else None
                    for x in raw
                ]
            elif raw is not None:
                raw = _instance(inner, field.selection_set, raw, ns)
        kwargs[f"v{i}" if field.arguments else f"f{i}"] = raw
    return cls(**kwargs)


def _make_app() -> Any:
    from strawberry.asgi import GraphQL

    record_path = os.environ.get("BENCH_FLOOR_RECORD")
    if not record_path:
        return None
    record = json.loads(Path(record_path).read_text())
    body = json.loads(record["body"])
    data = json.loads(record["response"])["data"]
    schema, root = build(floor_source(body, data), data, body["query"])

    class FloorApp(GraphQL):  # type: ignore[type-arg]
        async def get_root_value(self, request: Any) -> Any:
            return root

    return FloorApp(schema, graphql_ide=None)


app = _make_app()
