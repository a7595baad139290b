"""The framework document: a career framework as one portable YAML or JSON file.

A framework document holds an organization's proficiency scales, levels, job families,
competencies, roles (with their expectations), tracks and explicit transitions. It is what
`careerpath framework import/export` read and write and what the demo ships with.

Field names are camelCase (``jobFamilies``, ``payBand``, ``requiredLevel``) to match the
GraphQL API; entities refer to each other by stable human keys (lowercase slugs), never by
database IDs, so a document moves between deployments unchanged.

Public API:

- :func:`parse_document` reads YAML, JSON or an already-decoded mapping, checks shape and
  cross-references, and raises :class:`DocumentError` listing every problem at once.
- :func:`dump_document` writes canonical, deterministic YAML or JSON, so that
  export → import → export is byte-identical.
- :func:`json_schema` is the JSON Schema of the format (committed as
  ``docs/framework.schema.json``; ``python -m service.framework.document`` prints it).
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import sys
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from service.db import unstorable_text
from service.entities import KEY_PATTERN as SLUG_PATTERN
from service.entities import MAX_KEY, MAX_NAME, MAX_TEXT

FORMAT_VERSION = 1
CURRENCY_PATTERN = r"^[A-Z]{3}$"

# Input limits: a document is untrusted input, so bound its size before and after decoding.
MAX_DOCUMENT_CHARS = 16 * 1024 * 1024
# YAML aliases can make a small text expand into a huge tree; validation walks the tree.
MAX_DOCUMENT_NODES = 2_000_000
# Nesting (brackets or indentation levels) read at all: a framework document needs a few.
MAX_DOCUMENT_DEPTH = 100

# Limits of the framework's content, shared by the document and the mutations (keys, names
# and texts have the limits of every entity, from service.entities).
MAX_DESCRIPTOR = 2000
MAX_CATEGORY = 100
MAX_LEVEL_NAME = 100
MIN_SCALE_LEVELS, MAX_SCALE_LEVELS = 2, 10
MAX_SCALE_VALUE = 20
MAX_DESCRIPTORS = 20
MAX_EXPECTATIONS = 100
MAX_TRACK_STEPS = 50
MAX_PAY = 1_000_000_000
MAX_RANK = 1000
MAX_WEIGHT = 100

Key = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=MAX_KEY)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]

Fmt = Literal["yaml", "json"]
TrackKind = Literal["IC", "MANAGEMENT", "OTHER"]
TransitionKind = Literal["PROMOTION", "LATERAL"]


class _Model(BaseModel):
    # strict: a document is data, not Python; "3" is not a rank and "yes" is not a bool.
    # validate_by_name lets Python code build models with snake_case names; documents are
    # always read by alias only (see parse_document).
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        str_strip_whitespace=True,
    )


class ScaleLevel(_Model):
    """One step of a proficiency scale. Values run 1..n in the order the steps are listed."""

    value: int = Field(ge=1, le=MAX_SCALE_VALUE, description="Position on the scale, 1 = lowest.")
    name: Annotated[str, Field(min_length=1, max_length=MAX_LEVEL_NAME)] = Field(
        description="Short label, e.g. Awareness or Expert."
    )
    description: Text | None = Field(default=None, description="What this step means.")


class ProficiencyScale(_Model):
    """A named, ordered scale that competencies are rated on (e.g. 1 Awareness … 5 Expert)."""

    key: Key
    name: Name
    description: Text | None = None
    levels: list[ScaleLevel] = Field(min_length=MIN_SCALE_LEVELS, max_length=MAX_SCALE_LEVELS)


class Level(_Model):
    """A step of the organization's leveling scale; rank orders roles across families."""

    key: Key
    name: Name
    rank: int = Field(ge=1, le=MAX_RANK, description="Higher rank = more senior. Unique.")
    description: Text | None = None


class JobFamily(_Model):
    """A group of roles sharing a function and skills, e.g. Marketing or Engineering."""

    key: Key
    name: Name
    description: Text | None = None


class Descriptor(_Model):
    """What a competency looks like at one level of its scale."""

    level: int = Field(ge=1, le=MAX_SCALE_VALUE, description="Scale level value this describes.")
    description: Annotated[str, Field(min_length=1, max_length=MAX_DESCRIPTOR)]


class Competency(_Model):
    """A skill or behaviour rated on a proficiency scale, with a descriptor per level."""

    key: Key
    name: Name
    category: Annotated[str, Field(min_length=1, max_length=MAX_CATEGORY)] | None = Field(
        default=None, description="Free-form grouping, e.g. Core, Leadership, Engineering."
    )
    description: Text | None = None
    scale: Key = Field(description="Key of the proficiency scale this competency uses.")
    descriptors: list[Descriptor] = Field(default_factory=list, max_length=MAX_DESCRIPTORS)


class PayBand(_Model):
    """Pay range for a role in whole units of currency (e.g. annual salary)."""

    min: int = Field(ge=0, le=MAX_PAY)
    mid: int = Field(ge=0, le=MAX_PAY)
    max: int = Field(ge=0, le=MAX_PAY)
    currency: str = Field(pattern=CURRENCY_PATTERN, description="ISO 4217 code, e.g. USD.")


class Expectation(_Model):
    """A competency a role requires, at a level of that competency's scale."""

    competency: Key = Field(description="Key of the competency.")
    required_level: int = Field(ge=1, le=MAX_SCALE_VALUE, description="Scale level value required.")
    weight: float = Field(
        default=1.0, gt=0, le=MAX_WEIGHT, description="Relative weight in readiness."
    )
    core: bool = Field(default=True, description="Core competencies of the role (aim for 4–6).")
    note: Text | None = Field(default=None, description="Role-specific detail.")


class Role(_Model):
    """A position in a job family at a level, with its expectations."""

    key: Key
    family: Key = Field(description="Key of the job family.")
    level: Key = Field(description="Key of the level.")
    title: Name
    description: Text | None = None
    pay_band: PayBand | None = None
    expectations: list[Expectation] = Field(default_factory=list, max_length=MAX_EXPECTATIONS)


class Track(_Model):
    """An ordered ladder of roles within one family; consecutive roles are promotions."""

    key: Key
    family: Key
    name: Name
    kind: TrackKind
    description: Text | None = None
    roles: list[Key] = Field(
        min_length=1, max_length=MAX_TRACK_STEPS, description="Role keys, lowest first."
    )


class Transition(_Model):
    """An explicit move between two roles beyond those implied by track order."""

    kind: TransitionKind
    from_role: Key
    to_role: Key
    note: Text | None = None


class FrameworkDocument(_Model):
    """A careerpath framework document (format version 1)."""

    version: Literal[1] = Field(description="Format version; always 1.")
    notice: Annotated[str, Field(min_length=1, max_length=10_000)] | None = Field(
        default=None, description="Attribution or licence notice for adapted content."
    )
    scales: list[ProficiencyScale] = Field(default_factory=list, max_length=20)
    levels: list[Level] = Field(default_factory=list, max_length=100)
    job_families: list[JobFamily] = Field(default_factory=list, max_length=500)
    competencies: list[Competency] = Field(default_factory=list, max_length=1000)
    roles: list[Role] = Field(default_factory=list, max_length=2000)
    tracks: list[Track] = Field(default_factory=list, max_length=1000)
    transitions: list[Transition] = Field(default_factory=list, max_length=10_000)


def implied_promotions(doc: FrameworkDocument) -> list[tuple[str, str, str]]:
    """PROMOTION edges implied by track order: (from role, to role, first track implying it)."""
    edges: dict[tuple[str, str], str] = {}
    for track in doc.tracks:
        for lower, higher in zip(track.roles, track.roles[1:], strict=False):
            edges.setdefault((lower, higher), track.key)
    return [(a, b, t) for (a, b), t in edges.items()]


# --------------------------------------------------------------------------- errors

Loc = tuple[str | int, ...]


class Problem(NamedTuple):
    """One problem in a document: where (e.g. ``roles[3].expectations[1].competency``) and what."""

    path: str
    message: str


class DocumentError(ValueError):
    """A document that cannot be used; ``problems`` lists every problem found, in document order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [f"  {p.path or '(document)'}: {p.message}" for p in problems]
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"invalid framework document ({count}):\n" + "\n".join(lines))


def format_path(loc: Loc) -> str:
    """("roles", 3, "key") -> "roles[3].key"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _sort_key(loc: Loc) -> tuple[Any, ...]:
    # Document order: fields in declaration order, list items by index.
    key: list[tuple[int, int, str]] = []
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            key.append((0, part, ""))
            continue
        model = _model_at(loc[:depth])
        names = [(f.alias or n) for n, f in model.model_fields.items()] if model else []
        key.append((1, names.index(part) if part in names else len(names), part))
    return tuple(key)


def _show(value: Any) -> str:
    """A value as it would appear in JSON, for messages."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f' (did you mean "{match[0]}"?)' if match else ""


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the object at ``loc`` (used to suggest field names)."""
    model: type[BaseModel] = FrameworkDocument
    for part in loc:
        if isinstance(part, int):
            continue  # a list index: the item type was already resolved from the list field
        fields = {(f.alias or n): f for n, f in model.model_fields.items()}
        if part not in fields:
            return None
        inner = _inner_model(fields[part].annotation)
        if inner is None:
            return None
        model = inner
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _shape_problem(err: Any) -> tuple[Loc, str]:
    """Translate one pydantic error into (location, message) in document terms."""
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = [(f.alias or n) for n, f in parent.model_fields.items()] if parent else []
        return loc, f'unknown field "{loc[-1]}"' + _did_you_mean(str(loc[-1]), allowed)
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == SLUG_PATTERN:
        return loc, (
            f"{_show(err['input'])} is not a valid key: use lowercase letters, digits "
            'and single hyphens, e.g. "senior-engineer"'
        )
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == CURRENCY_PATTERN:
        return loc, f'{_show(err["input"])} is not a three-letter currency code like "USD"'
    if loc == ("version",) and kind == "literal_error":
        return loc, f"unsupported version {_show(err['input'])}; expected {FORMAT_VERSION}"
    msg: str = err["msg"]
    return loc, msg[:1].lower() + msg[1:]


# --------------------------------------------------------------------------- loading


# libyaml's parser is ~40x faster than the pure-Python one on large documents.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that rejects duplicate mapping keys instead of silently keeping the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, typing.Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {_show(str(key))}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _fail(message: str) -> DocumentError:
    return DocumentError([Problem("", message)])


def _load(data: str | bytes | dict[str, Any], fmt: Fmt | None) -> Any:
    raw = data if isinstance(data, dict) else _decode(data, fmt)
    if raw is None:
        raise _fail("document is empty")
    if _too_many_nodes(raw):
        raise _fail(f"document expands to more than {MAX_DOCUMENT_NODES} values")
    if _too_deep(raw):
        raise _fail(f"document is nested more than {MAX_DOCUMENT_DEPTH} levels deep")
    unstorable = _unstorable(raw)
    if unstorable:
        raise DocumentError(unstorable)
    return raw


def _decode(data: str | bytes, fmt: Fmt | None) -> Any:
    if len(data) > MAX_DOCUMENT_CHARS:
        raise _fail(f"document is larger than {MAX_DOCUMENT_CHARS // (1024 * 1024)} MiB")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _fail(f"document is not valid UTF-8 (byte {exc.start})") from None
    else:
        text = data
    if fmt is None:
        fmt = "json" if text.lstrip().startswith("{") else "yaml"
    if fmt not in ("json", "yaml"):
        raise ValueError(f"unknown format {fmt!r}; use 'yaml' or 'json'")
    name = fmt.upper()
    if fmt == "yaml" and _yaml_too_deep(text):
        # libyaml builds nested collections recursively in C: tens of thousands of levels
        # overflow the stack and end the process, so they are counted before it builds.
        raise _fail(f"invalid YAML: nested more than {MAX_DOCUMENT_DEPTH} levels deep")
    try:
        if fmt == "json":
            return json.loads(
                text, object_pairs_hook=_unique_json_object, parse_constant=_no_constant
            )
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise _fail(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except _DuplicateJsonKey as exc:
        raise _fail(f"invalid JSON: duplicate key {_show(exc.args[0])}") from None
    except _NonFiniteNumber as exc:
        raise _fail(f"invalid JSON: {exc.args[0]} is not a number JSON allows") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise _fail(f"invalid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise _fail(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise _fail(f"invalid {name}: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # A value the parser recognised but Python cannot hold: a date such as 2024-02-30
        # or year 0, a mapping key that is itself a list, an integer of thousands of
        # digits, text that is not Unicode (an unpaired surrogate).
        raise _fail(f"invalid {name}: {_value_problem(exc)}") from None


def _value_problem(exc: Exception) -> str:
    if isinstance(exc, UnicodeError):
        return "text that is not valid Unicode"
    if isinstance(exc, TypeError):
        return "a mapping key that is a list or a mapping"
    message = str(exc)
    if "integer string conversion" in message:
        return "an integer with too many digits"
    return f"a value that cannot be read ({message})"


def _yaml_too_deep(text: str) -> bool:
    """Whether the YAML ``text`` nests collections more than ``MAX_DOCUMENT_DEPTH`` deep.

    A cheap upper bound first (flow brackets, and distinct indentations, each of which
    may open a level; brackets in strings count too), which every real framework document
    stays under; only above it are the parser's events counted, exactly and without
    recursion, up to the first problem the loader will then report itself."""
    flow = deepest = 0
    for char in text:
        if char in "[{":
            flow += 1
            deepest = max(deepest, flow)
        elif char in "]}":
            flow = max(flow - 1, 0)
    indents = {len(line) - len(line.lstrip(" -?:")) for line in text.splitlines()}
    if deepest + len(indents) <= MAX_DOCUMENT_DEPTH:
        return False
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DOCUMENT_DEPTH:
                    return True
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return False
    return False


class _NonFiniteNumber(Exception):
    pass


def _no_constant(name: str) -> Any:
    raise _NonFiniteNumber(name)


class _DuplicateJsonKey(Exception):
    pass


def _unique_json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateJsonKey(key)
        out[key] = value
    return out


def _too_many_nodes(raw: Any) -> bool:
    # Counts the tree as validation will see it (aliases expanded); stops at the limit.
    stack, count = [raw], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_DOCUMENT_NODES:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _unstorable(raw: Any) -> list[Problem]:
    """Values no field can hold, at their paths: text with a NUL character or an unpaired
    surrogate (JSON's ``\\u0000`` and ``\\ud800`` escapes decode to them; PostgreSQL
    text stores neither) and numbers that are not finite (YAML's ``.nan`` and ``.inf``)."""
    found: list[tuple[Loc, str]] = []
    stack: list[tuple[Loc, Any]] = [((), raw)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                bad = unstorable_text(key) if isinstance(key, str) else None
                if bad:
                    found.append(((*loc, _printable(key)), f"key {bad}"))
                    continue
                at = (*loc, str(key))
                stack.append((at, value))
        elif isinstance(node, list):
            stack.extend(((*loc, i), value) for i, value in enumerate(node))
        elif isinstance(node, str) and (bad := unstorable_text(node)):
            found.append((loc, bad))
        elif isinstance(node, float) and not math.isfinite(node):
            found.append((loc, "is not a finite number"))
    found.sort(key=lambda p: _sort_key(p[0]))
    return [Problem(format_path(loc), message) for loc, message in found]


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _too_deep(raw: Any) -> bool:
    # Validation and the reference checks walk the tree recursively.
    stack = [(raw, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DOCUMENT_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return False


# --------------------------------------------------------------------------- checking


@dataclass
class _Items:
    """The entities available for cross-reference checks, with their index in the document.

    When the document has shape errors, only the entries that validate on their own are
    here; the keys of the others go to ``unchecked`` so that references to them are not
    reported as unknown (their own shape errors already are). ``unchecked[x] is None``
    means the whole section was unusable: references into it are not checked at all.
    """

    scales: list[tuple[int, ProficiencyScale]] = field(default_factory=list)
    levels: list[tuple[int, Level]] = field(default_factory=list)
    job_families: list[tuple[int, JobFamily]] = field(default_factory=list)
    competencies: list[tuple[int, Competency]] = field(default_factory=list)
    roles: list[tuple[int, Role]] = field(default_factory=list)
    tracks: list[tuple[int, Track]] = field(default_factory=list)
    transitions: list[tuple[int, Transition]] = field(default_factory=list)
    unchecked: dict[str, set[str] | None] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: FrameworkDocument) -> _Items:
        items = cls()
        for name in _SECTIONS:
            setattr(items, name, list(enumerate(getattr(doc, name))))
        return items

    @classmethod
    def from_raw(cls, raw: Any) -> _Items:
        items = cls()
        if not isinstance(raw, dict):
            items.unchecked = dict.fromkeys(_SECTIONS)
            return items
        # A missing section next to unknown top-level fields is probably misspelt
        # ("job_families"): don't report every reference into it as unknown.
        misspelt = bool(set(raw) - set(_TOP_FIELDS))
        for name, model in _SECTIONS.items():
            alias = to_camel(name)
            entries = raw.get(alias, [])
            if not isinstance(entries, list) or (alias not in raw and misspelt):
                items.unchecked[name] = None
                continue
            valid, invalid_keys = [], set()
            for i, entry in enumerate(entries):
                checked = _validate_ignoring_unknown_fields(model, entry)
                if checked is not None:
                    valid.append((i, checked))
                elif isinstance(entry, dict) and isinstance(entry.get("key"), str):
                    invalid_keys.add(entry["key"].strip())
            setattr(items, name, valid)
            items.unchecked[name] = invalid_keys
        return items


def _validate_ignoring_unknown_fields(model: type[_Model], entry: Any) -> _Model | None:
    """``entry`` as a ``model`` once its unknown fields are dropped, or None if it has other
    problems. Unknown fields are already reported; what the entry says otherwise is still
    checked against the rest of the document."""
    try:
        return model.model_validate(entry, by_alias=True, by_name=False)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    if any(err["type"] != "extra_forbidden" for err in errors):
        return None
    pruned = copy.deepcopy(entry)
    for err in errors:
        parent = pruned
        for part in err["loc"][:-1]:
            parent = parent[part]
        parent.pop(err["loc"][-1], None)
    try:
        return model.model_validate(pruned, by_alias=True, by_name=False)
    except ValidationError:
        return None


_SECTIONS: dict[str, type[_Model]] = {
    "scales": ProficiencyScale,
    "levels": Level,
    "job_families": JobFamily,
    "competencies": Competency,
    "roles": Role,
    "tracks": Track,
    "transitions": Transition,
}


_TOP_FIELDS = [(f.alias or n) for n, f in FrameworkDocument.model_fields.items()]


class _Checker:
    """Cross-reference rules. Each rule appends (location, message) to ``problems``."""

    def __init__(self, items: _Items) -> None:
        self.items = items
        self.problems: list[tuple[Loc, str]] = []
        self.scales = self._unique("scales", "scale", items.scales)
        self.levels = self._unique("levels", "level", items.levels)
        self.families = self._unique("jobFamilies", "job family", items.job_families)
        self.competencies = self._unique("competencies", "competency", items.competencies)
        self.roles = self._unique("roles", "role", items.roles)
        self._unique("tracks", "track", items.tracks)

    def _unique(self, section: str, label: str, entries: list[tuple[int, Any]]) -> dict[str, Any]:
        first: dict[str, int] = {}
        by_key: dict[str, Any] = {}
        for i, entry in entries:
            if entry.key in first:
                where = format_path((section, first[entry.key]))
                self.problems.append(
                    ((section, i, "key"), f'duplicate {label} key "{entry.key}" (also {where})')
                )
            else:
                first[entry.key] = i
                by_key[entry.key] = entry
        return by_key

    def _known(self, section: str, known: dict[str, Any], label: str, key: str, loc: Loc) -> bool:
        """True if ``key`` resolves to a usable entry; reports it when it cannot exist."""
        if key in known:
            return True
        unchecked = self.items.unchecked.get(section, set())
        if unchecked is None or key in unchecked:
            return False  # the entry exists but is invalid, or the section is unusable
        self.problems.append((loc, f'unknown {label} key "{key}"' + _did_you_mean(key, known)))
        return False

    def _rank(self, role_key: str) -> tuple[str, int] | None:
        role = self.roles.get(role_key)
        level = self.levels.get(role.level) if role else None
        return (level.key, level.rank) if level else None

    def run(self) -> list[tuple[Loc, str]]:
        self.check_scales()
        self.check_levels()
        self.check_competencies()
        self.check_roles()
        implied = self.check_tracks()
        self.check_transitions(implied)
        return self.problems

    def check_scales(self) -> None:
        for i, scale in self.items.scales:
            names: dict[str, int] = {}
            for pos, step in enumerate(scale.levels):
                loc: Loc = ("scales", i, "levels", pos)
                if step.value != pos + 1:
                    self.problems.append(
                        (
                            (*loc, "value"),
                            f"expected value {pos + 1}, got {step.value}: "
                            "level values must run 1, 2, 3, … in the order listed",
                        )
                    )
                if step.name in names:
                    self.problems.append(
                        (
                            (*loc, "name"),
                            f'duplicate level name "{step.name}" '
                            f"(also {format_path(('scales', i, 'levels', names[step.name]))})",
                        )
                    )
                names.setdefault(step.name, pos)

    def check_levels(self) -> None:
        ranks: dict[int, str] = {}
        for i, level in self.items.levels:
            if level.rank in ranks and ranks[level.rank] != level.key:
                self.problems.append(
                    (
                        ("levels", i, "rank"),
                        f'rank {level.rank} is already used by level "{ranks[level.rank]}"',
                    )
                )
            ranks.setdefault(level.rank, level.key)

    def _scale_size(self, scale_key: str) -> int | None:
        scale = self.scales.get(scale_key)
        return len(scale.levels) if scale else None

    def check_competencies(self) -> None:
        for i, comp in self.items.competencies:
            loc: Loc = ("competencies", i)
            if not self._known("scales", self.scales, "scale", comp.scale, (*loc, "scale")):
                continue
            size = self._scale_size(comp.scale)
            seen: dict[int, int] = {}
            for j, descriptor in enumerate(comp.descriptors):
                dloc: Loc = (*loc, "descriptors", j, "level")
                if size is not None and descriptor.level > size:
                    self.problems.append(
                        (
                            dloc,
                            f'level {descriptor.level} is outside scale "{comp.scale}" (1..{size})',
                        )
                    )
                if descriptor.level in seen:
                    self.problems.append(
                        (
                            dloc,
                            f"descriptor for level {descriptor.level} is given twice "
                            f"(also {format_path((*loc, 'descriptors', seen[descriptor.level]))})",
                        )
                    )
                seen.setdefault(descriptor.level, j)

    def check_roles(self) -> None:
        for i, role in self.items.roles:
            loc: Loc = ("roles", i)
            self._known("job_families", self.families, "job family", role.family, (*loc, "family"))
            self._known("levels", self.levels, "level", role.level, (*loc, "level"))
            band = role.pay_band
            if band and not band.min <= band.mid <= band.max:
                self.problems.append(
                    (
                        (*loc, "payBand"),
                        f"pay band must have min ≤ mid ≤ max, got min {band.min}, "
                        f"mid {band.mid}, max {band.max}",
                    )
                )
            seen: dict[str, int] = {}
            for j, exp in enumerate(role.expectations):
                eloc: Loc = (*loc, "expectations", j)
                if exp.competency in seen:
                    self.problems.append(
                        (
                            (*eloc, "competency"),
                            f'competency "{exp.competency}" is already expected on this role '
                            f"(also {format_path((*loc, 'expectations', seen[exp.competency]))})",
                        )
                    )
                    continue
                seen[exp.competency] = j
                comp_loc = (*eloc, "competency")
                if not self._known(
                    "competencies", self.competencies, "competency", exp.competency, comp_loc
                ):
                    continue
                scale_key = self.competencies[exp.competency].scale
                size = self._scale_size(scale_key)
                if size is not None and exp.required_level > size:
                    self.problems.append(
                        (
                            (*eloc, "requiredLevel"),
                            f"required level {exp.required_level} is outside scale "
                            f'"{scale_key}" of competency "{exp.competency}" (1..{size})',
                        )
                    )

    def check_tracks(self) -> dict[tuple[str, str], str]:
        """Checks tracks; returns the promotion edges they imply, mapped to the first track."""
        implied: dict[tuple[str, str], str] = {}
        for i, track in self.items.tracks:
            loc: Loc = ("tracks", i)
            self._known("job_families", self.families, "job family", track.family, (*loc, "family"))
            positions: dict[str, int] = {}
            previous: str | None = None
            for j, role_key in enumerate(track.roles):
                rloc: Loc = (*loc, "roles", j)
                if role_key in positions:
                    self.problems.append(
                        (
                            rloc,
                            f'role "{role_key}" appears twice in this track '
                            f"(also {format_path((*loc, 'roles', positions[role_key]))}); "
                            "a track cannot loop back",
                        )
                    )
                    previous = None
                    continue
                positions[role_key] = j
                if not self._known("roles", self.roles, "role", role_key, rloc):
                    previous = None
                    continue
                role = self.roles[role_key]
                if role.family != track.family:
                    self.problems.append(
                        (
                            rloc,
                            f'role "{role_key}" belongs to family "{role.family}", '
                            f'not the track\'s family "{track.family}"',
                        )
                    )
                if previous is not None:
                    implied.setdefault((previous, role_key), track.key)
                    self._check_not_down(rloc, previous, role_key, "track step")
                previous = role_key
        return implied

    def _check_not_down(self, loc: Loc, lower: str, higher: str, what: str) -> None:
        a, b = self._rank(lower), self._rank(higher)
        if a and b and b[1] < a[1]:
            self.problems.append(
                (
                    loc,
                    f'{what} goes down from "{lower}" (level "{a[0]}", rank {a[1]}) '
                    f'to "{higher}" (level "{b[0]}", rank {b[1]})',
                )
            )

    def check_transitions(self, implied: dict[tuple[str, str], str]) -> None:
        seen: dict[tuple[str, str], int] = {}
        for i, tr in self.items.transitions:
            loc: Loc = ("transitions", i)
            known_from = self._known("roles", self.roles, "role", tr.from_role, (*loc, "fromRole"))
            known_to = self._known("roles", self.roles, "role", tr.to_role, (*loc, "toRole"))
            pair = (tr.from_role, tr.to_role)
            if tr.from_role == tr.to_role:
                self.problems.append(
                    ((*loc, "toRole"), f'transition from "{tr.to_role}" to itself')
                )
            elif pair in seen:
                self.problems.append(
                    (
                        loc,
                        f'duplicate transition from "{tr.from_role}" to "{tr.to_role}" '
                        f"(also {format_path(('transitions', seen[pair]))})",
                    )
                )
            elif pair in implied:
                self.problems.append(
                    (
                        loc,
                        f'transition from "{tr.from_role}" to "{tr.to_role}" is already '
                        f'implied by track "{implied[pair]}"',
                    )
                )
            elif tr.kind == "PROMOTION" and known_from and known_to:
                self._check_not_down((*loc, "toRole"), tr.from_role, tr.to_role, "promotion")
            seen.setdefault(pair, i)


# --------------------------------------------------------------------------- public API


def parse_document(
    data: str | bytes | dict[str, Any], *, fmt: Fmt | None = None
) -> FrameworkDocument:
    """Read and check a framework document.

    ``data`` is YAML or JSON text (``fmt`` picks the parser; ``None`` detects JSON by a
    leading ``{`` and otherwise reads YAML, which also accepts most JSON) or an already
    decoded mapping. Raises :class:`DocumentError` with every shape and cross-reference
    problem found, sorted in document order.
    """
    raw = _load(data, fmt)
    if not isinstance(raw, dict):
        raise _fail(f"document must be a mapping at the top level, got {type(raw).__name__}")
    doc: FrameworkDocument | None
    try:
        doc = FrameworkDocument.model_validate(raw, by_alias=True, by_name=False)
        shape: list[tuple[Loc, str]] = []
        items = _Items.from_document(doc)
    except ValidationError as exc:
        # Keep going: check references among the entries that are well-formed, so the
        # author sees every problem in one pass.
        doc = None
        shape = [_shape_problem(err) for err in exc.errors(include_url=False)]
        items = _Items.from_raw(raw)
    found = shape + _Checker(items).run()
    if found or doc is None:
        found.sort(key=lambda p: _sort_key(p[0]))
        raise DocumentError([Problem(format_path(loc), msg) for loc, msg in found])
    return doc


def canonicalize(doc: FrameworkDocument) -> FrameworkDocument:
    """A copy in canonical order: entities sorted by key, except levels, which are sorted
    by rank; expectations by competency, descriptors by level, transitions by (from, to,
    kind). Track roles and scale levels keep their order because their order is their
    meaning."""
    out = doc.model_copy(deep=True)
    for name in ("scales", "job_families", "competencies", "roles", "tracks"):
        getattr(out, name).sort(key=lambda entity: entity.key)
    out.levels.sort(key=lambda level: (level.rank, level.key))  # the scale reads lowest first
    for comp in out.competencies:
        comp.descriptors.sort(key=lambda d: d.level)
    for role in out.roles:
        role.expectations.sort(key=lambda e: e.competency)
    out.transitions.sort(key=lambda t: (t.from_role, t.to_role, t.kind))
    return out


# libyaml's emitter is several times faster than the pure-Python one on large frameworks and
# writes the same bytes.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Block-style YAML, multi-line strings as literal blocks, never anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# Characters YAML reads as line breaks besides "\n"; written raw, they would be folded away.
_OTHER_LINE_BREAKS = frozenset("\r\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if _OTHER_LINE_BREAKS.intersection(value):
        style = '"'  # escaped, so they survive exactly
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_document(doc: FrameworkDocument, fmt: Fmt = "yaml") -> str:
    """Canonical text of ``doc``: sorted as by :func:`canonicalize`, fields in a fixed order,
    fields at their default value omitted. Parsing the output and dumping again gives the
    same bytes."""
    data = canonicalize(doc).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for role in data.get("roles", []):
        for expectation in role.get("expectations", []):
            weight = expectation.get("weight")
            if isinstance(weight, float) and weight.is_integer():
                expectation["weight"] = int(weight)  # "weight: 2", not "weight: 2.0"
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.dump(
            data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2
        )
    raise ValueError(f"unknown format {fmt!r}; use 'yaml' or 'json'")


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the document, generated from the models."""
    schema = FrameworkDocument.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def json_schema_text() -> str:
    """The schema exactly as committed in docs/framework.schema.json."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(json_schema_text())
