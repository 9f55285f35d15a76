from hiloop.components import parse_components

from hiloop_hooks.questions import answered_input, components, output

ASK = {"hook_event_name": "PreToolUse", "tool_name": "AskUserQuestion", "tool_input": {"questions": [
    {"question": "Which database?", "header": "DB", "multiSelect": False,
     "options": [{"label": "SQLite", "description": "one file"}, {"label": "Postgres", "description": "a server"}]},
    {"question": "Which extras?", "header": "Extras", "multiSelect": True,
     "options": [{"label": "cache", "description": ""}, {"label": "search", "description": ""}]},
]}}


def test_ask_user_question_becomes_a_qa_form():
    comps = components(ASK)
    parse_components(comps)
    qa = next(c for c in comps if c["type"] == "qa")
    assert qa["questions"] == [
        {"id": "q0", "prompt": "Which database?", "kind": "single", "options": ["SQLite", "Postgres"]},
        {"id": "q1", "prompt": "Which extras?", "kind": "multi", "options": ["cache", "search"]},
    ]
    assert any("one file" in c.get("text", "") for c in comps)


def test_answers_go_back_keyed_by_the_question_text():
    updated = answered_input(ASK, {"q0": "Postgres", "q1": ["cache", "search"]})
    assert updated["answers"] == {"Which database?": "Postgres", "Which extras?": "cache, search"}
    assert updated["questions"] == ASK["tool_input"]["questions"]
    out = output(ASK, {"q0": "SQLite"})["hookSpecificOutput"]
    assert out["permissionDecision"] == "allow" and out["updatedInput"]["answers"] == {"Which database?": "SQLite"}


def test_no_answer_decides_nothing():
    assert output(ASK, {}) is None
