from hiloop.components import parse_components

from hiloop_hooks.permission import Answer, components, deadline_output, decision

BASH = {"hook_event_name": "PermissionRequest", "session_id": "s", "cwd": "/home/me/shop", "tool_name": "Bash",
        "tool_input": {"command": "rm -rf build", "description": "clean"},
        "permission_suggestions": [{"type": "addRules", "rules": [{"toolName": "Bash", "ruleContent": "rm:*"}],
                                    "behavior": "allow", "destination": "localSettings"}]}


def kinds(comps):
    return [c["type"] for c in comps]


def actions(comps):
    return [b["action"] for c in comps if c["type"] == "button_group" for b in c["buttons"]]


def test_a_bash_request_shows_the_command_as_code_and_offers_always_allow():
    comps = components(BASH)
    parse_components(comps)  # valid for the SDK and the app
    code = next(c for c in comps if c["type"] == "code")
    assert code == {"type": "code", "language": "bash", "source": "rm -rf build"}
    assert actions(comps) == ["allow", "deny", "always"]
    assert any("Bash(rm:*)" in c.get("text", "") for c in comps)


def test_an_edit_request_shows_a_diff_and_a_write_request_the_file_content():
    edit = {"tool_name": "Edit", "tool_input": {"file_path": "/p/a.py", "old_string": "a", "new_string": "b"}}
    comps = components(edit)
    parse_components(comps)
    diff = next(c for c in comps if c["type"] == "diff")
    assert diff["path"] == "/p/a.py" and "+b" in diff["diff"]
    assert actions(comps) == ["allow", "deny"]  # no suggestions, no "always"
    write = components({"tool_name": "Write", "tool_input": {"file_path": "/p/notes.md", "content": "# hi"}})
    parse_components(write)
    assert {"type": "code", "title": "/p/notes.md", "source": "# hi", "language": "markdown"} in write


def test_an_mcp_request_names_the_server_and_tool_and_shows_the_arguments():
    comps = components({"tool_name": "mcp__files__delete", "tool_input": {"path": "/x"}})
    parse_components(comps)
    kv = next(c for c in comps if c["type"] == "kv")
    assert {"label": "MCP server", "value": "files"} in kv["entries"] and {"label": "Tool", "value": "delete"} in kv["entries"]
    assert any(c["type"] == "code" and '"path": "/x"' in c["source"] for c in comps)


def test_a_subagent_request_says_which_subagent_asks():
    comps = components(dict(BASH, agent_id="a42", agent_type="Explore"))
    kv = next(c for c in comps if c["type"] == "kv")
    assert {"label": "Subagent", "value": "Explore a42"} in kv["entries"]


def test_several_suggestions_can_be_accepted_one_by_one():
    two = dict(BASH, permission_suggestions=BASH["permission_suggestions"] + [
        {"type": "addDirectories", "directories": ["/tmp"], "destination": "session"}])
    comps = components(two)
    parse_components(comps)
    assert actions(comps) == ["allow", "deny", "always", "always:0", "always:1"]
    out = decision(two, Answer("always:1"))
    assert out["hookSpecificOutput"]["decision"]["updatedPermissions"] == [two["permission_suggestions"][1]]


def test_allow_deny_and_always_become_claude_code_decisions():
    assert decision(BASH, Answer("allow")) == {
        "hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": {"behavior": "allow"}}}
    deny = decision(BASH, Answer("deny", "not on Fridays"))["hookSpecificOutput"]["decision"]
    assert deny == {"behavior": "deny", "message": "Denied from Hiloop: not on Fridays"}
    always = decision(BASH, Answer("always"))["hookSpecificOutput"]["decision"]
    assert always == {"behavior": "allow", "updatedPermissions": BASH["permission_suggestions"]}


def test_chosen_permissions_must_be_among_those_offered():
    forged = {"type": "addRules", "rules": [{"toolName": "Bash"}], "behavior": "allow", "destination": "userSettings"}
    out = decision(BASH, Answer("always", permissions=[forged, 0]))["hookSpecificOutput"]["decision"]
    assert out["updatedPermissions"] == BASH["permission_suggestions"]


def test_an_unknown_action_decides_nothing():
    assert decision(BASH, Answer("maybe")) is None
    assert decision(BASH, Answer(None, "hello")) is None


def test_the_deadline_denies_headless_and_leaves_the_terminal_dialog_interactive():
    deny = deadline_output("deny", 30)["hookSpecificOutput"]["decision"]
    assert deny["behavior"] == "deny" and "30 s" in deny["message"]
    assert deadline_output("ask", 30) is None
