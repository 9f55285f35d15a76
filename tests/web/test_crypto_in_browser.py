"""relay/web/js/crypto.js passes every case of tests/crypto_vectors.json inside Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.chromium

RUN_VECTORS = """async () => {
  const H = await import("/web/js/crypto.js");
  const suite = await import("/tests/js/vectors_suite.mjs");
  const V = await (await fetch("/vectors.json")).json();
  await H.checkSupport();
  const total = suite.vectorCases(H, V).length;
  return { total, ...(await suite.runAll(H, V)) };
}"""


def test_chromium_has_x25519_and_ed25519_in_webcrypto(page, static_server):
    page.goto(static_server + "/")
    supported = page.evaluate(
        """async () => { const H = await import("/web/js/crypto.js"); await H.checkSupport(); return true; }"""
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
      const H = await import("/web/js/crypto.js");
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
