"""`hiloop owner init|login` and `hiloop pair approve|refuse`: the owner's account on this terminal."""

from __future__ import annotations

import argparse
from typing import Any

from hiloop.cli._common import out
from hiloop.owner import OwnerClient
from hiloop.store import owner_path


def register(sub: Any) -> None:
    owner = sub.add_parser("owner", help="set up or sign in the owner on this terminal",
                           description="The owner's account on this terminal.")
    osub = owner.add_subparsers(dest="owner_command", metavar="COMMAND", required=True)
    init = osub.add_parser("init", help="create the owner on a fresh relay from its set-up link",
                           description="Create the owner on a fresh relay. Prints the recovery key once.")
    init.add_argument("setup_link", metavar="SETUP_LINK", help="the link the relay printed on first run")
    init.add_argument("--device-name", default="terminal", help="a name for this device (default terminal)")
    init.set_defaults(func=cmd_init)
    login = osub.add_parser("login", help="sign this terminal in with the recovery key",
                            description="Sign this terminal in as the owner, with the recovery key.")
    login.add_argument("relay_url", metavar="RELAY_URL")
    login.add_argument("recovery_key", metavar="RECOVERY_KEY")
    login.add_argument("--device-name", default="terminal", help="a name for this device (default terminal)")
    login.set_defaults(func=cmd_login)

    pair = sub.add_parser("pair", help="approve or refuse an agent's pairing link",
                          description="Approve or refuse an agent's pairing (run `hiloop agent add NAME` on the agent).")
    psub = pair.add_subparsers(dest="pair_command", metavar="COMMAND", required=True)
    approve = psub.add_parser("approve", help="approve a pairing link")
    approve.add_argument("link", metavar="LINK")
    approve.set_defaults(func=cmd_approve)
    refuse = psub.add_parser("refuse", help="refuse a pairing link")
    refuse.add_argument("link", metavar="LINK")
    refuse.set_defaults(func=cmd_refuse)


def cmd_init(args: argparse.Namespace) -> int:
    key = OwnerClient.setup(None, args.setup_link, device_name=args.device_name)
    with OwnerClient.load() as owner:
        out(f"Owner {owner.owner_id} created on {owner.base_url}; this terminal is signed in ({owner_path()}).")
    out("")
    out("Recovery key (shown only this once):")
    out(f"    {key}")
    out("")
    out("Keep it somewhere safe and private. It is the only way to sign in another device if this one is")
    out("lost, and anyone who holds it can read your sessions and answer as you.")
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    with OwnerClient.sign_in(args.relay_url, args.recovery_key, device_name=args.device_name) as owner:
        out(f"Signed in as owner {owner.owner_id} on {owner.base_url} ({owner_path()}).")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    with OwnerClient.load() as owner:
        req = owner.inspect_pairing(args.link)
        agent = owner.approve_pairing(args.link)
    out(f"Approved agent {agent.name!r} ({agent.agent_id}), key fingerprint {req.fingerprint}.")
    out("Check that the agent's terminal shows the same fingerprint.")
    return 0


def cmd_refuse(args: argparse.Namespace) -> int:
    with OwnerClient.load() as owner:
        req = owner.refuse_pairing(args.link)
    out(f"Refused agent {req.name!r} ({req.agent_id}).")
    return 0
