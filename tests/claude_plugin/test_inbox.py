from hiloop_hooks import inbox


def test_an_instruction_reaches_the_next_tool_event_once(tmp_path):
    inbox.write(tmp_path, 7, "m1", "use pnpm, not npm")
    hook = {"hook_event_name": "PostToolUse", "session_id": "s"}
    out = inbox.deliver(hook, tmp_path)
    assert out == {"hookSpecificOutput": {"hookEventName": "PostToolUse",
                                          "additionalContext": "Instruction from the user, sent from the Hiloop app: use pnpm, not npm"}}
    assert inbox.deliver(hook, tmp_path) is None


def test_several_instructions_arrive_together_in_order(tmp_path):
    inbox.write(tmp_path, 9, "b", "second")
    inbox.write(tmp_path, 8, "a", "first")
    out = inbox.deliver({"hook_event_name": "PreToolUse"}, tmp_path)
    assert out["hookSpecificOutput"]["additionalContext"].endswith("1. first\n2. second")


def test_a_stop_hook_blocks_with_the_instruction_unless_already_continuing(tmp_path):
    inbox.write(tmp_path, 1, "m", "also run the tests")
    assert inbox.deliver({"hook_event_name": "Stop", "stop_hook_active": True}, tmp_path) is None
    out = inbox.deliver({"hook_event_name": "Stop", "stop_hook_active": False}, tmp_path)
    assert out == {"decision": "block", "reason": "Instruction from the user, sent from the Hiloop app: also run the tests"}


def test_subagent_and_other_events_leave_instructions_for_the_main_agent(tmp_path):
    inbox.write(tmp_path, 1, "m", "x")
    assert inbox.deliver({"hook_event_name": "PostToolUse", "agent_id": "a1"}, tmp_path) is None
    assert inbox.deliver({"hook_event_name": "Notification"}, tmp_path) is None
    assert len(inbox.pending(tmp_path)) == 1


def test_a_missing_inbox_is_no_instruction(tmp_path):
    assert inbox.deliver({"hook_event_name": "PreToolUse"}, tmp_path / "nope") is None
