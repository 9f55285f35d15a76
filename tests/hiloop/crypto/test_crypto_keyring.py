"""SessionKeyring: each participant's verified view of a session, and the forgeries it catches."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from hiloop.crypto import (
    CryptoError,
    Identity,
    PublicKeys,
    SessionKeyring,
    guest_identity,
    owner_identity,
    sign_member,
    wrap_key,
)
from hiloop.crypto.message import seal

SID = "s_keyringTest"


@dataclass
class Session:
    agent: Identity
    owner: Identity
    guest: Identity
    reader: Identity
    members: list[dict[str, Any]]
    wraps: list[dict[str, Any]]
    rings: dict[str, SessionKeyring]

    def ring(self, member_id: str, me: Identity, root: bytes | None = None) -> SessionKeyring:
        kr = SessionKeyring(SID, root_ed25519=root or self.agent.ed25519_pub, me=me, my_id=member_id)
        kr.load(members=self.members, wraps=self.wraps)
        return kr


@pytest.fixture
def session() -> Session:
    """A session created by the agent, a guest added by the owner, a reader added by the agent."""
    agent = Identity.generate()
    owner = owner_identity(os.urandom(32), "o_owner")
    guest = guest_identity(os.urandom(32), SID)
    reader = Identity.generate()
    agent_kr, members, wraps = SessionKeyring.create(SID, root=agent, owner=owner.public())
    s = Session(agent, owner, guest, reader, list(members), list(wraps), {})
    owner_kr = s.ring("owner", owner)
    cert, wrap = owner_kr.add_member("g_guest", "guest", guest.public())
    s.members.append(cert)
    s.wraps.append(wrap)
    cert, wrap = agent_kr.add_member("r_a_other", "reader", reader.public())
    s.members.append(cert)
    s.wraps.append(wrap)
    s.rings = {
        "agent": s.ring("agent", agent),
        "owner": s.ring("owner", owner),
        "g_guest": s.ring("g_guest", guest),
        "r_a_other": s.ring("r_a_other", reader),
    }
    return s


def test_create_gives_the_agent_and_the_owner_certificates_and_wraps_in_epoch_0() -> None:
    agent, owner = Identity.generate(), Identity.generate()
    kr, members, wraps = SessionKeyring.create(SID, root=agent, owner=owner.public())
    assert [(m["id"], m["role"], m["by"]) for m in members] == [("agent", "agent", "agent"), ("owner", "owner", "agent")]
    assert [(w["rid"], w["epoch"], w["by"]) for w in wraps] == [("agent", 0, "agent"), ("owner", 0, "agent")]
    assert kr.epoch == 0
    assert kr.members["owner"].keys == owner.public()


def test_every_participant_seals_and_every_other_opens(session: Session) -> None:
    for sender_id, sender in session.rings.items():
        env = sender.seal({"v": 1, "type": "message", "text": f"from {sender_id}"})
        assert env["from"] == sender_id
        assert env["epoch"] == 0
        for reader in session.rings.values():
            opened = reader.open(env)
            assert opened.sender == sender_id
            assert opened.role == session.rings["agent"].members[sender_id].role
            assert opened.payload == {"v": 1, "type": "message", "text": f"from {sender_id}"}
            assert opened.mid == env["mid"]


def test_seal_uses_the_given_mid() -> None:
    agent, owner = Identity.generate(), Identity.generate()
    kr, _, _ = SessionKeyring.create(SID, root=agent, owner=owner.public())
    assert kr.seal({"v": 1, "type": "title", "title": "T"}, mid="title-0")["mid"] == "title-0"


def test_the_owner_trusts_the_root_only_through_its_pinned_key(session: Session) -> None:
    impostor = SessionKeyring(SID, root_ed25519=Identity.generate().ed25519_pub, me=session.owner, my_id="owner")
    with pytest.raises(CryptoError, match="pinned root"):
        impostor.load(members=session.members, wraps=session.wraps)
    # A relay that replaces the whole session with one rooted at its own agent key is caught too.
    relay_agent = Identity.generate()
    _, members, wraps = SessionKeyring.create(SID, root=relay_agent, owner=session.owner.public())
    pinned = SessionKeyring(SID, root_ed25519=session.agent.ed25519_pub, me=session.owner, my_id="owner")
    with pytest.raises(CryptoError, match="pinned root"):
        pinned.load(members=members, wraps=wraps)


def test_the_role_comes_from_the_certificate_not_the_plaintext(session: Session) -> None:
    env = session.rings["g_guest"].seal({"v": 1, "type": "response", "action": "allow", "role": "owner"})
    opened = session.rings["agent"].open(env)
    assert opened.role == "guest"
    assert opened.sender == "g_guest"


def test_an_approval_signed_by_a_guest_key_claimed_as_owner_is_rejected(session: Session) -> None:
    guest_kr = session.rings["g_guest"]
    forged = seal(
        session.guest,
        sid=SID,
        epoch=0,
        mid="m_forged",
        sender="owner",
        session_key=guest_kr.session_key(0),
        plaintext=b'{"v":1,"type":"response","request":"m1","action":"allow"}',
    )
    for member_id in ("agent", "owner", "r_a_other"):
        with pytest.raises(CryptoError, match="bad signature"):
            session.rings[member_id].open(forged)


def test_an_approval_signed_by_an_unknown_key_is_rejected(session: Session) -> None:
    stranger = Identity.generate()
    leaked = session.rings["g_guest"].session_key(0)
    payload = b'{"v":1,"type":"response","request":"m1","action":"allow"}'
    as_owner = seal(stranger, sid=SID, epoch=0, mid="m_x", sender="owner", session_key=leaked, plaintext=payload)
    with pytest.raises(CryptoError, match="bad signature"):
        session.rings["agent"].open(as_owner)
    as_itself = seal(stranger, sid=SID, epoch=0, mid="m_y", sender="relay", session_key=leaked, plaintext=payload)
    with pytest.raises(CryptoError, match="unknown sender"):
        session.rings["agent"].open(as_itself)


def _swap_owner(session: Session, cert: dict[str, Any]) -> list[dict[str, Any]]:
    return [cert if m["id"] == "owner" else m for m in session.members]


def test_an_owner_certificate_swapped_by_the_relay_is_rejected(session: Session) -> None:
    attacker = Identity.generate()
    signed_by_attacker = sign_member(
        attacker, sid=SID, member_id="owner", role="owner", keys=attacker.public(), by="agent"
    )
    self_signed = sign_member(attacker, sid=SID, member_id="owner", role="owner", keys=attacker.public(), by="owner")
    for cert in (signed_by_attacker, self_signed):
        fresh = SessionKeyring(SID, root_ed25519=session.agent.ed25519_pub, me=session.guest, my_id="g_guest")
        with pytest.raises(CryptoError):
            fresh.load(members=_swap_owner(session, cert), wraps=session.wraps)
        # A participant that already holds the genuine certificate refuses the substitute as well.
        with pytest.raises(CryptoError, match="conflicting member certificate"):
            session.rings["agent"].load(members=[cert])


def test_a_session_key_wrapped_by_the_relay_is_rejected(session: Session) -> None:
    attacker = Identity.generate()
    relay_key = os.urandom(32)
    forged = wrap_key(
        attacker,
        by="agent",
        sid=SID,
        epoch=1,
        rid="owner",
        recipient_x25519=session.owner.x25519_pub,
        session_key=relay_key,
    )
    with pytest.raises(CryptoError, match="bad signature"):
        session.rings["owner"].load(wraps=[forged])
    assert session.rings["owner"].epoch == 0


def test_a_session_key_wrapped_by_a_guest_is_rejected(session: Session) -> None:
    forged = wrap_key(
        session.guest,
        by="g_guest",
        sid=SID,
        epoch=1,
        rid="owner",
        recipient_x25519=session.owner.x25519_pub,
        session_key=os.urandom(32),
    )
    with pytest.raises(CryptoError, match="not signed by the agent or an owner"):
        session.rings["owner"].load(wraps=[forged])


def test_a_wrap_replaced_by_the_relay_in_the_same_epoch_is_rejected(session: Session) -> None:
    replacement = wrap_key(
        session.agent,
        by="agent",
        sid=SID,
        epoch=0,
        rid="owner",
        recipient_x25519=session.owner.x25519_pub,
        session_key=os.urandom(32),
    )
    with pytest.raises(CryptoError, match="conflicting wraps"):
        session.rings["owner"].load(wraps=[replacement])


def test_rotation_wraps_only_for_the_remaining_members(session: Session) -> None:
    epoch, wraps = session.rings["owner"].rotate(remove=["g_guest"])
    assert epoch == 1
    assert sorted(w["rid"] for w in wraps) == ["agent", "owner", "r_a_other"]
    assert all(w["by"] == "owner" and w["epoch"] == 1 for w in wraps)
    for member_id in ("agent", "r_a_other"):
        session.rings[member_id].load(wraps=wraps, removed=["g_guest"])
        assert session.rings[member_id].epoch == 1
        assert session.rings[member_id].session_key(1) != session.rings[member_id].session_key(0)
    guest_kr = session.rings["g_guest"]
    guest_kr.load(wraps=wraps, removed=["g_guest"])
    assert guest_kr.epoch == 0
    env = session.rings["agent"].seal({"v": 1, "type": "message", "text": "after removal"})
    assert env["epoch"] == 1
    assert session.rings["r_a_other"].open(env).payload["text"] == "after removal"
    with pytest.raises(CryptoError, match="no session key"):
        guest_kr.open(env)


def test_a_relay_that_forgets_a_removal_cannot_bring_the_member_back(session: Session) -> None:
    _, wraps = session.rings["agent"].rotate(remove=["g_guest"])
    owner_kr = session.rings["owner"]
    owner_kr.load(wraps=wraps)  # the relay leaves `removed` empty
    assert owner_kr.removed == set()
    _, next_wraps = owner_kr.rotate()
    assert sorted(w["rid"] for w in next_wraps) == ["agent", "owner", "r_a_other"]


def test_a_member_without_the_newest_key_cannot_add_members_or_rotate(session: Session) -> None:
    _, wraps = session.rings["agent"].rotate()
    owner_kr = session.rings["owner"]
    only_others = [w for w in wraps if w["rid"] != "owner"]
    owner_kr.load(wraps=only_others)
    assert (owner_kr.epoch, owner_kr.latest_epoch) == (0, 1)
    with pytest.raises(CryptoError, match="newest epoch"):
        owner_kr.add_member("g_late", "guest", Identity.generate().public())
    with pytest.raises(CryptoError, match="newest epoch"):
        owner_kr.rotate()


def test_a_message_from_a_removed_member_in_a_new_epoch_is_rejected(session: Session) -> None:
    epoch, wraps = session.rings["agent"].rotate(remove=["g_guest"])
    owner_kr = session.rings["owner"]
    owner_kr.load(wraps=wraps, removed=["g_guest"])
    # Even holding the new key (leaked), the removed guest holds no wrap in epoch 1.
    forged = seal(
        session.guest,
        sid=SID,
        epoch=epoch,
        mid="m_late",
        sender="g_guest",
        session_key=owner_kr.session_key(epoch),
        plaintext=b'{"v":1,"type":"response","request":"m1","action":"allow"}',
    )
    with pytest.raises(CryptoError, match="holds no key in that epoch"):
        owner_kr.open(forged)


def test_messages_from_before_a_removal_still_open(session: Session) -> None:
    old = session.rings["g_guest"].seal({"v": 1, "type": "message", "text": "hello"})
    _, wraps = session.rings["agent"].rotate(remove=["g_guest"])
    session.rings["owner"].load(wraps=wraps, removed=["g_guest"])
    assert session.rings["owner"].open(old).role == "guest"


@pytest.mark.parametrize("role", ["guest", "reader"])
def test_a_certificate_signed_by_a_guest_is_rejected(session: Session, role: str) -> None:
    newcomer = Identity.generate()
    cert = sign_member(session.guest, sid=SID, member_id="g_friend", role=role, keys=newcomer.public(), by="g_guest")
    fresh = SessionKeyring(SID, root_ed25519=session.agent.ed25519_pub, me=session.owner, my_id="owner")
    with pytest.raises(CryptoError, match="not signed by the root or an owner"):
        fresh.load(members=[*session.members, cert], wraps=session.wraps)
    with pytest.raises(CryptoError, match="not signed by the root or an owner"):
        session.rings["agent"].load(members=[cert])


def test_a_certificate_signed_by_a_reader_is_rejected(session: Session) -> None:
    cert = sign_member(
        session.reader, sid=SID, member_id="g_friend", role="guest", keys=Identity.generate().public(), by="r_a_other"
    )
    with pytest.raises(CryptoError, match="not signed by the root or an owner"):
        session.rings["owner"].load(members=[cert])


def test_an_owner_certificate_signed_by_an_owner_is_rejected(session: Session) -> None:
    second = Identity.generate()
    cert = sign_member(session.owner, sid=SID, member_id="owner2", role="owner", keys=second.public(), by="owner")
    with pytest.raises(CryptoError, match="must be signed by the root"):
        session.rings["agent"].load(members=[cert])
    with pytest.raises(CryptoError, match="only the root"):
        session.rings["owner"].add_member("owner2", "owner", second.public())


def test_guests_and_readers_cannot_add_members_or_rotate(session: Session) -> None:
    for member_id in ("g_guest", "r_a_other"):
        with pytest.raises(CryptoError, match="only the agent or an owner"):
            session.rings[member_id].add_member("g_more", "guest", Identity.generate().public())
        with pytest.raises(CryptoError, match="only the agent or an owner"):
            session.rings[member_id].rotate()


def test_open_rejects_an_envelope_for_another_session(session: Session) -> None:
    other_kr, _, _ = SessionKeyring.create("s_other", root=session.agent, owner=session.owner.public())
    env = other_kr.seal({"v": 1, "type": "message"})
    with pytest.raises(CryptoError, match="another session"):
        session.rings["agent"].open(env)


def test_load_rejects_certificates_and_wraps_for_another_session(session: Session) -> None:
    _, members, wraps = SessionKeyring.create("s_other", root=session.agent, owner=session.owner.public())
    fresh = SessionKeyring(SID, root_ed25519=session.agent.ed25519_pub, me=session.owner, my_id="owner")
    with pytest.raises(CryptoError, match="another session"):
        fresh.load(members=members, wraps=wraps)


@pytest.mark.parametrize(
    "payload",
    [b"[]", b'{"type":"message"}', b'{"v":2,"type":"message"}', b'{"v":true,"type":"message"}', b'{"v":1}',
     b'{"v":1,"type":"x","n":NaN}', b"\xff", b"not json"],
)
def test_open_requires_a_v1_json_object_with_a_type(session: Session, payload: bytes) -> None:
    env = seal(
        session.agent,
        sid=SID,
        epoch=0,
        mid="m_bad",
        sender="agent",
        session_key=session.rings["agent"].session_key(0),
        plaintext=payload,
    )
    with pytest.raises(CryptoError) as info:
        session.rings["owner"].open(env)
    assert info.value.__cause__ is None  # a decoder error would carry the plaintext along


def test_seal_refuses_a_payload_others_could_not_open(session: Session) -> None:
    with pytest.raises(CryptoError):
        session.rings["agent"].seal({"type": "message"})


def test_load_is_idempotent(session: Session) -> None:
    kr = session.rings["owner"]
    before = (kr.members, kr.epoch, kr.holders(0))
    kr.load(members=session.members, wraps=session.wraps)
    kr.load(members=session.members[:1], wraps=session.wraps[:1])
    assert (kr.members, kr.epoch, kr.holders(0)) == before


def test_a_failed_load_changes_nothing(session: Session) -> None:
    kr = session.rings["owner"]
    _, wraps = session.rings["agent"].rotate()
    bad = dict(wraps[0], sig=wraps[1]["sig"])
    with pytest.raises(CryptoError):
        kr.load(wraps=[*wraps, bad], removed=["g_guest"])
    assert kr.epoch == 0
    assert kr.removed == set()


def test_my_certificate_must_carry_my_keys(session: Session) -> None:
    stranger = Identity.generate()
    kr = SessionKeyring(SID, root_ed25519=session.agent.ed25519_pub, me=stranger, my_id="owner")
    with pytest.raises(CryptoError, match="my keys"):
        kr.load(members=session.members, wraps=[])


def test_a_keyring_without_a_key_cannot_seal(session: Session) -> None:
    kr = SessionKeyring(SID, root_ed25519=session.agent.ed25519_pub, me=session.owner, my_id="owner")
    assert kr.epoch == -1
    with pytest.raises(CryptoError, match="no session key"):
        kr.seal({"v": 1, "type": "message"})


def test_a_rotation_that_lost_the_race_gives_way_to_the_accepted_batch(session: Session) -> None:
    owner_kr, agent_kr = session.rings["owner"], session.rings["agent"]
    _, mine = owner_kr.rotate()
    _, accepted = agent_kr.rotate()
    owner_kr.load(wraps=accepted)
    assert owner_kr.epoch == 1
    assert owner_kr.session_key(1) == agent_kr.session_key(1)
    assert owner_kr.open(agent_kr.seal({"v": 1, "type": "message"})).sender == "agent"
    with pytest.raises(CryptoError, match="conflicting wraps"):
        owner_kr.load(wraps=mine)


def test_the_next_rotation_follows_the_newest_epoch(session: Session) -> None:
    first, wraps = session.rings["agent"].rotate()
    session.rings["owner"].load(wraps=wraps)
    second, _ = session.rings["owner"].rotate()
    assert (first, second) == (1, 2)


def test_add_member_refuses_an_existing_id_and_the_agent_role(session: Session) -> None:
    kr = session.rings["agent"]
    with pytest.raises(CryptoError, match="exists"):
        kr.add_member("g_guest", "guest", Identity.generate().public())
    with pytest.raises(CryptoError, match="invalid role"):
        kr.add_member("a_2", "agent", Identity.generate().public())


def test_rotate_refuses_to_remove_the_agent_or_an_unknown_member(session: Session) -> None:
    with pytest.raises(CryptoError):
        session.rings["owner"].rotate(remove=["agent"])
    with pytest.raises(CryptoError, match="unknown member"):
        session.rings["owner"].rotate(remove=["g_nobody"])


def test_a_guest_added_by_the_owner_joins_with_its_link_secret(session: Session) -> None:
    secret = os.urandom(32)
    joining = guest_identity(secret, SID)
    cert, wrap = session.rings["owner"].add_member("g_link", "guest", joining.public())
    assert cert["by"] == "owner" and wrap["by"] == "owner"
    kr = SessionKeyring(SID, root_ed25519=session.agent.ed25519_pub, me=guest_identity(secret, SID), my_id="g_link")
    kr.load(members=[*session.members, cert], wraps=[*session.wraps, wrap])
    assert kr.members["g_link"].keys == PublicKeys(joining.x25519_pub, joining.ed25519_pub)
    assert kr.open(session.rings["agent"].seal({"v": 1, "type": "message"})).role == "agent"
