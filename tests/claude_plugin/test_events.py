from hiloop_hooks.events import CLIP, clip, describe_input, split_mcp, tool_event


def test_a_bash_call_shows_its_command_and_then_its_output():
    pre = {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_use_id": "toolu_1",
           "tool_input": {"command": "ls -la", "description": "list files"}}
    assert tool_event(pre) == ("PreToolUse", {"tool": "Bash", "tool_use_id": "toolu_1", "command": "ls -la",
                                              "description": "list files"})
    post = dict(pre, hook_event_name="PostToolUse",
                tool_response={"stdout": "a\nb", "stderr": "", "interrupted": False})
    event, data = tool_event(post)
    assert event == "PostToolUse"
    assert data["stdout"] == "a\nb" and data["stderr"] == "" and "interrupted" not in data


def test_an_edit_becomes_a_unified_diff_of_its_path():
    _, data = tool_event({"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": {
        "file_path": "/p/app.py", "old_string": "x = 1\n", "new_string": "x = 2\n"}})
    assert data["path"] == "/p/app.py"
    assert "--- a//p/app.py" in data["diff"] and "-x = 1" in data["diff"] and "+x = 2" in data["diff"]


def test_a_multi_edit_shows_every_edit():
    data = describe_input("MultiEdit", {"file_path": "f.txt", "edits": [
        {"old_string": "one", "new_string": "uno"}, {"old_string": "two", "new_string": "dos"}]})
    assert "+uno" in data["diff"] and "+dos" in data["diff"]


def test_a_write_shows_the_file_content():
    assert describe_input("Write", {"file_path": "/p/a.txt", "content": "hello"}) == {"path": "/p/a.txt", "content": "hello"}


def test_an_mcp_tool_shows_its_server_tool_and_arguments():
    data = describe_input("mcp__plugin_hiloop_hiloop__ask", {"question": "ok?"})
    assert data["server"] == "plugin_hiloop_hiloop" and data["mcp_tool"] == "ask"
    assert '"question": "ok?"' in data["args"]
    assert split_mcp("Bash") is None


def test_subagent_events_carry_the_subagent_id():
    _, data = tool_event({"hook_event_name": "PreToolUse", "tool_name": "Bash", "agent_id": "a123",
                          "agent_type": "general-purpose", "tool_input": {"command": "echo"}})
    assert data["agent_id"] == "a123" and data["agent_type"] == "general-purpose"
    _, start = tool_event({"hook_event_name": "SubagentStart", "agent_id": "a123", "agent_type": "Explore"})
    assert start == {"agent_id": "a123", "agent_type": "Explore"}


def test_session_and_prompt_events_say_what_happened():
    assert tool_event({"hook_event_name": "SessionStart", "source": "startup", "cwd": "/home/me/shop"}) == (
        "SessionStart", {"source": "startup", "project": "shop"})
    assert tool_event({"hook_event_name": "UserPromptSubmit", "prompt": "fix it"})[1] == {"prompt": "fix it"}
    assert tool_event({"hook_event_name": "SessionEnd", "reason": "other"})[1] == {"reason": "other"}
    assert tool_event({"hook_event_name": "Stop", "last_assistant_message": "done"})[1] == {"last_message": "done"}
    assert tool_event({"hook_event_name": "PostToolUseFailure", "tool_name": "Bash", "tool_input": {"command": "x"},
                       "error": "exit 1"})[1]["error"] == "exit 1"


def test_long_output_is_clipped_with_a_note():
    text = "x" * (CLIP + 10)
    clipped = clip(text)
    assert clipped.startswith("x" * CLIP) and clipped.endswith("(10 more characters)")


def test_odd_input_never_raises():
    assert tool_event({}) == ("unknown", {})
    assert tool_event({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": "nope"})[1] == {
        "tool": "Bash", "command": ""}
