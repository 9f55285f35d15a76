"""Interactive Claude Code (under tmux) with the plugin: the remote answer, or the terminal's dialog."""

from __future__ import annotations

from claude_harness import wait_until
from fake_anthropic import FINAL_PREFIX, tool, write

DIALOG = "Do you want to create"


def test_a_remote_approval_runs_the_tool_without_showing_the_dialog(claude_env, owner):
    target = claude_env.project / "remote.txt"
    marker = claude_env.fake.script("remote", [write(str(target), "approved remotely")])
    term = claude_env.interactive(f"go {marker}", env={"HILOOP_PERMISSION_TIMEOUT": "60"})
    sid, request = owner.wait_for_request(timeout=60)
    owner.respond(sid, request.id, action="allow")
    wait_until(target.exists, 30, "the file")
    term.wait_for(FINAL_PREFIX + "File created successfully")
    assert target.read_text() == "approved remotely"
    assert DIALOG not in term.history()


def test_when_the_remote_deadline_passes_the_terminal_dialog_decides(claude_env, owner):
    target = claude_env.project / "local.txt"
    marker = claude_env.fake.script("local", [write(str(target), "approved locally")])
    term = claude_env.interactive(f"go {marker}", env={"HILOOP_PERMISSION_TIMEOUT": "2"})
    owner.wait_for_request(timeout=60)
    term.wait_for(DIALOG, 30)
    assert not target.exists()
    term.send("Enter")  # "1. Yes"
    wait_until(target.exists, 30, "the file")
    term.wait_for(FINAL_PREFIX + "File created successfully")


def test_ask_user_question_becomes_a_form_whose_answers_reach_claude(claude_env, owner):
    fake = claude_env.fake
    marker = fake.script("ask", [tool("AskUserQuestion", questions=[{
        "question": "Which database should I use?", "header": "Database", "multiSelect": False,
        "options": [{"label": "SQLite", "description": "one file"}, {"label": "Postgres", "description": "a server"}],
    }])])
    term = claude_env.interactive(f"choose {marker}", env={"HILOOP_PERMISSION_TIMEOUT": "60"})
    sid, form = owner.wait_for_request(type="question", timeout=60)
    qa = next(c for c in form.content["components"] if c["type"] == "qa")
    assert qa["questions"][0]["options"] == ["SQLite", "Postgres"]
    owner.respond(sid, form.id, answers={"q0": "Postgres"})
    term.wait_for(FINAL_PREFIX, 30)
    results = fake.tool_results("ask")
    assert any("Postgres" in r for r in results), results
