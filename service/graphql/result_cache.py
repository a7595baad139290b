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

from collections.abc import Callable, Hashable
from typing import Any

import cachetools
import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)

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


class CachedReads:
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

    async def key(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        query: str,
        variables: dict[str, Any] | None,
        ctx: Any,
    ) -> Hashable | None:
        """The key of a cacheable query's result, or ``None`` for one that is not: another
        kind of operation, a field outside ``fields``, no caller, variables that are not
        plain JSON."""
        if operation.operation != OperationType.QUERY:
            return None
        if not all(
            isinstance(s, FieldNode) and s.name.value in self.fields
            for s in operation.selection_set.selections
        ):
            return None
        if not self._only_versioned_types(schema, document, query):
            return None
        principal = await ctx.optional_principal()
        if principal is None:
            return None
        try:
            encoded = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        name = operation.name.value if operation.name else None
        return (
            principal.org_id,
            self.revision(ctx),
            self.visibility(principal),
            query,
            name,
            encoded,
        )

    def get(self, key: Hashable) -> Any:
        """The data kept under ``key``, or ``None``."""
        found = self.cache.entries.get(key)
        metrics.cache_lookup(self.cache.name, hit=found is not None)
        return found

    def keep(self, key: Hashable, result: ExecutionResult) -> None:
        """Keep a result that has data and no errors."""
        if not result.errors and result.data:
            self.cache.entries[key] = result.data

    def _only_versioned_types(
        self, schema: GraphQLSchema, document: DocumentNode, query: str
    ) -> bool:
        """Whether every field the document selects (fragments included) belongs to a
        type whose data the revision versions (``types``): a field of another domain
        reached from it would change without the revision."""
        known = self.cache.documents.get(query)
        if known is None:
            info = TypeInfo(schema)
            foreign: list[str] = []
            check = self.types

            class Fields(Visitor):
                def enter_field(self, node: FieldNode, *_: Any) -> None:
                    parent = info.get_parent_type()
                    if parent is not None and not check(parent.name):
                        foreign.append(parent.name)

            visit(document, TypeInfoVisitor(info, Fields()))
            known = self.cache.documents[query] = not foreign
        return known
