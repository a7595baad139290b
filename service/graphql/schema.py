"""The GraphQL schema, assembled from each domain's Query and Mutation fields."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions.max_aliases import create_validator as alias_limit_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from service.assessments.schema import AssessmentsMutation, AssessmentsQuery
from service.audit.schema import AuditQuery
from service.auth.schema import IdentityMutation, IdentityQuery
from service.config import Settings, get_settings
from service.development.schema import DevelopmentMutation, DevelopmentQuery
from service.framework.schema import FrameworkMutation, FrameworkQuery
from service.framework.service import read_visibility
from service.graphql.extensions import (
    CostLimitExtension,
    DeadlineExecutionContext,
    DocumentChecks,
    ErrorCodeExtension,
    PreparedDocuments,
    TransactionExtension,
)
from service.graphql.node import NodeQuery, answer_row_ids
from service.graphql.relations import answer_loaded_relations
from service.graphql.result_cache import CachedReadsExtension, ResultCache
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
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # ErrorCodeExtension logs the unexpected errors; expected ones (denials, bad input)
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
    documents = PreparedDocuments(rules=rules, max_tokens=settings.max_tokens)
    # Factories, so every request gets fresh extension instances.
    extensions: list[Any] = [
        TransactionExtension,
        partial(
            CachedReadsExtension,
            cache=results,
            fields=FRAMEWORK_READS,
            types=framework_type,
            revision=lambda ctx: ctx.framework_revision,
            visibility=read_visibility,
        ),
        partial(ErrorCodeExtension, mask_internal=settings.is_production),
        partial(DocumentChecks, documents=documents),
        partial(CostLimitExtension, max_cost=settings.max_query_cost),
    ]
    built = Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        execution_context_class=DeadlineExecutionContext,
        scalar_overrides=SCALAR_OVERRIDES,
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
    )
    answer_loaded_relations(built)
    answer_row_ids(built)
    return built


schema = build_schema(get_settings())
