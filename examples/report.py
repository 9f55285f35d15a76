"""A report: metrics, a table and a chart, sent for reading (no answer needed).

    HILOOP_URL=http://127.0.0.1:8787 python examples/report.py
"""

from __future__ import annotations

from hiloop import HiloopClient

REPORT = [
    {"type": "text", "text": "Weekly service report, week 47."},
    {"type": "metric_grid", "title": "This week", "metrics": [
        {"label": "Requests", "value": "1.92 M", "change": "+8%", "trend": "up"},
        {"label": "p99 latency", "value": "184 ms", "change": "-12 ms", "trend": "down"},
        {"label": "Errors", "value": "0.03%", "change": "±0", "trend": "flat"},
    ]},
    {"type": "table", "title": "Slowest endpoints", "headers": ["endpoint", "p99 (ms)", "calls"], "rows": [
        ["GET /search", 412, 120_344],
        ["POST /checkout", 390, 8_211],
        ["GET /orders/{id}", 201, 54_002],
    ]},
    {"type": "chart", "kind": "line", "title": "Requests per day (thousands)",
     "labels": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
     "series": [{"name": "this week", "values": [281, 290, 302, 297, 310, 220, 215]},
                {"name": "last week", "values": [260, 270, 281, 275, 290, 210, 201]}]},
]


def main() -> None:
    with HiloopClient() as client:
        session = client.create_session("Weekly service report")
        sent = client.send_message(session.id, REPORT, type="report")
        print(f"Sent report {sent.id} in session {session.id}.")

        timeline = client.get_session_timeline(session.id)
        (message,) = timeline.messages
        kinds = [c["type"] for c in message.content["components"]]
        assert kinds == ["text", "metric_grid", "table", "chart"]
        assert message.type == "report" and not message.requires_response
        assert message.content["components"][2]["rows"][0] == ["GET /search", 412, 120_344]
        print(f"The report reads back decrypted: {', '.join(kinds)}.")


if __name__ == "__main__":
    main()
