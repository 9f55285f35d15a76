"""relay/web/js/crypto.js passes every case of tests/crypto_vectors.json inside Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.chromium

RUN_VECTORS = """async () => {
  const H = await import("/static/js/crypto.js");
  const suite = await import("/tests/js/vectors_suite.mjs");
  const V = await (await fetch("/vectors.json")).json();
  await H.checkSupport();
  const total = suite.vectorCases(H, V).length;
  return { total, ...(await suite.runAll(H, V)) };
}"""


def test_chromium_has_x25519_and_ed25519_in_webcrypto(page, static_server):
    page.goto(static_server + "/")
    supported = page.evaluate(
        """async () => { const H = await import("/static/js/crypto.js"); await H.checkSupport(); return true; }"""
    )
    assert supported is True


def test_every_crypto_vector_passes_in_chromium(page, static_server):
    page.goto(static_server + "/")
    result = page.evaluate(RUN_VECTORS)
    assert result["failed"] == []
    assert result["passed"] == result["total"] >= 58
    assert page.js_errors == []


def test_a_keyring_round_trip_works_in_chromium(page, static_server):
    page.goto(static_server + "/")
    opened = page.evaluate(
        """async () => {
      const H = await import("/static/js/crypto.js");
      const agent = await H.Identity.generate();
      const owner = await H.ownerIdentity(H.newSessionKey(), "o_test");
      const [akr, members, wraps] = await H.SessionKeyring.create("s_test", { root: agent, owner: owner.public() });
      const okr = new H.SessionKeyring("s_test", { rootEd25519: agent.ed25519Pub, me: owner, myId: "owner" });
      await okr.load({ members, wraps });
      const env = await okr.seal({ v: 1, type: "response", request: "m1", action: "approve" });
      const o = await akr.open(env);
      return { role: o.role, action: o.payload.action };
    }"""
    )
    assert opened == {"role": "owner", "action": "approve"}


def test_python_and_the_browser_open_each_others_envelopes(page, static_server):
    from hiloop.crypto import Identity, SessionKeyring, b64u_decode, b64u_encode, fingerprint, owner_identity

    secret = bytes(range(32))
    agent = Identity.generate()
    owner = owner_identity(secret, "o_interop")
    akr, members, wraps = SessionKeyring.create("s_interop", root=agent, owner=owner.public())
    guest = Identity.generate()
    gcert, gwrap = akr.add_member("g_1", "guest", guest.public())
    envelope = akr.seal({"v": 1, "type": "message", "components": [{"type": "text", "text": "Grüße ✓"}]})
    page.goto(static_server + "/")
    result = page.evaluate(
        """async ([secret, root, members, wraps, envelope]) => {
      const H = await import("/static/js/crypto.js");
      const owner = await H.ownerIdentity(H.b64uDecode(secret), "o_interop");
      const kr = new H.SessionKeyring("s_interop", { rootEd25519: H.b64uDecode(root), me: owner, myId: "owner" });
      await kr.load({ members, wraps });
      const opened = await kr.open(envelope);
      const reply = await kr.seal({ v: 1, type: "response", request: opened.mid, action: "approve" });
      const [epoch, rotation] = await kr.rotate(["g_1"]);
      return { role: opened.role, text: opened.payload.components[0].text, reply, epoch, rotation,
               fp: await H.fingerprint(H.b64uDecode(root)) };
    }""",
        [b64u_encode(secret), b64u_encode(agent.ed25519_pub), [*members, gcert], [*wraps, gwrap], envelope],
    )
    assert result["role"] == "agent"
    assert result["text"] == "Grüße ✓"
    assert result["fp"] == fingerprint(agent.ed25519_pub)
    back = akr.open(result["reply"])
    assert (back.role, back.payload["action"]) == ("owner", "approve")
    akr.load(wraps=result["rotation"], removed=["g_1"])
    assert akr.epoch == result["epoch"] == 1
    assert len(b64u_decode(result["rotation"][0]["epk"])) == 32
