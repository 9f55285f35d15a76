"""Every case of tests/crypto_vectors.json (crypto SPEC v1 §10), rebuilt byte for byte and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hiloop.crypto import (
    CryptoError,
    Identity,
    PublicKeys,
    SessionKeyring,
    b64u_decode,
    b64u_encode,
    frame,
    guest_fragment,
    guest_identity,
    open_envelope,
    parse_guest_fragment,
    sign_member,
    u32,
    unwrap_key,
    verify_member,
    verify_wrap,
)
from hiloop.crypto.keys import hkdf_sha256, x25519_dh
from hiloop.crypto.message import _msg_ad, _msg_tbs, _seal
from hiloop.crypto.wrap import _wrap_ad, _wrap_kek, _wrap_key, _wrap_tbs

V: dict[str, Any] = json.loads((Path(__file__).parents[2] / "crypto_vectors.json").read_text("utf-8"))
SID: str = V["session"]["sid"]
E0: dict[str, Any] = V["session"]["epoch0"]
E1: dict[str, Any] = V["session"]["epoch1"]
h = bytes.fromhex


def _identity(name: str) -> Identity:
    if name == "guest-1":
        return guest_identity(h(V["guest"]["secret_hex"]), V["guest"]["sid"])
    keys = V["identities"][name]
    return Identity.from_private(h(keys["x25519_sk_hex"]), h(keys["ed25519_seed_hex"]))


AGENT, OWNER, GUEST = _identity("agent"), _identity("owner"), _identity("guest-1")
BY_ID = {"agent": AGENT, "owner": OWNER, "guest-1": GUEST}


def _ids(cases: list[dict[str, Any]], key: str) -> list[str]:
    return [str(c[key]) for c in cases]


# --- §1 encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", V["base64url"], ids=lambda c: repr(c["b64u"]))
def test_base64url_encodes_and_decodes_each_vector(case: dict[str, str]) -> None:
    assert b64u_encode(h(case["hex"])) == case["b64u"]
    assert b64u_decode(case["b64u"]) == h(case["hex"])


@pytest.mark.parametrize("text", V["base64url_reject"])
def test_base64url_rejects_each_malformed_input(text: str) -> None:
    with pytest.raises(CryptoError):
        b64u_decode(text)


def _frame_field(field: str | dict[str, int]) -> bytes | str:
    return u32(field["u32"]) if isinstance(field, dict) else field


@pytest.mark.parametrize("case", V["frame"], ids=lambda c: c["out_hex"][-16:])
def test_frame_matches_each_vector(case: dict[str, Any]) -> None:
    assert frame(case["label"], *map(_frame_field, case["fields"])).hex() == case["out_hex"]


# --- §2 identities and §6 guest links ----------------------------------------------------------


@pytest.mark.parametrize("name", ["agent", "owner"])
def test_identity_public_keys_follow_from_the_private_keys(name: str) -> None:
    keys = V["identities"][name]
    ident = _identity(name)
    assert ident.x25519_pub.hex() == keys["x25519_pub_hex"]
    assert ident.ed25519_pub.hex() == keys["ed25519_pub_hex"]
    assert ident.public() == PublicKeys(h(keys["x25519_pub_hex"]), h(keys["ed25519_pub_hex"]))


def test_guest_keys_derive_from_the_link_secret_and_the_sid() -> None:
    g = V["guest"]
    salt = g["sid"].encode()
    assert hkdf_sha256(h(g["secret_hex"]), salt, g["hkdf"]["info_x25519"].encode()).hex() == g["x25519_sk_hex"]
    assert hkdf_sha256(h(g["secret_hex"]), salt, g["hkdf"]["info_ed25519"].encode()).hex() == g["ed25519_seed_hex"]
    assert GUEST.x25519_sk.hex() == g["x25519_sk_hex"]
    assert GUEST.ed25519_seed.hex() == g["ed25519_seed_hex"]
    assert GUEST.x25519_pub.hex() == g["x25519_pub_hex"]
    assert GUEST.ed25519_pub.hex() == g["ed25519_pub_hex"]


def test_guest_fragment_is_rebuilt_and_parsed_from_the_link() -> None:
    g = V["guest"]
    assert guest_fragment(h(g["secret_hex"]), h(g["root_ed25519_pub_hex"])) == g["fragment"]
    _, fragment = g["link"].split("#", 1)
    assert fragment == g["fragment"]
    assert parse_guest_fragment(fragment) == (h(g["secret_hex"]), h(g["root_ed25519_pub_hex"]))
    assert h(g["root_ed25519_pub_hex"]) == AGENT.ed25519_pub


# --- §3 member certificates --------------------------------------------------------------------


@pytest.mark.parametrize("cert", V["members"], ids=lambda c: c["id"])
def test_member_certificate_is_rebuilt_byte_for_byte_and_verifies(cert: dict[str, Any]) -> None:
    keys = PublicKeys(b64u_decode(cert["x25519"]), b64u_decode(cert["ed25519"]))
    assert keys == BY_ID[cert["id"]].public()
    rebuilt = sign_member(
        BY_ID[cert["by"]], sid=cert["sid"], member_id=cert["id"], role=cert["role"], keys=keys, by=cert["by"]
    )
    assert json.dumps(rebuilt) == json.dumps(cert)
    verify_member(cert, BY_ID[cert["by"]].ed25519_pub)


# --- §4 wraps ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", E0["wraps"], ids=lambda c: c["recipient"])
def test_epoch0_wrap_matches_every_intermediate_value_and_unwraps(case: dict[str, Any]) -> None:
    wire = case["wire"]
    recipient = BY_ID[case["recipient"]]
    wrapper = BY_ID[wire["by"]]
    assert recipient.x25519_pub.hex() == case["recipient_x25519_pub_hex"]
    assert wrapper.ed25519_pub.hex() == case["wrapper_ed25519_pub_hex"]
    eph = Identity.from_private(h(case["eph_sk_hex"]), bytes(32))
    epk = eph.x25519_pub
    assert epk.hex() == case["epk_hex"]
    dh = x25519_dh(h(case["eph_sk_hex"]), recipient.x25519_pub)
    assert dh.hex() == case["dh_hex"]
    assert x25519_dh(recipient.x25519_sk, epk) == dh
    assert (epk + recipient.x25519_pub).hex() == case["hkdf_salt_hex"]
    assert case["hkdf_info"] == "hiloop/v1/wrap"
    kek = _wrap_kek(dh, epk, recipient.x25519_pub)
    assert kek.hex() == case["kek_hex"]
    ad = _wrap_ad(SID, wire["epoch"], wire["rid"], wire["by"])
    assert ad.hex() == case["ad_hex"]
    ct = AESGCM(kek).encrypt(h(case["nonce_hex"]), h(case["session_key_hex"]), ad)
    assert b64u_encode(ct) == wire["ct"]
    tbs = _wrap_tbs(ad, epk, h(case["nonce_hex"]), ct)
    assert tbs.hex() == case["tbs_hex"]
    assert b64u_encode(wrapper.sign(tbs)) == wire["sig"]
    rebuilt = _wrap_key(
        wrapper,
        by=wire["by"],
        sid=SID,
        epoch=wire["epoch"],
        rid=wire["rid"],
        recipient_x25519=recipient.x25519_pub,
        session_key=h(case["session_key_hex"]),
        eph_sk=h(case["eph_sk_hex"]),
        nonce=h(case["nonce_hex"]),
    )
    assert json.dumps(rebuilt) == json.dumps(wire)
    assert unwrap_key(wire, recipient, wrapper.ed25519_pub).hex() == E0["session_key_hex"]


@pytest.mark.parametrize("case", E1["wraps"], ids=lambda c: c["recipient"])
def test_epoch1_wrap_is_rebuilt_byte_for_byte_and_unwraps(case: dict[str, Any]) -> None:
    wire = case["wire"]
    recipient = BY_ID[case["recipient"]]
    wrapper = BY_ID[E1["rotated_by"]]
    assert wire["by"] == E1["rotated_by"]
    assert wrapper.ed25519_pub.hex() == case["wrapper_ed25519_pub_hex"]
    rebuilt = _wrap_key(
        wrapper,
        by=wire["by"],
        sid=SID,
        epoch=1,
        rid=wire["rid"],
        recipient_x25519=h(case["recipient_x25519_pub_hex"]),
        session_key=h(case["session_key_hex"]),
        eph_sk=h(case["eph_sk_hex"]),
        nonce=h(case["nonce_hex"]),
    )
    assert json.dumps(rebuilt) == json.dumps(wire)
    assert unwrap_key(wire, recipient, wrapper.ed25519_pub).hex() == E1["session_key_hex"]


# --- §5 messages -------------------------------------------------------------------------------

MESSAGES = [*E0["messages"], *E1["messages"]]


@pytest.mark.parametrize("case", MESSAGES, ids=lambda c: c["name"])
def test_message_is_rebuilt_byte_for_byte_and_opens(case: dict[str, Any]) -> None:
    wire = case["wire"]
    sender = BY_ID[case["sender"]]
    assert wire["from"] == case["sender"]
    assert sender.ed25519_pub.hex() == case["sender_ed25519_pub_hex"]
    assert {m["id"]: m["role"] for m in V["members"]}[case["sender"]] == case["sender_role"]
    key, nonce, plaintext = h(case["session_key_hex"]), h(case["nonce_hex"]), h(case["plaintext_hex"])
    if "plaintext_utf8" in case:  # a lossy rendering when the plaintext is not UTF-8 (agent-200-bytes)
        assert plaintext.decode("utf-8", "replace") == case["plaintext_utf8"]
    ad = _msg_ad(SID, wire["epoch"], wire["mid"], wire["from"])
    assert ad.hex() == case["ad_hex"]
    if "tbs_hex" in case:
        assert _msg_tbs(ad, nonce, b64u_decode(wire["ct"])).hex() == case["tbs_hex"]
    rebuilt = _seal(
        sender,
        sid=SID,
        epoch=wire["epoch"],
        mid=wire["mid"],
        sender=wire["from"],
        session_key=key,
        plaintext=plaintext,
        nonce=nonce,
    )
    assert json.dumps(rebuilt) == json.dumps(wire)
    assert open_envelope(wire, sender.ed25519_pub, key) == plaintext


# --- §7 rotation -------------------------------------------------------------------------------


def _keyring(name: str) -> SessionKeyring:
    kr = SessionKeyring(SID, root_ed25519=AGENT.ed25519_pub, me=BY_ID[name], my_id=name)
    kr.load(members=V["members"], wraps=[w["wire"] for w in E0["wraps"]])
    return kr


def test_rotation_gives_a_fresh_key_to_the_remaining_members_only() -> None:
    assert E1["removed"] == ["guest-1"]
    assert {w["recipient"] for w in E1["wraps"]} == {"agent", "owner"}
    assert E1["session_key_hex"] != E0["session_key_hex"]
    e1_wraps = [w["wire"] for w in E1["wraps"]]
    for name in ("agent", "owner"):
        kr = _keyring(name)
        assert kr.epoch == 0
        kr.load(wraps=e1_wraps, removed=E1["removed"])
        assert kr.epoch == 1
        assert kr.session_key(0).hex() == E0["session_key_hex"]
        assert kr.session_key(1).hex() == E1["session_key_hex"]
        assert kr.holders(1) == {"agent", "owner"}
        assert kr.removed == {"guest-1"}
    guest = _keyring("guest-1")
    guest.load(wraps=e1_wraps, removed=E1["removed"])
    assert guest.epoch == 0
    assert guest.latest_epoch == 1
    with pytest.raises(CryptoError):
        guest.session_key(1)
    e1_msg = E1["messages"][0]["wire"]
    assert open_envelope(e1_msg, AGENT.ed25519_pub, h(E1["session_key_hex"])) == h(E1["messages"][0]["plaintext_hex"])
    with pytest.raises(CryptoError):
        open_envelope(e1_msg, AGENT.ed25519_pub, guest.session_key(0))


# --- negative cases ----------------------------------------------------------------------------


def test_there_are_nineteen_negative_cases() -> None:
    assert len(V["negative"]) == 19


@pytest.mark.parametrize("case", V["negative"], ids=lambda c: c["name"])
def test_negative_case_is_rejected(case: dict[str, Any]) -> None:
    wire = case["wire"]
    if case["kind"] == "msg":
        key = h(E0["session_key_hex"])
        with pytest.raises(CryptoError):
            open_envelope(wire, BY_ID[case["verify_with"]].ed25519_pub, key)
        with pytest.raises(CryptoError):
            _keyring("owner").open(wire)
        if case["aead_alone_must_fail"] or case.get("aead_alone_succeeds"):
            ad = _msg_ad(wire["sid"], wire["epoch"], wire["mid"], wire["from"])

            def decrypt() -> bytes:
                return AESGCM(key).decrypt(b64u_decode(wire["n"]), b64u_decode(wire["ct"]), ad)

            if case["aead_alone_must_fail"]:
                with pytest.raises(InvalidTag):
                    decrypt()
            else:  # only the signature stops this one: the key is shared by every member
                decrypt()
    elif case["kind"] == "wrap":
        recipient = BY_ID[case["recipient"]]
        wrapper = BY_ID[case["verify_with"]]
        with pytest.raises(CryptoError):
            unwrap_key(wire, recipient, wrapper.ed25519_pub)
        if case["name"].startswith("signed wrap"):  # a genuine signature: the X25519 check stops it
            verify_wrap(wire, wrapper.ed25519_pub)
            with pytest.raises(CryptoError, match="shared secret"):
                unwrap_key(wire, recipient, wrapper.ed25519_pub)
        kr = SessionKeyring(SID, root_ed25519=AGENT.ed25519_pub, me=recipient, my_id=case["recipient"])
        with pytest.raises(CryptoError):
            kr.load(members=V["members"], wraps=[wire])
    else:
        assert case["kind"] == "member"
        with pytest.raises(CryptoError):
            verify_member(wire, AGENT.ed25519_pub)
        kr = SessionKeyring(SID, root_ed25519=AGENT.ed25519_pub, me=OWNER, my_id="owner")
        with pytest.raises(CryptoError):
            kr.load(members=[*V["members"][:2], wire])
