// SessionKeyring trust rules and the rest of the crypto.js API, with fresh identities.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as H from "../../relay/web/js/crypto.js";

async function session() {
  const agent = await H.Identity.generate();
  const owner = await H.Identity.generate();
  const sid = H.newId("s_");
  const [akr, members, wraps] = await H.SessionKeyring.create(sid, { root: agent, owner: owner.public() });
  const okr = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: owner, myId: "owner" });
  await okr.load({ members, wraps });
  return { agent, owner, sid, akr, okr, members, wraps };
}

const msg = (text) => ({ v: 1, type: "message", components: [{ type: "text", text }] });

test("the owner opens what the agent sealed and sees the role from the certificate", async () => {
  const { akr, okr } = await session();
  const env = await akr.seal(msg("hello"));
  const opened = await okr.open(env);
  assert.equal(opened.sender, "agent");
  assert.equal(opened.role, "agent");
  assert.equal(opened.epoch, 0);
  assert.deepEqual(opened.payload, msg("hello"));
  const back = await akr.open(await okr.seal({ v: 1, type: "response", request: env.mid, action: "approve" }));
  assert.equal(back.role, "owner");
  assert.equal(back.payload.action, "approve");
});

test("a role claimed in the plaintext is ignored in favour of the certificate", async () => {
  const { akr, okr, sid, agent, members, wraps } = await session();
  const guest = await H.guestIdentity(H.newSessionKey(), sid);
  const [cert, wrap] = await okr.addMember("g_1", "guest", guest.public());
  const gkr = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: guest, myId: "g_1" });
  await gkr.load({ members: [...members, cert], wraps: [...wraps, wrap] });
  await akr.load({ members: [cert], wraps: [wrap] });
  const opened = await akr.open(await gkr.seal({ v: 1, type: "response", role: "owner", action: "approve" }));
  assert.equal(opened.role, "guest");
  assert.equal(opened.sender, "g_1");
});

test("a keyring pinned to another root refuses the session", async () => {
  const { members, wraps, sid, owner } = await session();
  const stranger = await H.Identity.generate();
  const kr = new H.SessionKeyring(sid, { rootEd25519: stranger.ed25519Pub, me: owner, myId: "owner" });
  await assert.rejects(kr.load({ members, wraps }), H.CryptoError);
});

test("a relay that swaps the root certificate for its own is caught", async () => {
  const { members, wraps, sid, owner, agent } = await session();
  const relay = await H.Identity.generate();
  const fake = await H.signMember(relay, { sid, memberId: "agent", role: "agent", keys: relay.public(), by: "agent" });
  const kr = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: owner, myId: "owner" });
  await assert.rejects(kr.load({ members: [fake, members[1]], wraps }), H.CryptoError);
});

test("a certificate signed by a guest is refused", async () => {
  const { sid, okr, agent, members, wraps, owner } = await session();
  const guest = await H.Identity.generate();
  const [gcert, gwrap] = await okr.addMember("g_1", "guest", guest.public());
  const other = await H.Identity.generate();
  const bad = await H.signMember(guest, { sid, memberId: "g_2", role: "owner", keys: other.public(), by: "g_1" });
  const kr = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: owner, myId: "owner" });
  await kr.load({ members: [...members, gcert], wraps: [...wraps, gwrap] });
  await assert.rejects(kr.load({ members: [bad] }), /not signed by the root or an owner/);
});

test("certificates signed by the root-signed owner are accepted by the agent", async () => {
  const { akr, okr } = await session();
  const guest = await H.Identity.generate();
  const [cert, wrap] = await okr.addMember("g_1", "guest", guest.public());
  assert.equal(cert.by, "owner");
  await akr.load({ members: [cert], wraps: [wrap] });
  assert.equal(akr.members.get("g_1").role, "guest");
  assert.deepEqual([...akr.holders(0)].sort(), ["agent", "g_1", "owner"]);
});

test("a second member with role agent is refused", async () => {
  const { sid, agent, members, wraps, owner } = await session();
  const other = await H.Identity.generate();
  const bad = await H.signMember(agent, { sid, memberId: "agent2", role: "agent", keys: other.public(), by: "agent" });
  const kr = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: owner, myId: "owner" });
  await assert.rejects(kr.load({ members: [...members, bad], wraps }), /only the member 'agent' has the role agent/);
});

test("a conflicting certificate for a known member id is refused", async () => {
  const { sid, agent, okr } = await session();
  const other = await H.Identity.generate();
  const bad = await H.signMember(agent, { sid, memberId: "owner", role: "owner", keys: other.public(), by: "agent" });
  await assert.rejects(okr.load({ members: [bad] }), /conflicting member certificate/);
});

test("a wrap signed by a guest does not count", async () => {
  const { sid, okr, agent, members, wraps, owner } = await session();
  const guest = await H.Identity.generate();
  const [gcert, gwrap] = await okr.addMember("g_1", "guest", guest.public());
  const bad = await H.wrapKey(guest, { by: "g_1", sid, epoch: 1, rid: "owner", recipientX25519: owner.x25519Pub, sessionKey: H.newSessionKey() });
  const kr = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: owner, myId: "owner" });
  await kr.load({ members: [...members, gcert], wraps: [...wraps, gwrap] });
  await assert.rejects(kr.load({ wraps: [bad] }), /not signed by the agent or an owner/);
  assert.equal(kr.epoch, 0);
});

test("a member without a wrap in an epoch cannot send in it", async () => {
  const { sid, akr, okr, agent } = await session();
  const reader = await H.Identity.generate();
  const cert = await H.signMember(agent, { sid, memberId: "r_x", role: "reader", keys: reader.public(), by: "agent" });
  await okr.load({ members: [cert] });
  const env = await H.seal(reader, {
    sid, epoch: 0, mid: H.newMid(), sender: "r_x", sessionKey: akr.sessionKey(0),
    plaintext: H.canonicalJson(msg("sneaky")),
  });
  await assert.rejects(okr.open(env), /holds no key in that epoch/);
});

test("a message signed by someone other than its sender is refused before decryption", async () => {
  const { sid, akr, okr } = await session();
  const mallory = await H.Identity.generate();
  const env = await H.seal(mallory, {
    sid, epoch: 0, mid: H.newMid(), sender: "agent", sessionKey: akr.sessionKey(0), plaintext: H.canonicalJson(msg("x")),
  });
  await assert.rejects(okr.open(env), /bad signature/);
});

test("plaintexts must be JSON objects with v 1 and a type", async () => {
  const { sid, agent, akr, okr } = await session();
  for (const plaintext of ['{"type":"message"}', '{"v":2,"type":"message"}', '{"v":1}', "[1]", "not json"]) {
    const env = await H.seal(agent, {
      sid, epoch: 0, mid: H.newMid(), sender: "agent", sessionKey: akr.sessionKey(0), plaintext: new TextEncoder().encode(plaintext),
    });
    await assert.rejects(okr.open(env), H.CryptoError, plaintext);
  }
  await assert.rejects(akr.seal({ type: "message" }), H.CryptoError);
});

test("an envelope for another session is refused", async () => {
  const a = await session();
  const b = await session();
  await assert.rejects(b.okr.open(await a.akr.seal(msg("x"))), H.CryptoError);
});

test("the same message opens once; a different body under the same mid is refused", async () => {
  const { akr, okr } = await session();
  const env = await akr.seal(msg("one"), "m1");
  const first = await okr.open(env);
  assert.equal(await okr.open({ ...env }), first);
  const other = await akr.seal(msg("two"), "m1");
  await assert.rejects(okr.open(other), /duplicate/);
});

test("rotation by the owner drops a removed guest and the agent follows", async () => {
  const { sid, akr, okr } = await session();
  const guestSecret = H.newSessionKey();
  const guest = await H.guestIdentity(guestSecret, sid);
  const [gcert, gwrap] = await okr.addMember("g_1", "guest", guest.public());
  await akr.load({ members: [gcert], wraps: [gwrap] });
  const early = await akr.seal(msg("before"));
  const [epoch, wraps] = await okr.rotate(["g_1"]);
  assert.equal(epoch, 1);
  assert.deepEqual(wraps.map((w) => w.rid).sort(), ["agent", "owner"]);
  await akr.load({ wraps, removed: ["g_1"] });
  assert.equal(akr.epoch, 1);
  const late = await akr.seal(msg("after"));
  assert.equal(late.epoch, 1);
  assert.equal((await okr.open(late)).payload.components[0].text, "after");
  assert.equal((await okr.open(early)).epoch, 0);
  // the guest, still holding epoch 0, cannot send in epoch 1 (it has no wrap there)
  const forged = await H.seal(guest, {
    sid, epoch: 1, mid: H.newMid(), sender: "g_1", sessionKey: okr.sessionKey(1), plaintext: H.canonicalJson(msg("x")),
  });
  await assert.rejects(akr.open(forged), /holds no key in that epoch/);
});

test("a guest's own keyring unwraps the key the owner wrapped for it", async () => {
  const { sid, agent, okr, members, wraps } = await session();
  const secret = H.newSessionKey();
  const guest = await H.guestIdentity(secret, sid);
  const [gcert, gwrap] = await okr.addMember("g_1", "guest", guest.public());
  const [g2, root] = H.parseGuestFragment(H.guestFragment(secret, agent.ed25519Pub));
  const again = await H.guestIdentity(g2, sid);
  const gkr = new H.SessionKeyring(sid, { rootEd25519: root, me: again, myId: "g_1" });
  await gkr.load({ members: [...members, gcert], wraps: [...wraps, gwrap] });
  assert.equal(gkr.epoch, 0);
  assert.equal((await gkr.open(await okr.seal(msg("hi guest")))).role, "owner");
});

test("the pairing MAC verifies and detects a substituted owner key", async () => {
  const p = H.newSessionKey();
  const agent = await H.Identity.generate();
  const owner = await H.Identity.generate();
  const other = await H.Identity.generate();
  const mac = await H.pairingMac(p, "pr_1", agent.ed25519Pub, owner.x25519Pub, owner.ed25519Pub);
  assert.equal(mac.length, 32);
  await H.verifyPairingMac(mac, p, "pr_1", agent.ed25519Pub, owner.x25519Pub, owner.ed25519Pub);
  await assert.rejects(H.verifyPairingMac(mac, p, "pr_1", agent.ed25519Pub, other.x25519Pub, owner.ed25519Pub), H.CryptoError);
  await assert.rejects(H.verifyPairingMac(mac, p, "pr_2", agent.ed25519Pub, owner.x25519Pub, owner.ed25519Pub), H.CryptoError);
  const [p2, a2] = H.parsePairingFragment(`#p=${H.b64uEncode(p)}&a=${H.b64uEncode(agent.ed25519Pub)}`);
  assert.deepEqual([p2, a2], [p, agent.ed25519Pub]);
});

test("an agent certificate verifies under its owner and not otherwise", async () => {
  const owner = await H.Identity.generate();
  const agent = await H.Identity.generate();
  const cert = await H.signAgentCert(owner, { ownerId: "o_1", agentId: "a_1", name: "Deploy bot ✓", keys: agent.public() });
  assert.deepEqual(Object.keys(cert), ["v", "type", "owner", "agent", "name", "x25519", "ed25519", "sig"]);
  const keys = await H.verifyAgentCert(cert, owner.ed25519Pub);
  assert.ok(keys.equals(agent.public()));
  await assert.rejects(H.verifyAgentCert({ ...cert, name: "Other" }, owner.ed25519Pub), H.CryptoError);
  await assert.rejects(H.verifyAgentCert(cert, agent.ed25519Pub), H.CryptoError);
});

test("a device sign-in signature verifies for its owner id and challenge only", async () => {
  const owner = await H.ownerIdentity(H.newSessionKey(), "o_1");
  const sig = await H.loginSignature(owner, "o_1", "chal");
  await H.verifyLogin(owner.ed25519Pub, "o_1", "chal", sig);
  await assert.rejects(H.verifyLogin(owner.ed25519Pub, "o_2", "chal", sig), H.CryptoError);
});

test("owner keys derive from the secret and the owner id", async () => {
  const secret = H.newSessionKey();
  const a = await H.ownerIdentity(secret, "o_1");
  const b = await H.ownerIdentity(secret, "o_1");
  const c = await H.ownerIdentity(secret, "o_2");
  assert.deepEqual(a.ed25519Pub, b.ed25519Pub);
  assert.notDeepEqual(a.ed25519Pub, c.ed25519Pub);
});

test("fingerprints are four groups of four base32 characters", async () => {
  const fp = await H.fingerprint(new Uint8Array(32));
  assert.match(fp, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
  // SHA-256 of 32 zero bytes starts 66687aadf862bd776c8f; base32 of those 10 bytes:
  assert.equal(fp, "MZUH-VLPY-MK6X-O3EP");
});

test("ids and mids have the documented shapes", () => {
  assert.match(H.newMid(), /^[A-Za-z0-9_-]{22}$/);
  assert.match(H.newId("s_"), /^s_[A-Za-z0-9_-]{12}$/);
  assert.match(H.newId("g_", 6), /^g_[A-Za-z0-9_-]{8}$/);
  assert.equal(new TextDecoder().decode(H.canonicalJson({ v: 1, type: "x", t: "é" })), '{"v":1,"type":"x","t":"é"}');
});

test("an owner certificate signed by an owner is refused, and an owner cannot certify one", async () => {
  const { sid, agent, okr, members, wraps, owner } = await session();
  const other = await H.Identity.generate();
  await assert.rejects(okr.addMember("owner2", "owner", other.public()), /only the root may certify an owner/);
  const bad = await H.signMember(owner, { sid, memberId: "owner2", role: "owner", keys: other.public(), by: "owner" });
  const kr = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: owner, myId: "owner" });
  await assert.rejects(kr.load({ members: [...members, bad], wraps }), /must be signed by the root/);
});

test("a load that fails changes nothing", async () => {
  const { sid, okr } = await session();
  const guest = await H.Identity.generate();
  const stranger = await H.Identity.generate();
  const good = await H.signMember(stranger, { sid, memberId: "g_ok", role: "guest", keys: guest.public(), by: "agent" });
  await assert.rejects(okr.load({ members: [good] }), H.CryptoError);
  assert.equal(okr.members.has("g_ok"), false);
  assert.deepEqual([...okr.members.keys()].sort(), ["agent", "owner"]);
});

test("a keyring whose own certificate carries other keys refuses it", async () => {
  const { sid, agent, members, wraps } = await session();
  const impostor = await H.Identity.generate();
  const kr = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: impostor, myId: "owner" });
  await assert.rejects(kr.load({ members, wraps }), /my certificate/);
});

test("when two rotations race, the batch the relay accepted replaces mine", async () => {
  const { akr, okr } = await session();
  const [e1, mine] = await okr.rotate();
  const [e2, theirs] = await akr.rotate();
  assert.equal(e1, 1);
  assert.equal(e2, 1);
  await okr.load({ wraps: theirs });
  assert.deepEqual(okr.sessionKey(1), akr.sessionKey(1));
  await akr.load({ wraps: theirs }); // the relay confirms the agent's batch
  await assert.rejects(akr.load({ wraps: mine }), /conflicting wraps/, "a confirmed epoch is not replaced");
});

test("a rotation wraps only for the newest epoch's holders, less the removed", async () => {
  const { sid, agent, okr } = await session();
  const reader = await H.Identity.generate();
  const guest = await H.Identity.generate();
  const cert = await H.signMember(agent, { sid, memberId: "r_x", role: "reader", keys: reader.public(), by: "agent" });
  await okr.load({ members: [cert] }); // certified, but never given a key
  await okr.addMember("g_1", "guest", guest.public());
  const [epoch, wraps] = await okr.rotate(["g_1"]);
  assert.equal(epoch, 1);
  assert.deepEqual(wraps.map((w) => w.rid).sort(), ["agent", "owner"]);
});

test("only a holder of the newest epoch's key may add members or rotate", async () => {
  const { sid, agent, okr, akr, members, wraps } = await session();
  const [, newer] = await akr.rotate();
  const stale = new H.SessionKeyring(sid, { rootEd25519: agent.ed25519Pub, me: okr.me, myId: "owner" });
  const withoutMine = newer.filter((w) => w.rid !== "owner");
  await stale.load({ members, wraps: [...wraps, ...withoutMine] });
  const guest = await H.Identity.generate();
  await assert.rejects(stale.addMember("g_1", "guest", guest.public()), /newest epoch/);
  await assert.rejects(stale.rotate(), /newest epoch/);
});
