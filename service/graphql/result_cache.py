"""Cached query results that are never stale: a query whose every root field reads data
versioned by a revision (the framework's, ``organizations.framework_revision``) is
answered from the results of earlier identical queries at the same revision.

The key is (organization, revision, what the caller may see, document, operation name,
variables). The revision is read with the caller's resolution, in the request's own
transaction, and raised in the same transaction as every write of the data behind it, so
once a write has committed no replica answers from an entry made before it: the next read
anywhere has the new revision and misses. Only results without errors are kept, in a
bounded least-recently-used store per process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any

import cachetools
import orjson
from graphql import (
    ExecutionResult,
    FieldNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from service.auth.principal import Principal
from service.observability import metrics

#: Results kept per process (each a response's data, e.g. a page of 100 roles).
CACHED_RESULTS = 256


class ResultCache:
    """The results kept; lookups are counted in ``careerpath_cache_lookups_total`` under
    ``name``."""

    def __init__(self, name: str, size: int = CACHED_RESULTS) -> None:
        self.name = name
        self.entries: cachetools.LRUCache[Hashable, Any] = cachetools.LRUCache(size)
        #: Whether a document reads only versioned types, by document.
        self.documents: cachetools.LRUCache[str, bool] = cachetools.LRUCache(1024)


class CachedReadsExtension(SchemaExtension):
    """Answers queries made only of ``fields`` (root field names) from ``cache``, keyed by
    the request's ``revision(context)`` and the caller's ``visibility(principal)``."""

    def __init__(
        self,
        *,
        cache: ResultCache,
        fields: frozenset[str],
        types: Callable[[str], bool],
        revision: Callable[[Any], int],
        visibility: Callable[[Principal], Hashable],
    ) -> None:
        self.cache = cache
        self.fields = fields | {"__typename"}
        self.types = types
        self.revision = revision
        self.visibility = visibility

    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        key = await self._key() if self._cacheable() else None
        if key is not None:
            found = self.cache.entries.get(key)
            metrics.cache_lookup(self.cache.name, hit=found is not None)
            if found is not None:
                ec.result = ExecutionResult(data=found, errors=None)
                yield
                return
        yield
        result = ec.result
        if key is not None and result is not None and not result.errors and result.data:
            self.cache.entries[key] = result.data

    def _cacheable(self) -> bool:
        """A query whose root selections are all fields of ``fields``."""
        ec = self.execution_context
        if ec.operation_type != OperationType.QUERY or ec.graphql_document is None:
            return False
        operations = [
            d for d in ec.graphql_document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        chosen = [
            o
            for o in operations
            if ec.operation_name is None
            or (o.name is not None and o.name.value == ec.operation_name)
        ]
        if len(chosen) != 1:
            return False
        if not all(
            isinstance(s, FieldNode) and s.name.value in self.fields
            for s in chosen[0].selection_set.selections
        ):
            return False
        return self._only_versioned_types(ec.query or "")

    def _only_versioned_types(self, query: str) -> bool:
        """Whether every field the document selects (fragments included) belongs to a
        type whose data the revision versions (``types``): a field of another domain
        reached from it would change without the revision."""
        known = self.cache.documents.get(query)
        if known is None:
            ec = self.execution_context
            info = TypeInfo(ec.schema._schema)
            foreign: list[str] = []
            check = self.types

            class Fields(Visitor):
                def enter_field(self, node: FieldNode, *_: Any) -> None:
                    parent = info.get_parent_type()
                    if parent is not None and not check(parent.name):
                        foreign.append(parent.name)

            assert ec.graphql_document is not None
            visit(ec.graphql_document, TypeInfoVisitor(info, Fields()))
            known = self.cache.documents[query] = not foreign
        return known

    async def _key(self) -> Hashable | None:
        ec = self.execution_context
        ctx = ec.context
        principal = await ctx.optional_principal()
        if principal is None:
            return None
        try:
            variables = orjson.dumps(ec.variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        return (
            principal.org_id,
            self.revision(ctx),
            self.visibility(principal),
            ec.query,
            ec.operation_name,
            variables,
        )
