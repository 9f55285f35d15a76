"""SessionKeyring: one participant's verified view of one session's members, wraps and keys.

Trust comes from the pinned root key only, never from what the relay serves: the member `agent` must
carry the pinned root key and be self-signed; every other certificate is signed by the root, or by an
`owner` whose certificate the root signed (owner certificates themselves must be signed by the root);
a wrap counts only when signed by an agent or owner member; a message is accepted only from a member
holding a wrap in its epoch, signature verified before decryption. The role reported for a message is
the certificate's, never the plaintext's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hiloop.crypto.checks import ROLES, check_ident
from hiloop.crypto.encoding import canonical_json
from hiloop.crypto.errors import CryptoError
from hiloop.crypto.ids import new_mid
from hiloop.crypto.keys import Identity, PublicKeys, new_session_key, verify_signature
from hiloop.crypto.members import Member, _member_tbs, parse_member, sign_member
from hiloop.crypto.message import ParsedEnvelope, seal
from hiloop.crypto.wrap import ParsedWrap, wrap_key

ROOT_ID = "agent"
OWNER_ID = "owner"
_SIGNER_ROLES = ("agent", "owner")


@dataclass(frozen=True)
class Opened:
    """A verified, decrypted message: `role` comes from the sender's certificate."""

    mid: str
    sender: str
    role: str
    epoch: int
    payload: dict[str, Any]


@dataclass
class _State:
    certs: dict[str, dict[str, Any]]
    wraps: dict[tuple[int, str], dict[str, Any]]
    removed: set[str]
    members: dict[str, Member]
    holders: dict[int, set[str]]  # epoch -> member ids holding a wrap in it
    keys: dict[int, bytes]  # epoch -> session key (mine)


def _reject_constant(name: str) -> Any:
    raise CryptoError("invalid payload")


def _parse_payload(plaintext: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(plaintext.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        # Not chained: the decoder's exception carries the plaintext (`.doc`, `.object`).
        raise CryptoError("invalid payload") from None
    _check_payload(payload)
    assert isinstance(payload, dict)
    return payload


def _check_payload(payload: object) -> None:
    if not isinstance(payload, dict):
        raise CryptoError("payload is not an object")
    if type(payload.get("v")) is not int or payload["v"] != 1:
        raise CryptoError("payload: unsupported version")
    if not isinstance(payload.get("type"), str):
        raise CryptoError("payload: missing type")


class SessionKeyring:
    """One participant's view of one session: verified members, wraps and session keys."""

    def __init__(self, sid: str, *, root_ed25519: bytes, me: Identity, my_id: str) -> None:
        self.sid = check_ident(sid, "sid")
        self.my_id = check_ident(my_id, "member id")
        self.me = me
        if not isinstance(root_ed25519, bytes) or len(root_ed25519) != 32:
            raise CryptoError("root key must be 32 bytes")
        self.root_ed25519 = root_ed25519
        self._state = _State({}, {}, set(), {}, {}, {})
        self._pending: set[int] = set()  # epochs I rotated to that the relay has not confirmed yet
        # Signature checks and unwraps are pure functions of their inputs: remember the ones that
        # passed so that reloading a long session costs little.
        self._verified: set[tuple[bytes, bytes, bytes]] = set()
        self._unwrapped: dict[tuple[object, ...], bytes] = {}

    # --- reading --------------------------------------------------------------------------------

    @property
    def members(self) -> dict[str, Member]:
        """Every verified member (removed ones included: their certificates stay for history)."""
        return dict(self._state.members)

    @property
    def removed(self) -> frozenset[str]:
        return frozenset(self._state.removed)

    @property
    def epoch(self) -> int:
        """The newest epoch this participant holds a key for; -1 before it holds any."""
        return max(self._state.keys, default=-1)

    @property
    def latest_epoch(self) -> int:
        """The newest epoch any wrap exists for; -1 before any."""
        return max(self._state.holders, default=-1)

    def holders(self, epoch: int) -> frozenset[str]:
        """Member ids holding a verified wrap in `epoch`."""
        return frozenset(self._state.holders.get(epoch, ()))

    def session_key(self, epoch: int) -> bytes:
        try:
            return self._state.keys[epoch]
        except KeyError:
            raise CryptoError("no session key for that epoch") from None

    # --- loading --------------------------------------------------------------------------------

    def load(
        self,
        members: Iterable[Mapping[str, Any]] = (),
        wraps: Iterable[Mapping[str, Any]] = (),
        removed: Iterable[str] = (),
    ) -> None:
        """Merge certificates, wraps and removals; verify everything; raise CryptoError on any fault.

        Idempotent. Nothing changes when it raises. A certificate or wrap that contradicts one
        already held (same member id, or same epoch and recipient, different content) is an error,
        except a wrap for an epoch this keyring rotated to itself and the relay has not confirmed:
        the relay's batch wins (another participant's rotation was accepted first).
        """
        certs = dict(self._state.certs)
        for cert in members:
            _, m, _ = parse_member(cert)
            held = certs.get(m.id)
            if held is not None and held != cert:
                raise CryptoError("conflicting member certificate")
            certs[m.id] = dict(cert)
        all_wraps = dict(self._state.wraps)
        pending = set(self._pending)
        incoming: dict[tuple[int, str], dict[str, Any]] = {}
        for wrap in wraps:
            parsed = ParsedWrap(wrap)
            slot = (parsed.epoch, parsed.rid)
            if slot in incoming and incoming[slot] != wrap:
                raise CryptoError("conflicting wraps")
            incoming[slot] = dict(wrap)
        for (epoch, rid), wrap in incoming.items():
            held_wrap = all_wraps.get((epoch, rid))
            if held_wrap is not None and held_wrap != wrap:
                if epoch not in pending:
                    raise CryptoError("conflicting wraps")
                all_wraps = {k: w for k, w in all_wraps.items() if k[0] != epoch}
            pending.discard(epoch)
        all_wraps.update(incoming)
        gone = set(self._state.removed)
        for member_id in removed:
            gone.add(check_ident(member_id, "member id"))
        self._state = self._verify(certs, all_wraps, gone)
        self._pending = pending

    def _verify(
        self,
        certs: dict[str, dict[str, Any]],
        wraps: dict[tuple[int, str], dict[str, Any]],
        removed: set[str],
    ) -> _State:
        members = self._verify_members(certs)
        mine = members.get(self.my_id)
        if mine is not None and mine.keys != self.me.public():
            raise CryptoError("my certificate does not carry my keys")
        holders: dict[int, set[str]] = {}
        keys: dict[int, bytes] = {}
        for (epoch, rid), wrap in sorted(wraps.items()):
            parsed = ParsedWrap(wrap)
            if parsed.sid != self.sid:
                raise CryptoError("wrap for another session")
            if rid not in members:
                raise CryptoError("wrap for an unknown member")
            wrapper = members.get(parsed.by)
            if wrapper is None or wrapper.role not in _SIGNER_ROLES:
                raise CryptoError("wrap not signed by the agent or an owner")
            self._check_sig(wrapper.keys.ed25519, parsed.tbs, parsed.sig, "wrap: bad signature")
            if rid == self.my_id:
                memo = tuple(sorted(wrap.items()))
                if memo not in self._unwrapped:
                    self._unwrapped[memo] = parsed.unwrap(self.me)
                keys[epoch] = self._unwrapped[memo]
            holders.setdefault(epoch, set()).add(rid)
        return _State(certs, wraps, removed, members, holders, keys)

    def _check_sig(self, ed25519: bytes, tbs: bytes, sig: bytes, failure: str) -> None:
        memo = (ed25519, tbs, sig)
        if memo in self._verified:
            return
        try:
            verify_signature(ed25519, tbs, sig)
        except CryptoError as exc:
            raise CryptoError(failure) from exc
        self._verified.add(memo)

    def _verify_members(self, certs: dict[str, dict[str, Any]]) -> dict[str, Member]:
        if ROOT_ID not in certs:
            raise CryptoError("no agent certificate")
        parsed = {}
        for member_id, cert in certs.items():
            sid, m, sig = parse_member(cert)
            if sid != self.sid:
                raise CryptoError("certificate for another session")
            if (m.id == ROOT_ID) != (m.role == "agent"):
                raise CryptoError("only the member 'agent' has the role agent")
            parsed[member_id] = (m, _member_tbs(sid, m.id, m.role, m.keys, m.by), sig)
        root, root_tbs, root_sig = parsed[ROOT_ID]
        if root.by != ROOT_ID or root.keys.ed25519 != self.root_ed25519:
            raise CryptoError("agent certificate does not carry the pinned root key")
        self._check_sig(self.root_ed25519, root_tbs, root_sig, "member certificate: bad signature")
        members = {ROOT_ID: root}
        # Certificates signed by the root first, then those signed by a root-certified owner.
        for by_root in (True, False):
            for member_id, (m, tbs, sig) in parsed.items():
                if member_id == ROOT_ID or (m.by == ROOT_ID) != by_root:
                    continue
                signer = members.get(m.by)
                if signer is None or (m.by != ROOT_ID and signer.role != "owner"):
                    raise CryptoError("certificate not signed by the root or an owner")
                if m.role == "owner" and m.by != ROOT_ID:
                    raise CryptoError("an owner certificate must be signed by the root")
                self._check_sig(signer.keys.ed25519, tbs, sig, "member certificate: bad signature")
                members[member_id] = m
        return members

    # --- sending and receiving -------------------------------------------------------------------

    def seal(self, payload: Mapping[str, Any], mid: str | None = None) -> dict[str, Any]:
        """An envelope of `payload` (a JSON object with `"v": 1` and a `"type"`) in my newest epoch."""
        _check_payload(payload)
        epoch = self.epoch
        if epoch < 0:
            raise CryptoError("no session key")
        return seal(
            self.me,
            sid=self.sid,
            epoch=epoch,
            mid=new_mid() if mid is None else mid,
            sender=self.my_id,
            session_key=self._state.keys[epoch],
            plaintext=canonical_json(payload),
        )

    def open(self, envelope: Mapping[str, Any]) -> Opened:
        """Check, verify and decrypt an envelope of this session; raise CryptoError on any fault."""
        env = ParsedEnvelope(envelope)
        if env.sid != self.sid:
            raise CryptoError("envelope for another session")
        sender = self._state.members.get(env.sender)
        if sender is None:
            raise CryptoError("unknown sender")
        if env.sender not in self._state.holders.get(env.epoch, ()):
            raise CryptoError("sender holds no key in that epoch")
        key = self._state.keys.get(env.epoch)
        if key is None:
            raise CryptoError("no session key for that epoch")
        payload = _parse_payload(env.open(sender.keys.ed25519, key))
        return Opened(mid=env.mid, sender=env.sender, role=sender.role, epoch=env.epoch, payload=payload)

    # --- creating and extending -------------------------------------------------------------------

    @classmethod
    def create(
        cls, sid: str, *, root: Identity, owner: PublicKeys
    ) -> tuple[SessionKeyring, list[dict[str, Any]], list[dict[str, Any]]]:
        """A new session rooted at `root` (member `agent`) with its owner (member `owner`), epoch 0."""
        kr = cls(sid, root_ed25519=root.ed25519_pub, me=root, my_id=ROOT_ID)
        members = [
            sign_member(root, sid=sid, member_id=ROOT_ID, role="agent", keys=root.public(), by=ROOT_ID),
            sign_member(root, sid=sid, member_id=OWNER_ID, role="owner", keys=owner, by=ROOT_ID),
        ]
        sk = new_session_key()
        wraps = [kr._wrap(0, ROOT_ID, root.x25519_pub, sk), kr._wrap(0, OWNER_ID, owner.x25519, sk)]
        kr.load(members=members, wraps=wraps)
        return kr, members, wraps

    def _wrap(self, epoch: int, rid: str, x25519: bytes, sk: bytes) -> dict[str, Any]:
        return wrap_key(
            self.me, by=self.my_id, sid=self.sid, epoch=epoch, rid=rid, recipient_x25519=x25519, session_key=sk
        )

    def _require_signer(self) -> int:
        """Check that I may certify and wrap; return the newest epoch, whose key I must hold."""
        mine = self._state.members.get(self.my_id)
        if mine is None or mine.role not in _SIGNER_ROLES or self.my_id in self._state.removed:
            raise CryptoError("only the agent or an owner may do this")
        if self.epoch < 0 or self.epoch != self.latest_epoch:
            raise CryptoError("no session key for the newest epoch")
        return self.epoch

    def add_member(self, member_id: str, role: str, keys: PublicKeys) -> tuple[dict[str, Any], dict[str, Any]]:
        """Certify a new member (signed by me) and wrap the current session key for it."""
        epoch = self._require_signer()
        check_ident(member_id, "member id")
        if role not in ROLES or role == "agent":
            raise CryptoError("invalid role for a new member")
        if role == "owner" and self.my_id != ROOT_ID:
            raise CryptoError("only the root may certify an owner")
        if member_id in self._state.certs:
            raise CryptoError("member id exists")
        cert = sign_member(self.me, sid=self.sid, member_id=member_id, role=role, keys=keys, by=self.my_id)
        wrap = self._wrap(epoch, member_id, keys.x25519, self._state.keys[epoch])
        self.load(members=[cert], wraps=[wrap])
        return cert, wrap

    def rotate(self, remove: Iterable[str] = ()) -> tuple[int, list[dict[str, Any]]]:
        """A fresh key for the next epoch, wrapped for the remaining members (me included).

        The remaining members are those holding a verified wrap in the newest epoch, less `remove`
        and any member marked removed: a relay that forgets a removal cannot get a removed member
        back into the session through someone else's rotation.
        """
        current = self._require_signer()
        gone = set(self._state.removed)
        for member_id in remove:
            check_ident(member_id, "member id")
            if member_id in (ROOT_ID, self.my_id):
                raise CryptoError("cannot remove the agent or myself")
            if member_id not in self._state.members:
                raise CryptoError("unknown member")
            gone.add(member_id)
        epoch = current + 1
        sk = new_session_key()
        remaining = self._state.holders[current] - gone
        wraps = [
            self._wrap(epoch, m.id, m.keys.x25519, sk) for m in self._state.members.values() if m.id in remaining
        ]
        self.load(wraps=wraps, removed=gone)
        self._pending.add(epoch)
        return epoch, wraps
