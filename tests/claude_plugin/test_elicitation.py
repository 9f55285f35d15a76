from hiloop.components import parse_components

from hiloop_hooks.elicitation import components, output

HOOK = {"hook_event_name": "Elicitation", "mcp_server_name": "deploy", "message": "Where to?", "mode": "form",
        "requested_schema": {"type": "object", "required": ["region", "replicas"], "properties": {
            "region": {"type": "string", "title": "Region", "enum": ["eu", "us"]},
            "replicas": {"type": "integer", "description": "How many"},
            "canary": {"type": "boolean", "title": "Canary first?"},
            "note": {"type": "string"},
            "checks": {"type": "array", "items": {"type": "string", "enum": ["lint", "tests"]}},
        }}}


def test_an_mcp_elicitation_becomes_a_form_with_a_decline_button():
    comps = components(HOOK)
    parse_components(comps)
    qa = next(c for c in comps if c["type"] == "qa")
    assert [(q["id"], q["kind"], q.get("options"), q["required"]) for q in qa["questions"]] == [
        ("region", "single", ["eu", "us"], True),
        ("replicas", "number", None, True),
        ("canary", "single", ["yes", "no"], False),
        ("note", "open", None, False),
        ("checks", "multi", ["lint", "tests"], False),
    ]
    assert comps[0]["text"] == "**deploy asks:** Where to?"
    assert any(c["type"] == "button_group" and c["buttons"][0]["action"] == "decline" for c in comps)


def test_answers_come_back_in_the_schemas_types():
    out = output(HOOK, None, {"region": "eu", "replicas": 3, "canary": "yes", "note": "go", "checks": ["lint"]})
    assert out == {"hookSpecificOutput": {"hookEventName": "Elicitation", "action": "accept", "content": {
        "region": "eu", "replicas": 3, "canary": True, "note": "go", "checks": ["lint"]}}}


def test_decline_declines_and_anything_else_decides_nothing():
    assert output(HOOK, "decline", None) == {"hookSpecificOutput": {"hookEventName": "Elicitation", "action": "decline"}}
    assert output(HOOK, "maybe", None) is None
