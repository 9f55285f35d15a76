"""A tabbed view: a code review in tabs (summary, diff, test output), approved or sent back.

    HILOOP_URL=http://127.0.0.1:8787 python examples/tabs.py
"""

from __future__ import annotations

import os

from hiloop import HiloopClient

TIMEOUT = float(os.environ.get("HILOOP_EXAMPLE_TIMEOUT", "600"))

DIFF = """\
--- a/app/retry.py
+++ b/app/retry.py
@@ -1,4 +1,4 @@
 def backoff(attempt):
-    return 2 ** attempt
+    return min(2 ** attempt, 60)
"""


def main() -> None:
    with HiloopClient() as client:
        session = client.create_session("Review: cap retry backoff at 60 s", kind="review")
        sent = client.send_message(
            session.id,
            [
                {"type": "tabs", "tabs": [
                    {"label": "Summary", "children": [
                        {"type": "text", "text": "Caps the exponential backoff at 60 s (was unbounded)."},
                        {"type": "kv", "entries": [{"label": "files", "value": "1"},
                                                   {"label": "lines", "value": "+1 −1"}]},
                    ]},
                    {"type": "tab", "label": "Diff", "children": [{"type": "diff", "diff": DIFF}]},
                    {"type": "tab", "label": "Tests", "children": [
                        {"type": "output", "command": "pytest -q tests/test_retry.py", "exit_code": 0,
                         "stdout": "....\n4 passed in 0.02s\n", "stderr": ""},
                        {"type": "code", "language": "python",
                         "source": "def test_backoff_is_capped():\n    assert backoff(10) == 60\n"},
                    ]},
                ]},
                {"type": "button_group", "buttons": [
                    {"label": "Merge", "action": "merge", "variant": "primary"},
                    {"label": "Request changes", "action": "changes", "variant": "secondary"},
                ]},
            ],
            type="tabs",
        )
        print(f"Waiting for a review (or: hiloop respond {session.id} {sent.id} --action merge)", flush=True)
        answer = client.await_response(session.id, sent.id, timeout=TIMEOUT)

        assert answer.responder_role == "owner"
        assert answer.action in ("merge", "changes")
        if answer.action == "merge":
            print("Merging.")
        else:
            print(f"Changes requested: {answer.text or '(no comment)'}")


if __name__ == "__main__":
    main()
