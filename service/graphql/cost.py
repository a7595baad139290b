"""The estimated cost of an operation: how many fields it may resolve.

Every field costs 1 for each time it can appear in the response. A field inside a list
appears once per item, so each list multiplies what it selects by its **size estimate**:

* a connection (``…Connection``): its page size, ``first`` or ``last`` (20 when absent,
  at most 100);
* a list with an argument that bounds it (``nodes(ids:)``, ``careerPaths(limit:)``,
  ``topGaps(limit:)``): the argument's length or value;
* any other list: the bound the service enforces on it (``Track.steps``: 50 steps), or, for
  lists the service does not bound, an estimate of their usual size. ``LIST_SIZES`` is the
  table; the README repeats it.

Variables count with the values sent, or their defaults when omitted. Introspection
(``__schema``, ``__type``) counts 1: it is off in production and fixed in size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    value_from_ast_untyped,
)

from service.graphql.pagination import DEFAULT_PAGE, MAX_PAGE

#: Estimate for a plain list the service does not bound and the table does not name.
UNBOUNDED_LIST = 20


@dataclass(frozen=True)
class Arg:
    """The list's size is an argument: its length (a list) or its value (an int)."""

    name: str
    default: int
    maximum: int


@dataclass(frozen=True)
class OneWith:
    """The list holds one item when the argument is given, else about ``otherwise``."""

    name: str
    otherwise: int


#: Size estimates of every plain list of objects, ``Type.field`` → a bound, ``Arg`` or
#: ``OneWith``.
#: Bounds marked "enforced" are limits the service checks on input; the others are
#: estimates of the usual size of lists the service does not bound (a role is on a few
#: tracks and has a few next roles; an employee's history grows slowly).
LIST_SIZES: dict[str, int | Arg | OneWith] = {
    "Query.nodes": Arg("ids", default=0, maximum=100),  # enforced: at most 100 IDs
    "Query.careerPaths": Arg("limit", default=5, maximum=20),  # enforced
    "Query.jobFamilies": 20,
    "Query.levels": 20,
    "Query.proficiencyScales": 20,  # enforced in documents: 20 scales
    "Assessment.ratings": 100,  # one per expectation of a role: enforced 100
    "AssessmentCycle.employees": 1000,  # enforced: 1,000 employees per cycle
    "CareerMove.tracks": 5,
    "CareerPath.steps": 7,  # enforced: at most 6 moves, so 7 steps
    "CareerPath.roles": 7,  # enforced, as steps
    "CareerPathStep.tracks": 5,
    "CareerPathStep.growth": 100,  # competencies of a role's expectations: enforced 100
    "Competency.descriptors": 20,  # enforced: 20 descriptors
    "AssessedCompetencyGap.ratings": 4,  # as CompetencyGap.ratings
    "CompetencyGap.ratings": 4,  # the latest of each kind of rating
    "CurrentProficiency.ratings": 4,  # the latest of each kind of rating
    "Employee.nextRoles": 5,
    "Employee.positionHistory": 10,
    "Employee.currentProficiencies": 100,
    "Employee.gapAnalysis": OneWith("roleId", otherwise=6),  # current and next roles
    "Employee.promotions": 5,
    "Employee.readinessHistory": 20,
    "Employee.developmentPlans": 5,
    "DevelopmentPlan.goals": 10,  # enforced: 10 goals per plan
    "DevelopmentPlan.overdueGoals": 10,  # enforced: 10 goals per plan
    "DevelopmentPlan.checkIns": 20,
    "DevelopmentGoal.actions": 10,  # enforced: 10 actions per goal
    "LearningResource.competencies": 20,  # enforced: 20 competencies per resource
    "MentorProfile.competencies": 20,  # enforced: 20 competencies
    "Query.developmentCompletion": 100,
    "ImportLearningResourcesPayload.results": 1000,  # enforced: 1,000 resources per call
    "PassedOverEntry.promotions": 5,
    "PassedOverEntry.readinessHistory": 20,
    "PromotionEvidence.expectations": 100,  # a role's expectations: enforced 100
    "PromotionEvidence.assessments": 20,  # enforced: 20 assessments
    "SuccessionPlan.successors": 50,  # enforced: 50 successors
    "GapAnalysis.expectations": 100,  # enforced: 100 expectations per role
    "GapAnalysis.topGaps": Arg("limit", default=3, maximum=20),  # enforced
    "GapAnalysis.strengths": Arg("limit", default=3, maximum=20),  # enforced
    "JobFamily.tracks": 5,
    "ProficiencyScale.levels": 10,  # enforced: 10 levels
    "Role.expectations": 100,  # enforced: 100 expectations
    "Role.warnings": 10,
    "Role.moves": 5,
    "Role.nextRoles": 5,
    "Role.lateralMoves": 5,
    "Role.previousRoles": 5,
    "Role.tracks": 5,
    "SkillGapGroup.weakestCompetencies": 3,  # enforced: the three weakest
    "SkillGapSummary.groups": 100,
    "TeamSkillsMatrix.competencies": 100,
    "TeamSkillsRow.cells": 100,  # one per competency column
    "Track.steps": 50,  # enforced: 50 steps
    "Query.webhookEventTypes": 30,
    "WebhookDelivery.attempts": 21,  # enforced: a retry schedule has at most 20 delays
    "RedeliverWebhookEventPayload.deliveries": 100,  # enforced: 100 endpoints
    "SyncPayload.results": 1000,  # enforced: 1,000 records per sync call
    "SyncRecordResult.errors": 3,  # a refused record usually has one or two problems
    "SyncRecordResult.notices": 1,  # enforced: only a pending manager
    "Posting.requirements": 30,  # enforced: 30 requirements per posting
    "PostingMatch.requirements": 30,  # one per requirement of the posting: enforced 30
    "CandidateMatch.requirements": 30,  # as PostingMatch.requirements
    "CareerAspiration.targetRoles": 10,  # enforced: 10 target roles
    "CareerAspiration.jobFamilies": 10,  # enforced: 10 families
    "Employee.applications": 20,
}

_INTROSPECTION = frozenset({"__schema", "__type"})


def is_object_list(field: GraphQLField) -> bool:
    return is_list_type(get_nullable_type(field.type)) and is_composite_type(
        get_named_type(field.type)
    )


def is_connection(type_: Any) -> bool:
    return (
        isinstance(type_, GraphQLObjectType)
        and type_.name.endswith("Connection")
        and "pageInfo" in type_.fields
    )


class CostEstimator:
    """Estimates one operation's cost against the schema."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        variables: dict[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = dict(variables or {})
        # An omitted variable counts with its default value.
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)

    def operation_cost(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self._cost(operation.selection_set, root, 1, frozenset())

    def _cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        multiplier: int,
        seen: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += multiplier
                name = selection.name.value
                if selection.selection_set is None or name in _INTROSPECTION:
                    continue
                field = self._field(parent, name)
                if field is None:
                    continue
                size = self._size(parent, name, field, selection)
                total += self._cost(
                    selection.selection_set, get_named_type(field.type), multiplier * size, seen
                )
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self._cost(selection.selection_set, target or parent, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self._cost(
                        fragment.selection_set, target or parent, multiplier, seen | {name}
                    )
        return total

    @staticmethod
    def _field(parent: Any, name: str) -> GraphQLField | None:
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return parent.fields.get(name)
        if isinstance(parent, GraphQLUnionType):
            return None
        return None

    def _size(self, parent: Any, name: str, field: GraphQLField, node: FieldNode) -> int:
        """How many times the field's selection appears per appearance of the field."""
        named = get_named_type(field.type)
        if is_connection(named):
            first = self._int_arg(node, "first")
            last = self._int_arg(node, "last")
            sizes = [s for s in (first, last) if s is not None]
            size = max(sizes) if sizes else DEFAULT_PAGE
            return max(0, min(size, MAX_PAGE))
        if is_connection(parent) and name in ("edges", "nodes"):
            return 1  # counted by the connection's page size
        if not is_object_list(field):
            return 1
        estimate = LIST_SIZES.get(f"{parent.name}.{name}", UNBOUNDED_LIST)
        if isinstance(estimate, int):
            return estimate
        if isinstance(estimate, OneWith):
            return 1 if self._arg(node, estimate.name) is not None else estimate.otherwise
        value = self._arg(node, estimate.name)
        if isinstance(value, list):
            size = len(value)
        elif isinstance(value, int):
            size = value
        else:
            size = estimate.default
        return max(0, min(size, estimate.maximum))

    def _int_arg(self, node: FieldNode, name: str) -> int | None:
        value = self._arg(node, name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _arg(self, node: FieldNode, name: str) -> Any:
        for arg in node.arguments or ():
            if arg.name.value == name:
                return self._value(arg.value)
        return None

    def _value(self, value: ValueNode) -> Any:
        if isinstance(value, VariableNode):
            return self.variables.get(value.name.value)
        if isinstance(value, ListValueNode):
            return [self._value(v) for v in value.values]
        return value_from_ast_untyped(value, self.variables)
