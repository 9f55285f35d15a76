"""The components a message is made of (DESIGN §5), mirrored by the web app's renderer and the MCP server.

A message's plaintext is `{"v": 1, "type": "message", "components": [...]}`; every component is a JSON
object with a `type` discriminator. Unknown fields are rejected everywhere (`extra="forbid"`).

| type | fields |
|---|---|
| `text` | `text` (markdown) |
| `kv` | `entries`: [{`label`, `value`}], optional `title` |
| `alert` | `level` (info, success, warning, error), `text`, optional `title` |
| `button_group` | `buttons`: [{`label`, `action`, `variant` (primary, secondary, danger; default secondary)}] |
| `metric_grid` | `metrics`: [{`label`, `value`, optional `change`, optional `trend` (up, down, flat)}], optional `title` |
| `table` | `headers`: [str], `rows`: [[cell]] (each row as wide as `headers`), optional `title` |
| `chart` | `kind` (bar, line, pie), `labels`, and either `values` or `series`: [{`name`, `values`}] (each as long as `labels`; pie takes `values` only), optional `title` |
| `qa` | `questions`: [{`id`, `kind` (single, multi, open, number), `prompt`, `options` (single/multi only), `required` (default true)}], optional `title` |
| `wizard` | `steps`: [{`title`, `components`}] (the app shows a review screen before submit), optional `title` |
| `tabs` | `tabs`: [{`label`, `children`}] |
| `code` | `source`, optional `language`, optional `title` |
| `diff` | `diff` (unified diff) or `before` + `after` + `path` |
| `output` | `command`, optional `exit_code`, `stdout`, `stderr` |
| `image`, `file` | `name`, `media_type`, `data` (standard base64, ≤ 256 KiB decoded), optional `size` (must match); `image` has optional `alt` |
| `link` | `url` (http or https), optional `label` |

`button_group`, `qa` and `wizard` are interactive: a message holding one (at any depth) needs a
response. A response carries `action` (a button's `action`) or `answers` (`{question id: value}`).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hiloop.errors import InvalidComponent

__all__ = [
    "INLINE_LIMIT",
    "INTERACTIVE_TYPES",
    "KV",
    "QA",
    "Alert",
    "Button",
    "ButtonGroup",
    "Chart",
    "Code",
    "Component",
    "Diff",
    "Entry",
    "File",
    "Image",
    "Link",
    "Metric",
    "MetricGrid",
    "Output",
    "Question",
    "Series",
    "Tab",
    "Table",
    "Tabs",
    "Text",
    "Wizard",
    "WizardStep",
    "actions",
    "dump_components",
    "is_interactive",
    "parse_components",
    "questions",
]

INLINE_LIMIT = 256 * 1024  # bytes of an inline image or file, before base64
INTERACTIVE_TYPES = frozenset({"button_group", "qa", "wizard"})

_SHORT = 200
_LONG = 200_000
_MANY = 1000

Short = Annotated[str, Field(min_length=1, max_length=_SHORT)]
LongText = Annotated[str, Field(max_length=_LONG)]
Cell = Union[str, int, float, bool, None]
Number = Union[int, float]
_QUESTION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_B64_STD = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- content ----------------------------------------------------------------------------------


class Text(_Model):
    """Markdown text."""

    type: Literal["text"] = "text"
    text: LongText


class Entry(_Model):
    label: Short
    value: Annotated[str, Field(max_length=_LONG)]


class KV(_Model):
    """Labelled values, shown as a two-column list."""

    type: Literal["kv"] = "kv"
    title: Short | None = None
    entries: Annotated[list[Entry], Field(min_length=1, max_length=_MANY)]


class Alert(_Model):
    type: Literal["alert"] = "alert"
    level: Literal["info", "success", "warning", "error"] = "info"
    title: Short | None = None
    text: LongText


class Button(_Model):
    label: Short
    action: Short
    variant: Literal["primary", "secondary", "danger"] = "secondary"


class ButtonGroup(_Model):
    """Buttons; the chosen button's `action` is the response."""

    type: Literal["button_group"] = "button_group"
    buttons: Annotated[list[Button], Field(min_length=1, max_length=20)]

    @field_validator("buttons")
    @classmethod
    def _unique_actions(cls, buttons: list[Button]) -> list[Button]:
        seen: set[str] = set()
        for i, b in enumerate(buttons):
            if b.action in seen:
                raise ValueError(f"button {i} repeats the action {b.action!r}")
            seen.add(b.action)
        return buttons


class Metric(_Model):
    label: Short
    value: Union[str, int, float]
    change: Short | None = None
    trend: Literal["up", "down", "flat"] | None = None


class MetricGrid(_Model):
    type: Literal["metric_grid"] = "metric_grid"
    title: Short | None = None
    metrics: Annotated[list[Metric], Field(min_length=1, max_length=100)]


class Table(_Model):
    type: Literal["table"] = "table"
    title: Short | None = None
    headers: Annotated[list[Annotated[str, Field(max_length=_SHORT)]], Field(min_length=1, max_length=50)]
    rows: Annotated[list[list[Cell]], Field(max_length=5000)]

    @field_validator("rows")
    @classmethod
    def _rows_as_wide_as_headers(cls, rows: list[list[Cell]], info: ValidationInfo) -> list[list[Cell]]:
        headers = info.data.get("headers")
        if headers is None:
            return rows
        for i, row in enumerate(rows):
            if len(row) != len(headers):
                raise ValueError(f"row {i} has {len(row)} cells, headers have {len(headers)}")
        return rows


class Series(_Model):
    name: Short
    values: Annotated[list[Number], Field(max_length=_MANY)]


class Chart(_Model):
    """A bar, line or pie chart: one `values` list, or several named `series`, each as long as `labels`."""

    type: Literal["chart"] = "chart"
    kind: Literal["bar", "line", "pie"]
    title: Short | None = None
    labels: Annotated[list[Annotated[str, Field(max_length=_SHORT)]], Field(min_length=1, max_length=_MANY)]
    values: Annotated[list[Number], Field(max_length=_MANY)] | None = None
    series: Annotated[list[Series], Field(min_length=1, max_length=20)] | None = None

    @field_validator("values")
    @classmethod
    def _values_match_labels(cls, values: list[Number] | None, info: ValidationInfo) -> list[Number] | None:
        labels = info.data.get("labels")
        if values is not None and labels is not None and len(values) != len(labels):
            raise ValueError(f"{len(values)} values for {len(labels)} labels")
        return values

    @field_validator("series")
    @classmethod
    def _series_match_labels(cls, series: list[Series] | None, info: ValidationInfo) -> list[Series] | None:
        labels = info.data.get("labels")
        if series is not None and labels is not None:
            for i, s in enumerate(series):
                if len(s.values) != len(labels):
                    raise ValueError(f"series {i} ({s.name!r}) has {len(s.values)} values for {len(labels)} labels")
        return series

    @model_validator(mode="after")
    def _values_or_series(self) -> Chart:
        if (self.values is None) == (self.series is None):
            raise ValueError("give either values or series")
        if self.kind == "pie":
            if self.series is not None:
                raise ValueError("a pie chart takes values, not series")
            if self.values is not None and any(v < 0 for v in self.values):
                raise ValueError("a pie chart's values cannot be negative")
        return self


# --- questions --------------------------------------------------------------------------------


class Question(_Model):
    id: Annotated[str, Field(pattern=_QUESTION_ID.pattern)]
    kind: Literal["single", "multi", "open", "number"]
    prompt: Annotated[str, Field(min_length=1, max_length=2000)]
    options: Annotated[list[Short], Field(min_length=1, max_length=100)] | None = None
    required: bool = True

    @model_validator(mode="after")
    def _options_for_choices(self) -> Question:
        if self.kind in ("single", "multi") and not self.options:
            raise ValueError(f"a {self.kind} question needs options")
        if self.kind in ("open", "number") and self.options is not None:
            raise ValueError(f"an {self.kind} question takes no options" if self.kind == "open"
                             else "a number question takes no options")
        return self


class QA(_Model):
    """A form: each question has an id; the response's `answers` maps ids to values."""

    type: Literal["qa"] = "qa"
    title: Short | None = None
    questions: Annotated[list[Question], Field(min_length=1, max_length=100)]

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, questions: list[Question]) -> list[Question]:
        seen: set[str] = set()
        for i, q in enumerate(questions):
            if q.id in seen:
                raise ValueError(f"question {i} repeats the id {q.id!r}")
            seen.add(q.id)
        return questions


class WizardStep(_Model):
    title: Short
    components: Annotated[list[Component], Field(min_length=1, max_length=100)]

    @field_validator("components")
    @classmethod
    def _no_nested_wizard(cls, components: list[Component]) -> list[Component]:
        for i, c in enumerate(components):
            if isinstance(c, Wizard):
                raise ValueError(f"component {i}: a wizard cannot hold another wizard")
        return components


class Wizard(_Model):
    """Steps of components; the app shows a review screen before submit. Answers from every step's
    `qa` are sent together, so question ids must be unique across steps."""

    type: Literal["wizard"] = "wizard"
    title: Short | None = None
    steps: Annotated[list[WizardStep], Field(min_length=1, max_length=20)]

    @field_validator("steps")
    @classmethod
    def _unique_question_ids(cls, steps: list[WizardStep]) -> list[WizardStep]:
        seen: set[str] = set()
        for s in steps:
            for q in _questions(s.components):
                if q.id in seen:
                    raise ValueError(f"question id {q.id!r} appears in more than one place")
                seen.add(q.id)
        return steps


# --- layout -----------------------------------------------------------------------------------


class Tab(_Model):
    type: Literal["tab"] = "tab"
    label: Short
    children: Annotated[list[Component], Field(max_length=100)]


class Tabs(_Model):
    type: Literal["tabs"] = "tabs"
    tabs: Annotated[list[Tab], Field(min_length=1, max_length=20)]


# --- developer views --------------------------------------------------------------------------


class Code(_Model):
    type: Literal["code"] = "code"
    language: Annotated[str, Field(max_length=40)] | None = None
    title: Short | None = None
    source: LongText


class Diff(_Model):
    """A unified diff (`diff`), or a file's `before` and `after` text with its `path`."""

    type: Literal["diff"] = "diff"
    path: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    diff: LongText | None = None
    before: LongText | None = None
    after: LongText | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Diff:
        pair = self.before is not None or self.after is not None
        if self.diff is not None and pair:
            raise ValueError("give a unified diff or before/after, not both")
        if self.diff is None:
            if self.before is None or self.after is None:
                raise ValueError("give a unified diff, or both before and after")
            if self.path is None:
                raise ValueError("before/after needs a path")
        return self


class Output(_Model):
    """A command and what it printed."""

    type: Literal["output"] = "output"
    command: Annotated[str, Field(max_length=_LONG)]
    exit_code: int | None = None
    stdout: LongText = ""
    stderr: LongText = ""


class _Attachment(_Model):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    media_type: Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[\w.+-]+/[\w.+-]+$")]
    size: Annotated[int, Field(ge=0)] | None = None
    data: Annotated[str, Field(max_length=(INLINE_LIMIT * 4) // 3 + 4)]

    @field_validator("data")
    @classmethod
    def _base64_within_limit(cls, data: str) -> str:
        if not _B64_STD.match(data) or len(data) % 4:
            raise ValueError("data must be standard base64 (RFC 4648 §4, with padding)")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("data must be standard base64") from exc
        if len(raw) > INLINE_LIMIT:
            raise ValueError(f"{len(raw)} bytes is more than the inline limit of {INLINE_LIMIT}")
        return data

    @model_validator(mode="after")
    def _size_matches(self) -> _Attachment:
        actual = len(base64.b64decode(self.data))
        if self.size is None:
            self.size = actual
        elif self.size != actual:
            raise ValueError(f"size is {self.size} but data holds {actual} bytes")
        return self

    def content(self) -> bytes:
        """The decoded bytes."""
        return base64.b64decode(self.data)


class File(_Attachment):
    """A file, inline and encrypted with the message."""

    type: Literal["file"] = "file"

    @classmethod
    def from_bytes(cls, name: str, data: bytes, media_type: str | None = None) -> File:
        mt = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return cls(name=name, media_type=mt, size=len(data), data=base64.b64encode(data).decode("ascii"))

    @classmethod
    def from_path(cls, path: str | Path, media_type: str | None = None) -> File:
        p = Path(path)
        return cls.from_bytes(p.name, p.read_bytes(), media_type)


class Image(_Attachment):
    """An image, inline and encrypted with the message."""

    type: Literal["image"] = "image"
    alt: Short | None = None

    @field_validator("media_type")
    @classmethod
    def _an_image(cls, media_type: str) -> str:
        if not media_type.startswith("image/"):
            raise ValueError("an image's media_type starts with image/")
        return media_type

    @classmethod
    def from_bytes(cls, name: str, data: bytes, media_type: str | None = None, alt: str | None = None) -> Image:
        mt = media_type or mimetypes.guess_type(name)[0] or "image/png"
        return cls(name=name, media_type=mt, size=len(data), data=base64.b64encode(data).decode("ascii"), alt=alt)

    @classmethod
    def from_path(cls, path: str | Path, media_type: str | None = None, alt: str | None = None) -> Image:
        p = Path(path)
        return cls.from_bytes(p.name, p.read_bytes(), media_type, alt)


class Link(_Model):
    type: Literal["link"] = "link"
    url: Annotated[str, Field(min_length=1, max_length=4096)]
    label: Short | None = None

    @field_validator("url")
    @classmethod
    def _http_or_https(cls, url: str) -> str:
        if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
            raise ValueError("a URL cannot contain spaces or control characters")
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValueError("only http and https URLs are allowed")
        return url


Component = Annotated[
    Union[
        Text, KV, Alert, ButtonGroup, MetricGrid, Table, Chart, QA, Wizard, Tabs,
        Code, Diff, Output, Image, File, Link,
    ],
    Field(discriminator="type"),
]

WizardStep.model_rebuild()
Tab.model_rebuild()

_ADAPTER: TypeAdapter[Any] = TypeAdapter(Component)
_TYPES = frozenset({
    "text", "kv", "alert", "button_group", "metric_grid", "table", "chart", "qa", "wizard", "tabs",
    "code", "diff", "output", "image", "file", "link",
})
_COMPONENT_LISTS = frozenset({"children", "components"})


def _path(loc: Sequence[int | str], prefix: str) -> str:
    """Render a pydantic location as `components[1].buttons[0].action`, dropping union tags."""
    out = prefix
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        is_tag = part in _TYPES and (
            i == 0 or (isinstance(loc[i - 1], int) and i >= 2 and loc[i - 2] in _COMPONENT_LISTS)
        )
        if not is_tag:
            out += f".{part}"
    return out


def _message(err: Any) -> tuple[str, str]:
    kind = err.get("type", "")
    loc = list(err.get("loc", ()))
    msg = str(err.get("msg", "invalid"))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("type")
        if kind == "union_tag_invalid":
            got = err.get("ctx", {}).get("tag", "")
            msg = f"unknown component type {got!r}; expected one of {', '.join(sorted(_TYPES))}"
        else:
            msg = "Field required"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return _stripped(loc), msg


def _stripped(loc: list[Any]) -> str:
    return _path(loc, "")


def parse_components(items: Iterable[dict[str, Any] | BaseModel] | Any, *, field: str = "components") -> list[Any]:
    """Validate a list of components (dicts or models) and return the models.

    Raises InvalidComponent naming each problem's path: `components[1].buttons[0].action: Field required`.
    """
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, Iterable):
        raise InvalidComponent(f"{field}: expected a list of components", [(field, "expected a list")])
    out: list[Any] = []
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        prefix = f"{field}[{index}]"
        if isinstance(item, BaseModel) and item.__class__ in _MODEL_CLASSES:
            out.append(item)
            continue
        if isinstance(item, BaseModel):
            item = item.model_dump()
        if not isinstance(item, dict):
            problems.append((prefix, f"expected an object, got {type(item).__name__}"))
            continue
        try:
            out.append(_ADAPTER.validate_python(item))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                rel, msg = _message(err)
                problems.append((prefix + rel, msg))
    if problems:
        raise InvalidComponent("; ".join(f"{p}: {m}" for p, m in problems), problems)
    return out


def dump_components(components: Iterable[Any]) -> list[dict[str, Any]]:
    """Validated components as JSON-ready dicts (None fields left out)."""
    return [c.model_dump(mode="json", exclude_none=True) for c in parse_components(components)]


def _walk(components: Iterable[Any]) -> Iterable[Any]:
    for c in components:
        yield c
        if isinstance(c, Tabs):
            for tab in c.tabs:
                yield from _walk(tab.children)
        elif isinstance(c, Wizard):
            for step in c.steps:
                yield from _walk(step.components)


def _questions(components: Iterable[Any]) -> Iterable[Question]:
    for c in _walk(components):
        if isinstance(c, QA):
            yield from c.questions


def is_interactive(components: Iterable[Any]) -> bool:
    """True when a component asks for an answer (button_group, qa or wizard, at any depth)."""
    for c in _walk(parse_components(components)):
        if c.type in INTERACTIVE_TYPES:
            return True
    return False


def actions(components: Iterable[Any]) -> list[str]:
    """Every button action offered by these components, in order."""
    return [b.action for c in _walk(parse_components(components)) if isinstance(c, ButtonGroup) for b in c.buttons]


def questions(components: Iterable[Any]) -> list[Question]:
    """Every question asked by these components (qa forms, wizard steps, tabs), in order."""
    return list(_questions(parse_components(components)))


_MODEL_CLASSES = frozenset({
    Text, KV, Alert, ButtonGroup, MetricGrid, Table, Chart, QA, Wizard, Tabs, Code, Diff, Output, Image, File, Link,
})
