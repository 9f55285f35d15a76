"""Every component type: a valid example parses, and each kind of mistake is named by its field path."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from hiloop.components import (
    INLINE_LIMIT,
    File,
    Image,
    Text,
    actions,
    dump_components,
    is_interactive,
    parse_components,
    questions,
)
from hiloop.errors import HiloopError, InvalidComponent

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()

VALID: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": "**Deploy** v2.4.1"},
    "kv": {"type": "kv", "title": "Release", "entries": [{"label": "version", "value": "2.4.1"}]},
    "alert": {"type": "alert", "level": "warning", "text": "Migrations pending"},
    "button_group": {"type": "button_group", "buttons": [
        {"label": "Approve", "action": "approve", "variant": "primary"},
        {"label": "Deny", "action": "deny", "variant": "danger"},
    ]},
    "metric_grid": {"type": "metric_grid", "metrics": [
        {"label": "p99", "value": "120 ms", "change": "-8%", "trend": "down"}, {"label": "errors", "value": 3},
    ]},
    "table": {"type": "table", "headers": ["host", "cpu"], "rows": [["a", 0.5], ["b", None]]},
    "chart": {"type": "chart", "kind": "line", "labels": ["Mon", "Tue"],
              "series": [{"name": "req", "values": [1, 2]}, {"name": "err", "values": [0, 1]}]},
    "qa": {"type": "qa", "questions": [
        {"id": "where", "kind": "single", "prompt": "Where?", "options": ["Pizza", "Sushi"]},
        {"id": "why", "kind": "open", "prompt": "Why?", "required": False},
        {"id": "n", "kind": "number", "prompt": "How many?"},
        {"id": "tags", "kind": "multi", "prompt": "Tags", "options": ["a", "b"]},
    ]},
    "wizard": {"type": "wizard", "steps": [
        {"title": "One", "components": [{"type": "qa", "questions": [{"id": "a", "kind": "open", "prompt": "A?"}]}]},
        {"title": "Two", "components": [{"type": "qa", "questions": [{"id": "b", "kind": "open", "prompt": "B?"}]}]},
    ]},
    "tabs": {"type": "tabs", "tabs": [
        {"label": "Summary", "children": [{"type": "text", "text": "hi"}]},
        {"type": "tab", "label": "Logs", "children": [{"type": "code", "language": "text", "source": "ok"}]},
    ]},
    "code": {"type": "code", "language": "python", "source": "print(1)"},
    "diff": {"type": "diff", "diff": "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n"},
    "output": {"type": "output", "command": "pytest", "exit_code": 0, "stdout": "ok", "stderr": ""},
    "image": {"type": "image", "name": "chart.png", "media_type": "image/png", "data": PNG, "alt": "a chart"},
    "file": {"type": "file", "name": "report.csv", "media_type": "text/csv", "size": 3, "data": "YSxi"},
    "link": {"type": "link", "url": "https://example.com/runs/1", "label": "Run"},
}

INVALID: list[tuple[dict[str, Any], str]] = [
    ({"type": "text"}, "components[0].text: Field required"),
    ({"type": "kv", "entries": [{"label": "a"}]}, "components[0].entries[0].value: Field required"),
    ({"type": "alert", "level": "panic", "text": "x"}, "components[0].level: Input should be"),
    ({"type": "button_group", "buttons": [{"label": "Go"}]}, "components[0].buttons[0].action: Field required"),
    ({"type": "button_group", "buttons": [{"label": "Go", "action": "go", "variant": "loud"}]},
     "components[0].buttons[0].variant: Input should be"),
    ({"type": "button_group", "buttons": [{"label": "A", "action": "go"}, {"label": "B", "action": "go"}]},
     "components[0].buttons: button 1 repeats the action 'go'"),
    ({"type": "metric_grid", "metrics": [{"label": "x", "value": 1, "trend": "sideways"}]},
     "components[0].metrics[0].trend: Input should be"),
    ({"type": "table", "headers": ["a", "b"], "rows": [["1", "2"], ["3"]]},
     "components[0].rows: row 1 has 1 cells, headers have 2"),
    ({"type": "chart", "kind": "bar", "labels": ["a", "b"], "values": [1]},
     "components[0].values: 1 values for 2 labels"),
    ({"type": "chart", "kind": "bar", "labels": ["a"], "series": [{"name": "s", "values": [1, 2]}]},
     "components[0].series: series 0 ('s') has 2 values for 1 labels"),
    ({"type": "chart", "kind": "bar", "labels": ["a"]}, "components[0]: give either values or series"),
    ({"type": "chart", "kind": "pie", "labels": ["a"], "series": [{"name": "s", "values": [1]}]},
     "components[0]: a pie chart takes values, not series"),
    ({"type": "chart", "kind": "radar", "labels": ["a"], "values": [1]}, "components[0].kind: Input should be"),
    ({"type": "qa", "questions": [{"id": "q", "kind": "single", "prompt": "?"}]},
     "components[0].questions[0]: a single question needs options"),
    ({"type": "qa", "questions": [{"id": "q", "kind": "open", "prompt": "?", "options": ["a"]}]},
     "components[0].questions[0]: an open question takes no options"),
    ({"type": "qa", "questions": [{"id": "q", "kind": "open", "prompt": "?"}, {"id": "q", "kind": "open", "prompt": "!"}]},
     "components[0].questions: question 1 repeats the id 'q'"),
    ({"type": "wizard", "steps": [{"title": "s", "components": [{"type": "kv", "entries": [{"value": "v"}]}]}]},
     "components[0].steps[0].components[0].entries[0].label: Field required"),
    ({"type": "tabs", "tabs": [{"label": "t", "children": [{"type": "button_group", "buttons": [{"label": "x"}]}]}]},
     "components[0].tabs[0].children[0].buttons[0].action: Field required"),
    ({"type": "tabs", "tabs": [{"label": "t", "children": [{"type": "tabs", "tabs": [{"children": []}]}]}]},
     "components[0].tabs[0].children[0].tabs[0].label: Field required"),
    ({"type": "code", "language": "py"}, "components[0].source: Field required"),
    ({"type": "diff", "before": "a", "after": "b"}, "components[0]: before/after needs a path"),
    ({"type": "diff", "diff": "x", "before": "a", "after": "b", "path": "p"},
     "components[0]: give a unified diff or before/after, not both"),
    ({"type": "output", "stdout": "x"}, "components[0].command: Field required"),
    ({"type": "image", "name": "a.txt", "media_type": "text/plain", "data": "YQ=="},
     "components[0].media_type: an image's media_type starts with image/"),
    ({"type": "file", "name": "a", "media_type": "text/plain", "data": "not base64!"},
     "components[0].data: data must be standard base64"),
    ({"type": "file", "name": "a", "media_type": "text/plain", "data": "YQ==", "size": 9},
     "components[0]: size is 9 but data holds 1 bytes"),
    ({"type": "link", "url": "javascript:alert(1)"}, "components[0].url: only http and https URLs are allowed"),
    ({"type": "link", "url": "ftp://example.com/x"}, "components[0].url: only http and https URLs are allowed"),
    ({"type": "text", "text": "x", "colour": "red"}, "components[0].colour: Extra inputs are not permitted"),
    ({"type": "marquee", "text": "x"}, "components[0].type: unknown component type 'marquee'"),
    ({"text": "x"}, "components[0].type: Field required"),
]


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_component_type_parses_and_dumps_back_to_the_same_type(name: str) -> None:
    (model,) = parse_components([VALID[name]])
    assert model.type == name
    (again,) = dump_components([model])
    assert parse_components([again]) == [model]


def test_every_component_in_the_design_has_an_example() -> None:
    assert set(VALID) == {
        "text", "kv", "alert", "button_group", "metric_grid", "table", "chart", "qa", "wizard", "tabs",
        "code", "diff", "output", "image", "file", "link",
    }


@pytest.mark.parametrize(("component", "expected"), INVALID, ids=[e for _, e in INVALID])
def test_an_invalid_component_is_rejected_with_its_field_path(component: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidComponent) as info:
        parse_components([component])
    assert expected in str(info.value)


def test_the_path_counts_the_component_position_in_the_list() -> None:
    with pytest.raises(InvalidComponent) as info:
        parse_components([VALID["text"], {"type": "button_group", "buttons": [{"label": "Go"}]}])
    assert str(info.value) == "components[1].buttons[0].action: Field required"
    assert info.value.errors == [("components[1].buttons[0].action", "Field required")]


def test_invalid_component_is_a_value_error_and_a_hiloop_error() -> None:
    with pytest.raises(ValueError):
        parse_components([{"type": "text"}])
    assert issubclass(InvalidComponent, HiloopError)


def test_components_must_be_a_list_of_objects() -> None:
    with pytest.raises(InvalidComponent, match="components: expected a list"):
        parse_components({"type": "text", "text": "x"})
    with pytest.raises(InvalidComponent, match=r"components\[0\]: expected an object, got str"):
        parse_components(["hello"])


def test_models_are_accepted_as_they_are() -> None:
    text = Text(text="hi")
    assert parse_components([text]) == [text]


def test_an_inline_attachment_over_256_kib_is_rejected() -> None:
    File.from_bytes("ok.bin", b"\0" * INLINE_LIMIT)
    with pytest.raises(InvalidComponent, match="inline limit"):
        parse_components([{"type": "file", "name": "big.bin", "media_type": "application/octet-stream",
                           "data": base64.b64encode(b"\0" * (INLINE_LIMIT + 1)).decode()}])


def test_attachments_are_built_from_bytes_with_their_size_and_type(tmp_path: Any) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    f = File.from_path(path)
    assert (f.name, f.media_type, f.size, f.content()) == ("notes.txt", "text/plain", 5, b"hello")
    img = Image.from_bytes("pic.png", b"\x89PNG", alt="pic")
    assert (img.media_type, img.size) == ("image/png", 4)


def test_buttons_forms_and_wizards_are_interactive_at_any_depth() -> None:
    assert is_interactive([VALID["button_group"]])
    assert is_interactive([VALID["qa"]])
    assert is_interactive([VALID["wizard"]])
    assert is_interactive([{"type": "tabs", "tabs": [{"label": "t", "children": [VALID["button_group"]]}]}])
    assert not is_interactive([VALID[n] for n in VALID if n not in ("button_group", "qa", "wizard")])


def test_actions_and_questions_are_collected_from_every_level() -> None:
    assert actions([VALID["button_group"]]) == ["approve", "deny"]
    assert [q.id for q in questions([VALID["wizard"], VALID["qa"]])] == ["a", "b", "where", "why", "n", "tags"]


def test_a_wizard_cannot_repeat_a_question_id_across_steps() -> None:
    step = {"title": "s", "components": [{"type": "qa", "questions": [{"id": "a", "kind": "open", "prompt": "?"}]}]}
    with pytest.raises(InvalidComponent, match="question id 'a' appears in more than one place"):
        parse_components([{"type": "wizard", "steps": [step, step]}])
