"""The GraphQL schema, assembled from each domain's Query and Mutation fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions.max_aliases import create_validator as alias_limit_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.base import get_object_definition
from strawberry.types.graphql import OperationType

from service.assessments.schema import AssessmentsMutation, AssessmentsQuery
from service.audit.schema import AuditQuery
from service.auth.schema import IdentityMutation, IdentityQuery
from service.config import Settings, get_settings
from service.development.schema import DevelopmentMutation, DevelopmentQuery
from service.framework.schema import FrameworkMutation, FrameworkQuery
from service.framework.service import read_visibility
from service.graphql.direct import answer_directly
from service.graphql.execution import Operations, PreparedDocuments
from service.graphql.node import NodeQuery, answer_row_ids
from service.graphql.relations import answer_loaded_relations
from service.graphql.result_cache import CachedReads, ResultCache
from service.graphql.scalars import SCALAR_OVERRIDES
from service.mobility.schema import MobilityMutation, MobilityQuery
from service.people.schema import PeopleMutation, PeopleQuery
from service.people.sync_schema import SyncMutation, SyncQuery
from service.promotions.schema import PromotionsMutation, PromotionsQuery
from service.webhooks.schema import WebhooksMutation, WebhooksQuery

QUERIES: tuple[type, ...] = (
    NodeQuery,
    PeopleQuery,
    SyncQuery,
    IdentityQuery,
    AuditQuery,
    FrameworkQuery,
    AssessmentsQuery,
    PromotionsQuery,
    DevelopmentQuery,
    MobilityQuery,
    WebhooksQuery,
)
MUTATIONS: tuple[type, ...] = (
    PeopleMutation,
    SyncMutation,
    IdentityMutation,
    FrameworkMutation,
    AssessmentsMutation,
    PromotionsMutation,
    DevelopmentMutation,
    MobilityMutation,
    WebhooksMutation,
)

Query: Any = merge_types("Query", QUERIES)
Query.__strawberry_definition__.description = "Entry points for reading career data."
Mutation: Any = merge_types("Mutation", MUTATIONS)
Mutation.__strawberry_definition__.description = (
    "Changes to career data. Each returns its payload with `userErrors`."
)


class Schema(strawberry.Schema):
    """The schema, each operation run by ``operations`` (``service.graphql.execution``)."""

    operations: Operations

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        result = await self.operations.execute(
            self._schema,
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            DEFAULT_ALLOWED_OPERATION_TYPES
            if allowed_operation_types is None
            else allowed_operation_types,
            operation_extensions,
        )
        return ExecutionResult(data=result.data, errors=result.errors)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Operations logs the unexpected errors; expected ones (denials, bad input)
        # are part of normal traffic and not worth a traceback.
        return None


#: Root fields answered from cached results: every field of ``FrameworkQuery`` reads only
#: the framework, whose revision rises with each of its writes.
FRAMEWORK_READS = frozenset(
    StrawberryConfig().name_converter.get_graphql_name(f)
    for f in get_object_definition(FrameworkQuery, strict=True).fields
)


def framework_type(name: str) -> bool:
    """Whether the GraphQL type ``name`` holds only framework data (or is a generic
    connection, edge or page info around it, or the root query): fields of other types
    reached from the framework are never answered from cached framework reads."""
    definition = schema.get_type_by_name(name)
    origin = getattr(definition, "origin", None)
    module = getattr(origin, "__module__", "")
    return name == "Query" or module.startswith(
        ("service.framework.", "service.graphql.", "strawberry.")
    )


def build_schema(settings: Settings) -> strawberry.Schema:
    results = ResultCache("framework_reads")
    # The depth and alias rules are built once: they are classes, made per limit.
    rules: list[Any] = [
        depth_limit_rule(settings.max_query_depth, None, None),
        alias_limit_rule(settings.max_aliases),
    ]
    if settings.is_production:
        rules.append(NoSchemaIntrospectionCustomRule)
    documents = PreparedDocuments(
        rules=rules, max_tokens=settings.max_tokens, hide_suggestions=settings.is_production
    )
    built = Schema(
        query=Query,
        mutation=Mutation,
        scalar_overrides=SCALAR_OVERRIDES,
    )
    built.operations = Operations(
        documents=documents,
        max_cost=settings.max_query_cost,
        mask_internal=settings.is_production,
        cached_reads=CachedReads(
            cache=results,
            fields=FRAMEWORK_READS,
            types=framework_type,
            revision=lambda ctx: ctx.framework_revision,
            visibility=read_visibility,
        ),
    )
    answer_loaded_relations(built)
    answer_directly(built)
    answer_row_ids(built)
    return built


schema = build_schema(get_settings())
