// Every case of tests/crypto_vectors.json as a list of [name, async check], shared by the node test
// (tests/js/crypto_vectors.test.mjs) and the Chromium test (tests/web/test_crypto_in_browser.py).
// No node-only imports: this module runs in the browser too.

export function hex(bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function unhex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function fail(message) {
  throw new Error(message);
}

function eq(actual, expected, what) {
  if (actual !== expected) fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function sameWire(actual, expected, what) {
  eq(JSON.stringify(actual), JSON.stringify(expected), what);
}

async function rejects(fn, H, what) {
  try {
    await fn();
  } catch (err) {
    if (err instanceof H.CryptoError) return err;
    fail(`${what}: expected CryptoError, got ${err?.name}: ${err?.message}`);
  }
  fail(`${what}: was accepted`);
}

export function vectorCases(H, V) {
  const cases = [];
  const add = (name, fn) => cases.push([name, fn]);
  const enc = new TextEncoder();
  const ids = {};
  const identity = async (name) => {
    if (!ids[name]) {
      if (name === "guest-1") {
        ids[name] = await H.guestIdentity(unhex(V.guest.secret_hex), V.guest.sid);
      } else {
        const d = V.identities[name];
        ids[name] = await H.Identity.fromPrivate(unhex(d.x25519_sk_hex), unhex(d.ed25519_seed_hex));
      }
    }
    return ids[name];
  };
  const edPub = (name) => (name === "guest-1" ? unhex(V.guest.ed25519_pub_hex) : unhex(V.identities[name].ed25519_pub_hex));
  const sid = V.session.sid;

  V.base64url.forEach((c, i) => {
    add(`base64url ${i}: ${JSON.stringify(c.b64u)} encodes and decodes`, async () => {
      eq(H.b64uEncode(unhex(c.hex)), c.b64u, "encode");
      eq(hex(H.b64uDecode(c.b64u)), c.hex, "decode");
    });
  });
  V.base64url_reject.forEach((text) => {
    add(`base64url rejects ${JSON.stringify(text)}`, async () => {
      await rejects(() => H.b64uDecode(text), H, text);
    });
  });
  add("base64url rejects a wrong length when one is required", async () => {
    await rejects(() => H.b64uDecode("AAECA_z9_v8", 7), H, "length");
  });

  V.frame.forEach((c, i) => {
    add(`frame ${i} matches byte for byte`, async () => {
      const fields = c.fields.map((f) => (typeof f === "string" ? f : H.u32(f.u32)));
      eq(hex(H.frame(c.label, ...fields)), c.out_hex, "frame");
    });
  });

  for (const name of ["agent", "owner"]) {
    add(`identity ${name}: public keys from private keys`, async () => {
      const d = V.identities[name];
      const id = await identity(name);
      eq(hex(id.x25519Pub), d.x25519_pub_hex, "x25519 pub");
      eq(hex(id.ed25519Pub), d.ed25519_pub_hex, "ed25519 pub");
      eq(hex(id.x25519Sk), d.x25519_sk_hex, "x25519 sk");
      eq(hex(id.ed25519Seed), d.ed25519_seed_hex, "ed25519 seed");
    });
  }

  add("guest identity derives from the link secret by HKDF", async () => {
    const g = await H.guestIdentity(unhex(V.guest.secret_hex), V.guest.sid);
    eq(hex(g.x25519Sk), V.guest.x25519_sk_hex, "x25519 sk");
    eq(hex(g.ed25519Seed), V.guest.ed25519_seed_hex, "ed25519 seed");
    eq(hex(g.x25519Pub), V.guest.x25519_pub_hex, "x25519 pub");
    eq(hex(g.ed25519Pub), V.guest.ed25519_pub_hex, "ed25519 pub");
    const x = await H._hkdf(unhex(V.guest.secret_hex), enc.encode(V.guest.sid), V.guest.hkdf.info_x25519);
    eq(hex(x), V.guest.x25519_sk_hex, "hkdf x25519");
  });
  add("guest fragment is built and parsed", async () => {
    const frag = H.guestFragment(unhex(V.guest.secret_hex), unhex(V.guest.root_ed25519_pub_hex));
    eq(frag, V.guest.fragment, "fragment");
    eq(V.guest.link.endsWith("#" + frag), true, "link ends with the fragment");
    const [secret, root] = H.parseGuestFragment("#" + frag);
    eq(hex(secret), V.guest.secret_hex, "secret");
    eq(hex(root), V.guest.root_ed25519_pub_hex, "root");
    await rejects(() => H.parseGuestFragment(frag.replace("v=1", "v=2")), H, "v=2");
    await rejects(() => H.parseGuestFragment(frag.split("&a=")[0]), H, "no a");
    await rejects(() => H.parseGuestFragment(frag + "="), H, "bad a");
  });

  V.members.forEach((cert) => {
    add(`member certificate ${cert.id} is rebuilt byte for byte and verifies`, async () => {
      const signer = await identity("agent");
      const keys = new H.PublicKeys(H.b64uDecode(cert.x25519), H.b64uDecode(cert.ed25519));
      const built = await H.signMember(signer, { sid: cert.sid, memberId: cert.id, role: cert.role, keys, by: cert.by });
      sameWire(built, cert, "certificate");
      const m = await H.verifyMember(cert, edPub("agent"));
      eq(m.role, cert.role, "role");
    });
  });

  for (const epochName of ["epoch0", "epoch1"]) {
    const ep = V.session[epochName];
    ep.wraps.forEach((w) => {
      add(`${epochName} wrap for ${w.recipient} is rebuilt byte for byte`, async () => {
        const wire = w.wire;
        const signer = await identity(wire.by);
        const built = await H._wrapKey(signer, {
          by: wire.by, sid: wire.sid, epoch: wire.epoch, rid: wire.rid,
          recipientX25519: unhex(w.recipient_x25519_pub_hex), sessionKey: unhex(w.session_key_hex),
          ephemeralSk: unhex(w.eph_sk_hex), nonce: unhex(w.nonce_hex),
        });
        sameWire(built, wire, "wrap");
        if (w.dh_hex) {
          const E = H.b64uDecode(wire.epk);
          eq(hex(E), w.epk_hex, "epk");
          const dh = await H._x25519(unhex(w.eph_sk_hex), unhex(w.recipient_x25519_pub_hex));
          eq(hex(dh), w.dh_hex, "dh");
          eq(hex(H.concat(E, unhex(w.recipient_x25519_pub_hex))), w.hkdf_salt_hex, "salt");
          const kek = await H._hkdf(dh, unhex(w.hkdf_salt_hex), w.hkdf_info);
          eq(hex(kek), w.kek_hex, "kek");
          const ad = H.frame("hiloop/v1/wrap", wire.sid, H.u32(wire.epoch), wire.rid, wire.by);
          eq(hex(ad), w.ad_hex, "ad");
          const tbs = H.frame("hiloop/v1/sig/wrap", ad, E, unhex(w.nonce_hex), H.b64uDecode(wire.ct));
          eq(hex(tbs), w.tbs_hex, "tbs");
          const direct = await H._aeadOpen(kek, unhex(w.nonce_hex), H.b64uDecode(wire.ct), ad);
          eq(hex(direct), w.session_key_hex, "key by the intermediate values");
        }
      });
      add(`${epochName} wrap for ${w.recipient} unwraps for its recipient`, async () => {
        const key = await H.unwrapKey(w.wire, await identity(w.recipient), unhex(w.wrapper_ed25519_pub_hex));
        eq(hex(key), w.session_key_hex, "session key");
      });
    });
    ep.messages.forEach((m) => {
      add(`${epochName} message ${m.name} is rebuilt byte for byte and opens`, async () => {
        const wire = m.wire;
        const built = await H._seal(await identity(m.sender), {
          sid: wire.sid, epoch: wire.epoch, mid: wire.mid, sender: wire.from,
          sessionKey: unhex(m.session_key_hex), plaintext: unhex(m.plaintext_hex), nonce: unhex(m.nonce_hex),
        });
        sameWire(built, wire, "envelope");
        const ad = H.frame("hiloop/v1/msg", wire.sid, H.u32(wire.epoch), wire.mid, wire.from);
        eq(hex(ad), m.ad_hex, "ad");
        if (m.tbs_hex) {
          const tbs = H.frame("hiloop/v1/sig/msg", ad, H.b64uDecode(wire.n), H.b64uDecode(wire.ct));
          eq(hex(tbs), m.tbs_hex, "tbs");
        }
        const pt = await H.openEnvelope(wire, unhex(m.sender_ed25519_pub_hex), unhex(m.session_key_hex));
        eq(hex(pt), m.plaintext_hex, "plaintext");
        await rejects(() => H.openEnvelope(wire, edPub(m.sender === "agent" ? "owner" : "agent"), unhex(m.session_key_hex)),
          H, "another sender's key");
      });
    });
  }

  add("epoch1 drops the removed guest and the guest cannot unwrap the new key", async () => {
    const ep = V.session.epoch1;
    eq(ep.wraps.some((w) => ep.removed.includes(w.recipient)), false, "no wrap for the removed");
    const forOwner = ep.wraps.find((w) => w.recipient === "owner").wire;
    await rejects(async () => H.unwrapKey(forOwner, await identity("guest-1"), edPub("owner")), H, "guest unwraps");
  });

  add("a keyring loads the vector session: roles from certificates, wraps per epoch", async () => {
    const owner = await identity("owner");
    const kr = new H.SessionKeyring(sid, { rootEd25519: edPub("agent"), me: owner, myId: "owner" });
    const wraps = [...V.session.epoch0.wraps, ...V.session.epoch1.wraps].map((w) => w.wire);
    await kr.load({ members: V.members, wraps, removed: V.session.epoch1.removed });
    eq(kr.epoch, 1, "newest epoch");
    eq(kr.members.get("guest-1").role, "guest", "guest role");
    eq([...kr.holders(1)].sort().join(","), "agent,owner", "epoch 1 wraps");
    eq(hex(kr.sessionKey(0)), V.session.epoch0.session_key_hex, "epoch 0 key");
    eq(hex(kr.sessionKey(1)), V.session.epoch1.session_key_hex, "epoch 1 key");
    await kr.load({ members: V.members, wraps });
    eq(kr.epoch, 1, "load is idempotent");
  });

  V.negative.forEach((n) => {
    add(`negative: ${n.name} is rejected`, async () => {
      const w = n.wire;
      if (n.kind === "msg") {
        const key = unhex(V.session.epoch0.session_key_hex);
        await rejects(() => H.openEnvelope(w, edPub(n.verify_with), key), H, n.name);
        if (n.aead_alone_must_fail) {
          const ad = H.frame("hiloop/v1/msg", w.sid, H.u32(w.epoch), w.mid, w.from);
          await rejects(() => H._aeadOpen(key, H.b64uDecode(w.n), H.b64uDecode(w.ct), ad), H, `${n.name} (AEAD alone)`);
        }
        if (n.aead_alone_succeeds) {
          const ad = H.frame("hiloop/v1/msg", w.sid, H.u32(w.epoch), w.mid, w.from);
          await H._aeadOpen(key, H.b64uDecode(w.n), H.b64uDecode(w.ct), ad);
        }
      } else if (n.kind === "wrap") {
        await rejects(async () => H.unwrapKey(w, await identity(n.recipient), edPub(n.verify_with)), H, n.name);
      } else if (n.kind === "member") {
        await rejects(() => H.verifyMember(w, edPub("agent")), H, n.name);
      } else {
        fail(`unknown negative kind ${n.kind}`);
      }
    });
  });
  add("there are 19 negative cases", async () => eq(V.negative.length, 19, "count"));

  return cases;
}

/** Run every case; resolve to {passed, failed: [[name, message]]} (used in the browser). */
export async function runAll(H, V) {
  const failed = [];
  let passed = 0;
  for (const [name, fn] of vectorCases(H, V)) {
    try {
      await fn();
      passed += 1;
    } catch (err) {
      failed.push([name, String(err?.message ?? err)]);
    }
  }
  return { passed, failed };
}
