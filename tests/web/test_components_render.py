"""Every component of hiloop/components.py rendered by relay/web/js/components.js in Chromium, with
content as text (never markup) and only safe links."""

from __future__ import annotations

import base64
import json
import re

import pytest
from playwright.sync_api import expect

from hiloop.components import dump_components

pytestmark = pytest.mark.chromium

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

RENDER = """async ([components, ctx]) => {
  const { render } = await import("/static/js/components.js");
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "/static/css/app.css";
  document.head.appendChild(link);
  window.answers = [];
  const el = render(components, { canAnswer: ctx.canAnswer, answered: ctx.answered,
    respond: async (a) => { window.answers.push(a); } });
  el.id = "rendered";
  document.body.appendChild(el);
}"""


def show(page, static_server, components, *, can_answer=True, answered=None):
    page.goto(static_server + "/")
    page.evaluate(RENDER, [dump_components(components), {"canAnswer": can_answer, "answered": answered}])
    return page.locator("#rendered")


def test_markdown_is_built_as_elements_and_markup_stays_text(page, static_server):
    text = (
        "# Release\n\nShip **v2** with *care* and `code`, ~~old~~ [docs](https://example.com/d) "
        "[bad](javascript:alert(1)) https://example.org/x.\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "> quoted\n\n```python\nprint('<b>hi</b>')\n```\n\n<img src=x onerror=alert(1)><script>alert(2)</script>"
    )
    el = show(page, static_server, [{"type": "text", "text": text}])
    expect(el.locator("h3")).to_have_text("Release")
    expect(el.locator("strong")).to_have_text("v2")
    expect(el.locator("em")).to_have_text("care")
    expect(el.locator("p code")).to_have_text("code")
    expect(el.locator("del")).to_have_text("old")
    links = el.locator("a")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "https://example.com/d")
    expect(links.nth(0)).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(links.nth(1)).to_have_text("https://example.org/x")
    expect(el.get_by_text("bad")).to_be_visible()
    expect(el.locator("ul li")).to_have_text(["one", "two"])
    expect(el.locator("ol li")).to_have_text(["first", "second"])
    expect(el.locator("blockquote")).to_have_text("quoted")
    expect(el.locator("pre code")).to_have_text("print('<b>hi</b>')")
    expect(el.locator("img")).to_have_count(0)
    expect(el.locator("script")).to_have_count(0)
    expect(el.get_by_text("<img src=x onerror=alert(1)><script>alert(2)</script>")).to_be_visible()
    assert page.js_errors == []


def test_kv_alert_metrics_and_table(page, static_server):
    el = show(page, static_server, [
        {"type": "kv", "title": "Build", "entries": [{"label": "Commit", "value": "abc123"}, {"label": "Branch", "value": "main"}]},
        {"type": "alert", "level": "warning", "title": "Heads up", "text": "Disk at **91%**"},
        {"type": "metric_grid", "metrics": [{"label": "p99", "value": "120 ms", "change": "+5%", "trend": "up"},
                                             {"label": "errors", "value": 3}]},
        {"type": "table", "headers": ["host", "cpu", "ok"], "rows": [["a", 0.5, True], ["b", 12, None]]},
    ])
    expect(el.locator(".kv h4")).to_have_text("Build")
    expect(el.locator(".kv dt")).to_have_text(["Commit", "Branch"])
    expect(el.locator(".kv dd")).to_have_text(["abc123", "main"])
    alert = el.get_by_role("alert")
    expect(alert).to_contain_text("Heads up")
    expect(alert.locator("strong", has_text="91%")).to_be_visible()
    expect(el.locator(".metric-value")).to_have_text(["120 ms", "3"])
    expect(el.locator(".metric-change")).to_have_text("▲ +5%")
    expect(el.locator("th")).to_have_text(["host", "cpu", "ok"])
    expect(el.locator("tbody tr").nth(0).locator("td")).to_have_text(["a", "0.5", "yes"])
    expect(el.locator("tbody tr").nth(1).locator("td")).to_have_text(["b", "12", ""])


def test_charts_are_svg_with_a_mark_per_value(page, static_server):
    el = show(page, static_server, [
        {"type": "chart", "kind": "bar", "title": "Deploys", "labels": ["Mon", "Tue", "Wed"], "values": [3, 5, 2]},
        {"type": "chart", "kind": "line", "labels": ["1", "2", "3", "4"],
         "series": [{"name": "p50", "values": [1, 2, 3, 2]}, {"name": "p99", "values": [5, 8, 6, 9]}]},
        {"type": "chart", "kind": "pie", "labels": ["yes", "no"], "values": [3, 1]},
    ])
    bar = el.locator("svg.chart.bar")
    expect(bar.locator("rect.bar")).to_have_count(3)
    expect(bar.locator("rect.bar title")).to_have_text(["Mon: 3", "Tue: 5", "Wed: 2"])
    expect(el.locator("figcaption", has_text="Deploys")).to_be_visible()
    line = el.locator("svg.chart.line")
    expect(line.locator("polyline")).to_have_count(2)
    expect(line.locator("circle")).to_have_count(8)
    expect(el.locator(".kind-line .legend li")).to_have_text(["p50", "p99"])
    pie = el.locator("svg.chart.pie")
    expect(pie.locator("path.slice")).to_have_count(2)
    expect(el.locator(".kind-pie .legend li")).to_have_text(["yes: 3 (75.0%)", "no: 1 (25.0%)"])
    bars = bar.locator("rect.bar")
    assert float(bars.nth(1).get_attribute("height")) > float(bars.nth(0).get_attribute("height"))


def test_buttons_answer_with_their_action(page, static_server):
    el = show(page, static_server, [{"type": "button_group", "buttons": [
        {"label": "Ship", "action": "ship", "variant": "primary"}, {"label": "Hold", "action": "hold"}]}])
    el.get_by_role("button", name="Hold").click()
    assert page.evaluate("window.answers") == [{"action": "hold"}]


def test_an_answered_request_shows_the_choice_and_takes_no_clicks(page, static_server):
    el = show(page, static_server, [{"type": "button_group", "buttons": [
        {"label": "Ship", "action": "ship"}, {"label": "Hold", "action": "hold"}]}],
        can_answer=False, answered={"action": "ship"})
    expect(el.get_by_role("button", name="Ship ✓")).to_be_disabled()
    expect(el.get_by_role("button", name="Hold")).to_be_disabled()


def test_a_qa_form_checks_required_answers_and_sends_typed_values(page, static_server):
    el = show(page, static_server, [{"type": "qa", "title": "Lunch", "questions": [
        {"id": "where", "kind": "single", "prompt": "Where?", "options": ["Thai", "Pizza"]},
        {"id": "extras", "kind": "multi", "prompt": "Extras?", "options": ["Salad", "Soup", "Cake"], "required": False},
        {"id": "people", "kind": "number", "prompt": "How many?"},
        {"id": "note", "kind": "open", "prompt": "Anything else?", "required": False},
    ]}])
    el.get_by_role("button", name="Send answers").click()
    expect(el.get_by_role("alert")).to_have_text("Please answer: Where?")
    el.get_by_label("Pizza").check()
    el.get_by_label("Soup").check()
    el.get_by_label("Cake").check()
    el.get_by_role("spinbutton").fill("4")
    el.get_by_role("button", name="Send answers").click()
    expect(el.get_by_role("button", name="Send answers")).to_be_disabled()
    assert page.evaluate("window.answers") == [{"answers": {"where": "Pizza", "extras": ["Soup", "Cake"], "people": 4}}]


def test_a_wizard_walks_its_steps_then_reviews_before_submitting(page, static_server):
    el = show(page, static_server, [{"type": "wizard", "title": "Onboarding", "steps": [
        {"title": "Who", "components": [{"type": "text", "text": "Tell us about you"},
                                        {"type": "qa", "questions": [{"id": "name", "kind": "open", "prompt": "Name?"}]}]},
        {"title": "Plan", "components": [{"type": "qa", "questions": [
            {"id": "plan", "kind": "single", "prompt": "Plan?", "options": ["Free", "Pro"]}]}]},
    ]}])
    expect(el.get_by_text("Tell us about you")).to_be_visible()
    el.get_by_role("button", name="Next").click()
    expect(el.get_by_role("alert")).to_have_text("Please answer: Name?")
    el.get_by_role("textbox").fill("Ada")
    el.get_by_role("button", name="Next").click()
    expect(el.get_by_text("Tell us about you")).to_be_hidden()
    el.get_by_label("Pro").check()
    el.get_by_role("button", name="Next").click()
    review = el.locator(".wizard-review")
    expect(review.locator("dt")).to_have_text(["Name?", "Plan?"])
    expect(review.locator("dd")).to_have_text(["Ada", "Pro"])
    el.get_by_role("button", name="Back").click()
    expect(el.get_by_label("Pro")).to_be_checked()
    el.get_by_role("button", name="Next").click()
    el.get_by_role("button", name="Submit").click()
    assert page.evaluate("window.answers") == [{"answers": {"name": "Ada", "plan": "Pro"}}]


def test_tabs_switch_panels_and_hold_any_component(page, static_server):
    el = show(page, static_server, [{"type": "tabs", "tabs": [
        {"label": "Summary", "children": [{"type": "text", "text": "All good"}]},
        {"label": "Logs", "children": [{"type": "code", "language": "text", "source": "line 1\nline 2"}]},
    ]}])
    expect(el.get_by_role("tab", name="Summary")).to_have_attribute("aria-selected", "true")
    expect(el.get_by_text("All good")).to_be_visible()
    expect(el.locator("pre code")).to_be_hidden()
    el.get_by_role("tab", name="Logs").click()
    expect(el.locator("pre code")).to_have_text("line 1\nline 2")
    expect(el.get_by_text("All good")).to_be_hidden()


def test_code_diff_and_output(page, static_server):
    el = show(page, static_server, [
        {"type": "code", "language": "python", "title": "app.py", "source": "print('<hi>')"},
        {"type": "diff", "diff": "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n"},
        {"type": "diff", "path": "notes.txt", "before": "a\nb\nc", "after": "a\nB\nc"},
        {"type": "output", "command": "pytest -q", "exit_code": 1, "stdout": "1 failed", "stderr": "boom"},
    ])
    expect(el.locator(".code-block pre code")).to_have_text("print('<hi>')")
    expect(el.locator(".code-block .code-head span")).to_have_text("app.py")
    first = el.locator(".diff-block").nth(0)
    expect(first.locator(".diff-line.del")).to_have_text("-old")
    expect(first.locator(".diff-line.add")).to_have_text("+new")
    expect(first.locator(".diff-line.hunk")).to_have_text("@@ -1 +1 @@")
    second = el.locator(".diff-block").nth(1)
    expect(second.locator(".code-head")).to_have_text("notes.txt")
    expect(second.locator(".diff-line")).to_have_text([" a", "-b", "+B", " c"])
    out = el.locator(".output")
    expect(out.locator(".command")).to_have_text("$ pytest -q")
    expect(out.locator(".exit")).to_have_text("exit 1")
    expect(out.locator(".stdout")).to_have_text("1 failed")
    expect(out.locator(".stderr")).to_have_text("boom")


def test_images_files_and_links(page, static_server):
    el = show(page, static_server, [
        {"type": "image", "name": "dot.png", "media_type": "image/png", "alt": "A dot", "data": base64.b64encode(PNG).decode()},
        {"type": "file", "name": "report.html", "media_type": "text/html", "data": base64.b64encode(b"<script>x</script>").decode()},
        {"type": "link", "url": "https://example.com/runbook", "label": "Runbook"},
    ])
    img = el.get_by_role("img", name="A dot")
    expect(img).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function("() => document.querySelector('#rendered img').naturalWidth === 1")
    download = el.get_by_role("link", name="report.html")
    expect(download).to_have_attribute("download", "report.html")
    expect(download).to_have_attribute("data-blob-type", "application/octet-stream")
    link = el.get_by_role("link", name="Runbook")
    expect(link).to_have_attribute("href", "https://example.com/runbook")
    expect(link).to_have_attribute("target", "_blank")


def test_an_unknown_component_is_named_not_rendered(page, static_server):
    page.goto(static_server + "/")
    page.evaluate(RENDER, [[{"type": "hologram", "x": "<b>"}], {"canAnswer": False, "answered": None}])
    expect(page.locator("#rendered")).to_have_text("(a component this app cannot show: hologram)")


def test_the_renderer_handles_every_component_type_the_sdk_defines(page, static_server):
    from hiloop.components import _TYPES  # noqa: PLC2701 (the SDK's list of component types)

    page.goto(static_server + "/")
    known = page.evaluate("""async () => (await import("/static/js/components.js")).COMPONENT_TYPES""")
    assert sorted(known) == sorted(_TYPES)
    assert json.dumps(sorted(known))
