"""`hiloop inbox`, `show`, `respond`, `guest-link`: the owner's work on this terminal."""

from __future__ import annotations

import argparse
from typing import Any

from hiloop.cli._common import CliError, out, print_json
from hiloop.cli._render import components, summary, until, when
from hiloop.owner import OwnerClient


def register(sub: Any) -> None:
    inbox = sub.add_parser("inbox", help="open requests across all agents",
                           description="Open requests across all agents, most urgent first.")
    inbox.add_argument("--json", action="store_true", help="print JSON")
    inbox.set_defaults(func=cmd_inbox)

    show = sub.add_parser("show", help="a session's decrypted timeline", description="Show a session and its messages.")
    show.add_argument("session", metavar="SESSION")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_show)

    respond = sub.add_parser("respond", help="answer a request",
                             description="Answer a request with a button's action, or answers to its questions.")
    respond.add_argument("session", metavar="SESSION")
    respond.add_argument("message", metavar="MESSAGE")
    respond.add_argument("--action", help="the action of the button to press (e.g. approve)")
    respond.add_argument("--answer", action="append", default=[], metavar="ID=VALUE",
                         help="an answer to question ID (repeat for each; multi choice: a,b)")
    respond.add_argument("--text", help="a message to go with the answer (e.g. why you deny)")
    respond.set_defaults(func=cmd_respond)

    guest = sub.add_parser("guest-link", help="invite a guest to a public session",
                           description="Create a guest link for a public session (it expires; 1 hour by default).")
    guest.add_argument("session", metavar="SESSION")
    guest.add_argument("--label", default="guest", help="who it is for (default guest)")
    guest.add_argument("--expires-in", type=int, default=3600, metavar="SECONDS", help="default 3600")
    guest.set_defaults(func=cmd_guest_link)


def cmd_inbox(args: argparse.Namespace) -> int:
    with OwnerClient.load() as owner:
        items = owner.feed()
    if args.json:
        print_json(items)
        return 0
    if not items:
        out("No open requests.")
        return 0
    for item in items:
        m = item.message
        due = f"  due {until(m.deadline)}" if m.deadline else ""
        title = item.session.title or "(untitled)"
        agent = f" · {item.agent_name}" if item.agent_name else ""
        out(f"[{m.priority}] {item.session.id} {m.id}  {m.type}{due}")
        out(f"    {title}{agent}: {summary(m)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with OwnerClient.load() as owner:
        view = owner.open_session(args.session)
    if args.json:
        print_json(view)
        return 0
    s = view.session
    out(f"{s.title or '(untitled)'}  [{s.id}, {s.status}, {s.priority}, kind {s.kind}]")
    for m in view.messages:
        status = f" [{m.status}]" if m.status != "none" else ""
        due = f" due {until(m.deadline)}" if m.deadline and m.status == "open" else ""
        out(f"#{m.seq} {when(m.created_at)} {m.role}:{m.sender_id} {m.type} {m.id}{status}{due}")
        if m.content.get("type") == "message":
            if m.content.get("text"):
                out(f"    {m.content['text']}")
            for line in components(m.content.get("components") or []):
                out(line)
        else:
            out(f"    {summary(m, 200)}")
    return 0


def _answers(pairs: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for pair in pairs:
        qid, sep, value = pair.partition("=")
        if not sep or not qid:
            raise CliError(f"--answer {pair!r}: expected ID=VALUE", 2, usage=True)
        answers[qid] = value
    return answers


def cmd_respond(args: argparse.Namespace) -> int:
    if args.action is None and not args.answer and args.text is None:
        raise CliError("give --action ACTION, or --answer ID=VALUE (repeatable), and/or --text", 2, usage=True)
    if args.action is not None and args.answer:
        raise CliError("give --action or --answer, not both", 2, usage=True)
    answers = _answers(args.answer) if args.answer else None
    with OwnerClient.load() as owner:
        sent = owner.respond(args.session, args.message, action=args.action, answers=answers, text=args.text)
    out(f"Answered {args.message} in {args.session} (message {sent.id}, #{sent.seq}).")
    return 0


def cmd_guest_link(args: argparse.Namespace) -> int:
    with OwnerClient.load() as owner:
        link = owner.create_guest_link(args.session, args.label, args.expires_in)
    out(f"Guest link for {link.label!r}, expires {when(link.expires_at)} (share it privately; it holds the guest's key):")
    out(link.join_url)
    return 0
