"""Contract types for import-linter that its own types do not cover (see pyproject.toml).

- ``acyclic_modules``: no import cycle between modules (a domain's GraphQL types may use
  another domain's types, but not the other way round as well). Unlike import-linter's
  ``acyclic_siblings`` this looks at modules, not at the packages holding them: a domain
  spans every layer, so two domains may depend on each other at different layers.
- ``private_names``: no module uses a private name (``_name``) of another domain's module,
  whether imported (``from service.people.types import _org_unit``) or reached through a
  module (``audit._jsonable``). Domains talk through each other's public functions.
"""

from __future__ import annotations

import ast
import importlib.util
from typing import Any

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class AcyclicModulesContract(Contract):
    """Options: ``packages`` (the modules below them are checked), ``ignore_modules``
    (left out of the graph: composition roots that import everything by design)."""

    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.StringField())
    ignore_modules = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        ignored = set(self.ignore_modules or [])  # type: ignore[arg-type]
        modules = sorted(
            m
            for p in self.packages  # type: ignore[attr-defined]
            for m in graph.find_descendants(p) | {p}
            if not any(m == i or m.startswith(i + ".") for i in ignored)
        )
        inside = set(modules)
        edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
        cycles = [c for c in _components(modules, edges) if len(c) > 1]
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error("Modules importing each other: " + ", ".join(cycle))
            output.new_line()


def _components(nodes: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            out.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return out


class PrivateNamesContract(Contract):
    """Options: ``domains`` (packages; a private name of one may not be used in another)."""

    type_name = "private_names"

    domains = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        domains: list[str] = list(self.domains)  # type: ignore[attr-defined]

        def domain_of(module: str) -> str | None:
            return next((d for d in domains if module == d or module.startswith(d + ".")), None)

        found: list[str] = []
        for module in sorted(graph.modules):
            own = domain_of(module)
            spec = importlib.util.find_spec(module)
            if own is None or spec is None or spec.origin is None:
                continue
            with open(spec.origin, encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for line, name, source in _private_uses(tree):
                other = domain_of(source)
                if other is not None and other != own:
                    found.append(f"{module}:{line} uses {source}.{name}")
        return ContractCheck(kept=not found, metadata={"found": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["found"]:
            output.print_error(line)
        output.new_line()


def _private_uses(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, private name, module it belongs to) for each use of another module's private
    name: ``from m import _x``, and ``alias._x`` where ``alias`` names an imported module."""
    modules: dict[str, str] = {}
    out: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                if a.name.startswith("_") and not a.name.startswith("__"):
                    out.append((node.lineno, a.name, node.module))
                modules[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                modules[a.asname or a.name.split(".")[0]] = a.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.value.id in modules
        ):
            out.append((node.lineno, node.attr, modules[node.value.id]))
    return out


__all__: list[Any] = ["AcyclicModulesContract", "PrivateNamesContract"]
