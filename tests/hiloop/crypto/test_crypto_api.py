"""The public surface of hiloop.crypto: exports, signatures, strict receive checks, pairing and links."""

from __future__ import annotations

import inspect
import os
import re
from typing import Any

import pytest

import hiloop.crypto
from hiloop import wire
from hiloop.crypto import (
    CryptoError,
    Identity,
    PublicKeys,
    SessionKeyring,
    b64u_decode,
    b64u_encode,
    canonical_json,
    fingerprint,
    frame,
    guest_fragment,
    guest_identity,
    login_signature,
    new_id,
    new_mid,
    new_session_key,
    open_envelope,
    owner_identity,
    pairing_mac,
    parse_guest_fragment,
    seal,
    sign_agent_cert,
    sign_member,
    unwrap_key,
    verify_agent_cert,
    verify_login,
    verify_member,
    verify_pairing_mac,
    verify_signature,
    wrap_key,
)

INTERFACE = {  # docs/architecture.md §1
    "CryptoError", "b64u_encode", "b64u_decode", "frame", "u32",
    "Identity", "PublicKeys", "verify_signature",
    "new_session_key", "new_mid", "new_id",
    "sign_member", "verify_member", "wrap_key", "unwrap_key", "seal", "open_envelope",
    "owner_identity", "guest_identity", "guest_fragment", "parse_guest_fragment",
    "pairing_mac", "verify_pairing_mac", "sign_agent_cert", "verify_agent_cert",
    "login_signature", "verify_login", "fingerprint", "canonical_json",
    "SessionKeyring", "Opened", "Member",
}  # fmt: skip


def test_the_package_exports_a_sorted_all_covering_the_interface() -> None:
    exported = hiloop.crypto.__all__
    assert exported == sorted(exported)
    assert INTERFACE <= set(exported)
    assert set(exported) - INTERFACE == {"verify_wrap"}
    for name in exported:
        assert getattr(hiloop.crypto, name) is not None


def _public_callables() -> list[tuple[str, Any]]:
    found = []
    for name in hiloop.crypto.__all__:
        obj = getattr(hiloop.crypto, name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if isinstance(member, classmethod | staticmethod):
                    member = member.__func__
                if callable(member) and (not attr.startswith("_") or attr == "__init__"):
                    found.append((f"{name}.{attr}", member))
        elif callable(obj):
            found.append((name, obj))
    return found


def test_no_public_function_takes_a_nonce_or_an_ephemeral_key() -> None:
    forbidden = re.compile(r"(^|_)(nonce|n|iv|eph|eph_sk|epk|ephemeral|rng|random)($|_)", re.IGNORECASE)
    checked = _public_callables()
    assert {"seal", "wrap_key", "SessionKeyring.seal", "SessionKeyring.rotate"} <= {n for n, _ in checked}
    for name, fn in checked:
        params = inspect.signature(fn).parameters
        if name == "u32":  # u32(n): n is the integer to encode
            assert list(params) == ["n"]
            continue
        assert not [p for p in params if forbidden.search(p)], name


def test_seal_and_wrap_draw_fresh_nonces_and_ephemeral_keys() -> None:
    me, key = Identity.generate(), new_session_key()
    envs = [seal(me, sid="s_1", epoch=0, mid="m", sender="agent", session_key=key, plaintext=b"x") for _ in range(2)]
    assert envs[0]["n"] != envs[1]["n"]
    assert envs[0]["ct"] != envs[1]["ct"]
    wraps = [
        wrap_key(me, by="agent", sid="s_1", epoch=0, rid="agent", recipient_x25519=me.x25519_pub, session_key=key)
        for _ in range(2)
    ]
    assert wraps[0]["epk"] != wraps[1]["epk"]
    assert wraps[0]["n"] != wraps[1]["n"]
    assert unwrap_key(wraps[1], me, me.ed25519_pub) == key


def test_wire_objects_validate_against_the_relay_models() -> None:
    agent, owner = Identity.generate(), Identity.generate()
    kr, members, wraps = SessionKeyring.create("s_1", root=agent, owner=owner.public())
    for m in members:
        wire.MemberCert.model_validate(m)
    for w in wraps:
        wire.Wrap.model_validate(w)
    assert wire.Envelope.model_validate(kr.seal({"v": 1, "type": "title", "title": "T"})).wire()["from"] == "agent"
    cert = sign_agent_cert(owner, owner_id="o_1", agent_id="a_1", name="builder", keys=agent.public())
    wire.AgentCert.model_validate(cert)


# --- strict receive checks ---------------------------------------------------------------------


def _valid_envelope() -> tuple[dict[str, Any], Identity, bytes]:
    me, key = Identity.generate(), new_session_key()
    env = seal(me, sid="s_1", epoch=3, mid="m_1", sender="agent", session_key=key, plaintext=b"{}")
    return env, me, key


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("v", True), ("v", 2), ("v", "1"), ("v", 1.0), ("type", "wrap"), ("epoch", True), ("epoch", "3"),
        ("epoch", 3.0), ("epoch", -1), ("epoch", 2**32), ("sid", "s 1"), ("sid", ""), ("sid", "s" * 129),
        ("sid", "s_1\n"), ("mid", "m/1"), ("from", "agént"), ("n", "AAAA"), ("n", None), ("sig", "AAAA"),
        ("ct", ""), ("ct", "AAAA"),
    ],
)  # fmt: skip
def test_open_envelope_rejects_a_malformed_field(field: str, value: object) -> None:
    env, me, key = _valid_envelope()
    assert open_envelope(env, me.ed25519_pub, key) == b"{}"
    with pytest.raises(CryptoError) as info:
        open_envelope({**env, field: value}, me.ed25519_pub, key)
    assert "{}" not in str(info.value)


def test_open_envelope_rejects_extra_and_missing_fields() -> None:
    env, me, key = _valid_envelope()
    with pytest.raises(CryptoError):
        open_envelope({**env, "role": "owner"}, me.ed25519_pub, key)
    with pytest.raises(CryptoError):
        open_envelope({k: v for k, v in env.items() if k != "mid"}, me.ed25519_pub, key)
    with pytest.raises(CryptoError):
        open_envelope([env], me.ed25519_pub, key)  # type: ignore[arg-type]


def test_a_failure_never_shows_the_plaintext() -> None:
    me, key = Identity.generate(), new_session_key()
    env = seal(me, sid="s_1", epoch=0, mid="m_1", sender="agent", session_key=key, plaintext=b"CANARY-secret")
    with pytest.raises(CryptoError) as info:
        open_envelope(env, me.ed25519_pub, new_session_key())
    assert "CANARY" not in repr(info.value)
    assert "CANARY" not in str(info.value.__cause__ or "")


@pytest.mark.parametrize(
    ("field", "value"),
    [("epoch", True), ("epoch", "0"), ("epk", "AAAA"), ("n", "AAAAAAAAAAAAAAAA"), ("ct", "AAAA"), ("rid", "a b"),
     ("v", False), ("type", "msg")],
)  # fmt: skip
def test_unwrap_rejects_a_malformed_field(field: str, value: object) -> None:
    me = Identity.generate()
    w = wrap_key(me, by="agent", sid="s_1", epoch=0, rid="agent", recipient_x25519=me.x25519_pub, session_key=bytes(32))
    with pytest.raises(CryptoError):
        unwrap_key({**w, field: value}, me, me.ed25519_pub)


@pytest.mark.parametrize(
    ("field", "value"),
    [("role", "admin"), ("x25519", "AAAA"), ("ed25519", b64u_encode(bytes(31))), ("by", ""), ("v", True)],
)
def test_verify_member_rejects_a_malformed_field(field: str, value: object) -> None:
    me = Identity.generate()
    cert = sign_member(me, sid="s_1", member_id="agent", role="agent", keys=me.public(), by="agent")
    verify_member(cert, me.ed25519_pub)
    with pytest.raises(CryptoError):
        verify_member({**cert, field: value}, me.ed25519_pub)


def test_a_wrap_to_a_low_order_point_is_refused_when_made() -> None:
    me = Identity.generate()
    with pytest.raises(CryptoError, match="shared secret"):
        wrap_key(me, by="agent", sid="s_1", epoch=0, rid="owner", recipient_x25519=bytes(32), session_key=bytes(32))


# --- keys, ids, encodings ----------------------------------------------------------------------


def test_secret_derived_identities_depend_on_kind_and_scope() -> None:
    secret = os.urandom(32)
    assert owner_identity(secret, "o_1").public() == Identity.from_secret(secret, "owner", "o_1").public()
    assert guest_identity(secret, "s_1").public() == Identity.from_secret(secret, "guest", "s_1").public()
    assert owner_identity(secret, "o_1").public() != guest_identity(secret, "o_1").public()
    assert owner_identity(secret, "o_1").public() != owner_identity(secret, "o_2").public()
    with pytest.raises(CryptoError):
        Identity.from_secret(secret, "agent", "o_1")
    with pytest.raises(CryptoError):
        Identity.from_secret(secret[:16], "owner", "o_1")


def test_an_identity_round_trips_through_its_private_keys_and_hides_them_in_repr() -> None:
    me = Identity.generate()
    again = Identity.from_private(me.x25519_sk, me.ed25519_seed)
    assert again.public() == me.public()
    assert me.x25519_sk.hex() not in repr(me) and b64u_encode(me.ed25519_seed) not in repr(me)
    verify_signature(me.ed25519_pub, b"data", me.sign(b"data"))
    with pytest.raises(CryptoError):
        verify_signature(me.ed25519_pub, b"other", me.sign(b"data"))


def test_public_keys_round_trip_through_the_wire() -> None:
    keys = Identity.generate().public()
    assert PublicKeys.from_wire(keys.to_wire()) == keys
    with pytest.raises(CryptoError):
        PublicKeys.from_wire({"x25519": keys.to_wire()["x25519"], "ed25519": "AAAA"})
    with pytest.raises(CryptoError):
        PublicKeys(bytes(31), bytes(32))


def test_fingerprint_is_ten_bytes_of_sha256_in_base32_groups_of_four() -> None:
    fp = fingerprint(bytes(32))
    assert fp == "MZUH-VLPY-MK6X-O3EP"  # coreutils: sha256sum | cut -c1-20 | xxd -r -p | base32
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", fingerprint(Identity.generate().ed25519_pub))


def test_new_ids_are_random_and_well_formed() -> None:
    assert len(b64u_decode(new_mid())) == 16
    assert new_mid() != new_mid()
    sid = new_id("s_")
    assert sid.startswith("s_") and len(b64u_decode(sid[2:])) == 9
    assert len(b64u_decode(new_id("g_", 6)[2:])) == 6
    assert len(new_session_key()) == 32


def test_canonical_json_is_compact_and_keeps_key_order_and_unicode() -> None:
    assert canonical_json({"v": 1, "type": "t", "a": "é✓"}) == '{"v":1,"type":"t","a":"é✓"}'.encode()


def test_frame_separates_fields_so_inputs_cannot_collide() -> None:
    assert frame("l", "ab", "c") != frame("l", "a", "bc")


# --- guest links -------------------------------------------------------------------------------


def test_guest_fragment_round_trips_and_accepts_a_leading_hash() -> None:
    secret, root = os.urandom(32), os.urandom(32)
    fragment = guest_fragment(secret, root)
    assert fragment.startswith("v=1&g=")
    assert parse_guest_fragment(fragment) == (secret, root)
    assert parse_guest_fragment("#" + fragment) == (secret, root)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: f.replace("v=1", "v=2"),
        lambda f: f + "&x=1",
        lambda f: f + "&g=AAAA",
        lambda f: f.split("&a=")[0],
        lambda f: f[:-1],
        lambda f: f + "=",
        lambda f: f.replace("&", ";"),
        lambda f: "",
    ],
)
def test_parse_guest_fragment_rejects_a_malformed_fragment(mutate: Any) -> None:
    with pytest.raises(CryptoError):
        parse_guest_fragment(mutate(guest_fragment(os.urandom(32), os.urandom(32))))


# --- pairing, agent certificates, sign-in ------------------------------------------------------


def test_pairing_mac_verifies_and_binds_every_input() -> None:
    p, agent, owner = os.urandom(32), Identity.generate(), Identity.generate()
    args = ("p_1", agent.ed25519_pub, owner.x25519_pub, owner.ed25519_pub)
    mac = pairing_mac(p, *args)
    verify_pairing_mac(mac, p, *args)
    attacker = Identity.generate()
    for bad in [
        (mac, os.urandom(32), *args),
        (mac, p, "p_2", *args[1:]),
        (mac, p, "p_1", agent.ed25519_pub, attacker.x25519_pub, owner.ed25519_pub),
        (mac, p, "p_1", agent.ed25519_pub, owner.x25519_pub, attacker.ed25519_pub),
        (mac[:-1] + bytes([mac[-1] ^ 1]), p, *args),
    ]:
        with pytest.raises(CryptoError, match="bad mac"):
            verify_pairing_mac(*bad)


def test_agent_certificate_verifies_and_rejects_tampering() -> None:
    owner, agent = Identity.generate(), Identity.generate()
    cert = sign_agent_cert(owner, owner_id="o_1", agent_id="a_1", name="Builder ✓", keys=agent.public())
    verify_agent_cert(cert, owner.ed25519_pub)
    with pytest.raises(CryptoError):
        verify_agent_cert(cert, agent.ed25519_pub)
    for field, value in [("name", "Other"), ("agent", "a_2"), ("x25519", Identity.generate().public().to_wire()["x25519"]),
                         ("type", "member"), ("name", ""), ("v", True)]:  # fmt: skip
        with pytest.raises(CryptoError):
            verify_agent_cert({**cert, field: value}, owner.ed25519_pub)


def test_login_signature_verifies_for_its_owner_and_challenge_only() -> None:
    owner = owner_identity(os.urandom(32), "o_1")
    sig = login_signature(owner, "o_1", "chal-123")
    verify_login(owner.ed25519_pub, "o_1", "chal-123", sig)
    with pytest.raises(CryptoError):
        verify_login(owner.ed25519_pub, "o_1", "chal-124", sig)
    with pytest.raises(CryptoError):
        verify_login(owner.ed25519_pub, "o_2", "chal-123", sig)
    with pytest.raises(CryptoError):
        verify_login(Identity.generate().ed25519_pub, "o_1", "chal-123", sig)
    with pytest.raises(CryptoError):
        verify_login(owner.ed25519_pub, "o_1", "chal-123", sig + "=")
