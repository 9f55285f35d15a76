// Hiloop end-to-end encryption, crypto SPEC v1, on WebCrypto alone (X25519, Ed25519, HKDF, AES-GCM).
//
// Mirrors the Python package `hiloop.crypto` (docs/architecture.md §1): the same functions under
// camelCase names, async wherever WebCrypto is. Bytes are Uint8Array. Every failure to parse, verify
// or decrypt throws CryptoError; a browser without X25519/Ed25519 throws UnsupportedError.
// Nonces and ephemeral keys come from crypto.getRandomValues inside these functions; the `_`-prefixed
// variants that take them as parameters exist for the test vectors only.

const NO_SUBTLE = "crypto.subtle (a secure context: https or localhost)";
const subtle = globalThis.crypto?.subtle ?? new Proxy({}, {
  get: () => () => Promise.reject(new UnsupportedError(NO_SUBTLE)),
});
const hasSubtle = Boolean(globalThis.crypto?.subtle);
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export class CryptoError extends Error {
  constructor(message) {
    super(message);
    this.name = "CryptoError";
  }
}

export class UnsupportedError extends CryptoError {
  constructor(what) {
    super(
      `This browser lacks ${what} in WebCrypto, which Hiloop needs for end-to-end encryption. ` +
        "Use a current Chromium, Firefox or Safari.",
    );
    this.name = "UnsupportedError";
  }
}

// --- feature detection ----------------------------------------------------------------------------

let supportChecked = null;

/** Resolve when X25519, Ed25519, HKDF and AES-GCM all work here; throw UnsupportedError otherwise. */
export function checkSupport() {
  if (!supportChecked) supportChecked = probe();
  return supportChecked;
}

async function probe() {
  if (!hasSubtle) throw new UnsupportedError(NO_SUBTLE);
  for (const name of ["X25519", "Ed25519"]) {
    try {
      await subtle.importKey("pkcs8", pkcs8(name, new Uint8Array(32).fill(1)), { name }, false,
        name === "X25519" ? ["deriveBits"] : ["sign"]);
    } catch (err) {
      if (err instanceof DOMException || err instanceof TypeError) throw new UnsupportedError(name);
      throw err;
    }
  }
}

function unsupportedOr(err, name) {
  if (err instanceof CryptoError) return err;
  if (err instanceof DOMException && err.name === "NotSupportedError") return new UnsupportedError(name);
  return new CryptoError(`${name}: ${err?.message ?? err}`);
}

// --- encoding (SPEC §1) ---------------------------------------------------------------------------

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_INDEX = new Int8Array(128).fill(-1); // char code -> 6-bit value, -1 outside the alphabet
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;
const IDENT_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const ROLES = new Set(["agent", "owner", "guest", "reader"]);

export function b64uEncode(bytes) {
  const b = asBytes(bytes);
  let out = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (b.length - i === 1) {
    const n = b[i] << 16;
    out += B64[n >> 18] + B64[(n >> 12) & 63];
  } else if (b.length - i === 2) {
    const n = (b[i] << 16) | (b[i + 1] << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63];
  }
  return out;
}

/** Strict unpadded base64url: rejects padding, other alphabets, impossible lengths, non-canonical bits. */
export function b64uDecode(text, length = null) {
  if (typeof text !== "string" || text.length % 4 === 1) throw new CryptoError("invalid base64url");
  const n = text.length;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? B64_INDEX[code] : -1;
    if (v < 0) throw new CryptoError("invalid base64url");
    acc = ((acc << 6) | v) & 0xffffff; // only the low bits not yet written matter
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new CryptoError("non-canonical base64url");
  if (length !== null && out.length !== length) {
    throw new CryptoError(`expected ${length} bytes, got ${out.length}`);
  }
  return out;
}

export function u32(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CryptoError("u32 out of range");
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** 0x01 ‖ u32(len(label)) ‖ label ‖ u32(len(f1)) ‖ f1 ‖ …; strings are UTF-8. */
export function frame(label, ...fields) {
  // Labels and identifiers are ASCII: their bytes are their char codes, written without a TextEncoder
  // (a page of 1,000 sessions frames some 20,000 of them).
  const parts = [label, ...fields];
  let size = 1;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (typeof p === "string") {
      if (!isAscii(p)) parts[i] = enc.encode(p);
    } else {
      parts[i] = asBytes(p);
    }
    size += 4 + parts[i].length;
  }
  const out = new Uint8Array(size);
  out[0] = 1;
  let o = 1;
  for (const p of parts) {
    const n = p.length;
    out[o] = n >>> 24;
    out[o + 1] = (n >>> 16) & 0xff;
    out[o + 2] = (n >>> 8) & 0xff;
    out[o + 3] = n & 0xff;
    o += 4;
    if (typeof p === "string") {
      for (let i = 0; i < n; i++) out[o + i] = p.charCodeAt(i);
    } else {
      out.set(p, o);
    }
    o += n;
  }
  return out;
}

function isAscii(text) {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** `JSON.stringify` without spaces, UTF-8: the JS form of Python's canonical_json. */
export function canonicalJson(obj) {
  return enc.encode(JSON.stringify(obj));
}

function asBytes(b) {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new CryptoError("expected bytes");
}

function isCryptoKey(k) {
  return typeof CryptoKey !== "undefined" && k instanceof CryptoKey;
}

function random(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

// --- primitives -----------------------------------------------------------------------------------

const PKCS8_PREFIX = {
  X25519: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20],
  Ed25519: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20],
};

function pkcs8(name, raw32) {
  return concat(new Uint8Array(PKCS8_PREFIX[name]), raw32);
}

async function importPrivate(name, raw32, extractable) {
  if (asBytes(raw32).length !== 32) throw new CryptoError(`${name} private key must be 32 bytes`);
  try {
    return await subtle.importKey("pkcs8", pkcs8(name, raw32), { name }, extractable,
      name === "X25519" ? ["deriveBits"] : ["sign"]);
  } catch (err) {
    throw unsupportedOr(err, name);
  }
}

const publicKeyCache = new Map();

async function importPublic(name, raw) {
  const bytes = asBytes(raw);
  if (bytes.length !== 32) throw new CryptoError(`${name} public key must be 32 bytes`);
  const cacheKey = name + ":" + b64uEncode(bytes);
  const hit = publicKeyCache.get(cacheKey);
  if (hit) return hit;
  let key;
  try {
    key = await subtle.importKey("raw", bytes, { name }, true, name === "Ed25519" ? ["verify"] : []);
  } catch (err) {
    throw unsupportedOr(err, name);
  }
  if (publicKeyCache.size > 4096) publicKeyCache.clear();
  publicKeyCache.set(cacheKey, key);
  return key;
}

async function publicOf(name, raw32) {
  const key = await importPrivate(name, raw32, true);
  const jwk = await subtle.exportKey("jwk", key);
  return b64uDecode(jwk.x, 32);
}

/** X25519(sk, pub); rejects an all-zero result (a low-order point). */
export async function _x25519(sk, pub) {
  const priv = isCryptoKey(sk) ? sk : await importPrivate("X25519", sk, false);
  const pubKey = await importPublic("X25519", pub);
  let bits;
  try {
    bits = new Uint8Array(await subtle.deriveBits({ name: "X25519", public: pubKey }, priv, 256));
  } catch (err) {
    if (err instanceof DOMException && err.name === "NotSupportedError") throw new UnsupportedError("X25519");
    throw new CryptoError("X25519 failed (low-order point)");
  }
  if (bits.every((b) => b === 0)) throw new CryptoError("X25519 produced the all-zero secret");
  return bits;
}

export async function _hkdf(ikm, salt, info, length = 32) {
  const key = await subtle.importKey("raw", asBytes(ikm), "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: asBytes(salt), info: typeof info === "string" ? enc.encode(info) : asBytes(info) },
    key, length * 8);
  return new Uint8Array(bits);
}

async function aesKey(raw) {
  if (isCryptoKey(raw)) return raw;
  if (asBytes(raw).length !== 32) throw new CryptoError("AES-256 key must be 32 bytes");
  return subtle.importKey("raw", asBytes(raw), "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function _aeadSeal(key, nonce, plaintext, ad) {
  const ct = await subtle.encrypt(
    { name: "AES-GCM", iv: asBytes(nonce), additionalData: asBytes(ad), tagLength: 128 },
    await aesKey(key), asBytes(plaintext));
  return new Uint8Array(ct);
}

export async function _aeadOpen(key, nonce, ciphertext, ad) {
  try {
    const pt = await subtle.decrypt(
      { name: "AES-GCM", iv: asBytes(nonce), additionalData: asBytes(ad), tagLength: 128 },
      await aesKey(key), asBytes(ciphertext));
    return new Uint8Array(pt);
  } catch (err) {
    if (err instanceof CryptoError) throw err;
    throw new CryptoError("decryption failed");
  }
}

export async function sha256(data) {
  return new Uint8Array(await subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : asBytes(data)));
}

/** Throw CryptoError unless `sig` is a valid Ed25519 signature of `data` by `ed25519Pub`. */
export async function verifySignature(ed25519Pub, data, sig) {
  const s = asBytes(sig);
  if (s.length !== 64) throw new CryptoError("signature must be 64 bytes");
  const key = await importPublic("Ed25519", ed25519Pub);
  let ok;
  try {
    ok = await subtle.verify({ name: "Ed25519" }, key, s, asBytes(data));
  } catch (err) {
    throw unsupportedOr(err, "Ed25519");
  }
  if (!ok) throw new CryptoError("bad signature");
}

// --- keys and identities (SPEC §2) ----------------------------------------------------------------

export class PublicKeys {
  constructor(x25519, ed25519) {
    this.x25519 = asBytes(x25519);
    this.ed25519 = asBytes(ed25519);
    if (this.x25519.length !== 32 || this.ed25519.length !== 32) throw new CryptoError("public keys are 32 bytes");
    Object.freeze(this);
  }

  toWire() {
    return { x25519: b64uEncode(this.x25519), ed25519: b64uEncode(this.ed25519) };
  }

  static fromWire(d) {
    if (!d || typeof d !== "object") throw new CryptoError("public keys must be an object");
    return new PublicKeys(b64uDecode(d.x25519, 32), b64uDecode(d.ed25519, 32));
  }

  equals(other) {
    return bytesEqual(this.x25519, other.x25519) && bytesEqual(this.ed25519, other.ed25519);
  }
}

export class Identity {
  #x;
  #ed;

  constructor(x25519Sk, ed25519Seed, x25519Pub, ed25519Pub, xKey, edKey) {
    this.x25519Sk = x25519Sk;
    this.ed25519Seed = ed25519Seed;
    this.x25519Pub = x25519Pub;
    this.ed25519Pub = ed25519Pub;
    this.#x = xKey;
    this.#ed = edKey;
    Object.freeze(this);
  }

  static async generate() {
    return Identity.fromPrivate(random(32), random(32));
  }

  static async fromPrivate(x25519Sk, ed25519Seed) {
    const xs = Uint8Array.from(asBytes(x25519Sk));
    const es = Uint8Array.from(asBytes(ed25519Seed));
    const [xPub, edPub, xKey, edKey] = await Promise.all([
      publicOf("X25519", xs), publicOf("Ed25519", es),
      importPrivate("X25519", xs, false), importPrivate("Ed25519", es, false),
    ]);
    return new Identity(xs, es, xPub, edPub, xKey, edKey);
  }

  /** SPEC §2: keys derived from a 32-byte secret; kind/scope = owner/owner id or guest/sid. */
  static async fromSecret(secret, kind, scope) {
    const s = asBytes(secret);
    if (s.length !== 32) throw new CryptoError("secret must be 32 bytes");
    const salt = enc.encode(scope);
    const [xs, es] = await Promise.all([
      _hkdf(s, salt, `hiloop/v1/${kind}/x25519`), _hkdf(s, salt, `hiloop/v1/${kind}/ed25519`),
    ]);
    return Identity.fromPrivate(xs, es);
  }

  async sign(data) {
    return new Uint8Array(await subtle.sign({ name: "Ed25519" }, this.#ed, asBytes(data)));
  }

  /** X25519 with this identity's key. */
  async agree(pub) {
    return _x25519(this.#x, pub);
  }

  public() {
    return new PublicKeys(this.x25519Pub, this.ed25519Pub);
  }
}

export function ownerIdentity(secret, ownerId) {
  return Identity.fromSecret(secret, "owner", ownerId);
}

export function guestIdentity(secret, sid) {
  return Identity.fromSecret(secret, "guest", sid);
}

export function newSessionKey() {
  return random(32);
}

export function newMid() {
  return b64uEncode(random(16));
}

export function newId(prefix, nbytes = 9) {
  return prefix + b64uEncode(random(nbytes));
}

// --- wire shape checks ----------------------------------------------------------------------------

function checkShape(obj, type, keys) {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) throw new CryptoError(`${type}: not an object`);
  if (obj.v !== 1) throw new CryptoError(`${type}: unsupported version`);
  if (obj.type !== type) throw new CryptoError(`expected type ${type}`);
  const have = Object.keys(obj);
  if (have.length !== keys.length || !keys.every((k) => Object.hasOwn(obj, k))) {
    throw new CryptoError(`${type}: fields must be exactly ${keys.join(", ")}`);
  }
}

export function checkIdent(value, what = "identifier") {
  if (typeof value !== "string" || !IDENT_RE.test(value)) throw new CryptoError(`invalid ${what}`);
  return value;
}

function checkEpoch(value) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new CryptoError("epoch must be an integer u32");
  }
  return value;
}

const MEMBER_KEYS = ["v", "type", "sid", "id", "role", "x25519", "ed25519", "by", "sig"];
const WRAP_KEYS = ["v", "type", "sid", "epoch", "rid", "by", "epk", "n", "ct", "sig"];
const MSG_KEYS = ["v", "type", "sid", "epoch", "mid", "from", "n", "ct", "sig"];
const AGENT_CERT_KEYS = ["v", "type", "owner", "agent", "name", "x25519", "ed25519", "sig"];

// --- member certificate (SPEC §3) -----------------------------------------------------------------

function memberTbs(sid, id, role, keys, by) {
  return frame("hiloop/v1/sig/member", sid, id, role, keys.x25519, keys.ed25519, by);
}

export async function signMember(signer, { sid, memberId, role, keys, by }) {
  checkIdent(sid, "sid");
  checkIdent(memberId, "member id");
  checkIdent(by, "signer id");
  if (!ROLES.has(role)) throw new CryptoError("invalid role");
  const sig = await signer.sign(memberTbs(sid, memberId, role, keys, by));
  return {
    v: 1, type: "member", sid, id: memberId, role,
    x25519: b64uEncode(keys.x25519), ed25519: b64uEncode(keys.ed25519), by, sig: b64uEncode(sig),
  };
}

/** Check a certificate's shape and its signature by `signerEd25519`; return its Member. */
export async function verifyMember(cert, signerEd25519) {
  const m = parseMember(cert);
  await verifySignature(signerEd25519, memberTbs(cert.sid, m.id, m.role, m.keys, m.by), b64uDecode(cert.sig, 64));
  return m;
}

function parseMember(cert) {
  checkShape(cert, "member", MEMBER_KEYS);
  checkIdent(cert.sid, "sid");
  checkIdent(cert.id, "member id");
  checkIdent(cert.by, "signer id");
  if (!ROLES.has(cert.role)) throw new CryptoError("invalid role");
  b64uDecode(cert.sig, 64);
  return new Member(cert.id, cert.role, new PublicKeys(b64uDecode(cert.x25519, 32), b64uDecode(cert.ed25519, 32)), cert.by);
}

export class Member {
  constructor(id, role, keys, by) {
    this.id = id;
    this.role = role;
    this.keys = keys;
    this.by = by;
    Object.freeze(this);
  }
}

// --- session-key wrap (SPEC §4) -------------------------------------------------------------------

function wrapAd(sid, epoch, rid, by) {
  return frame("hiloop/v1/wrap", sid, u32(epoch), rid, by);
}

export function wrapKey(signer, args) {
  return _wrapKey(signer, { ...args, ephemeralSk: random(32), nonce: random(12) });
}

/** Vectors only: the ephemeral key and the nonce are parameters. */
export async function _wrapKey(signer, { by, sid, epoch, rid, recipientX25519, sessionKey, ephemeralSk, nonce }) {
  checkIdent(sid, "sid");
  checkIdent(rid, "recipient id");
  checkIdent(by, "signer id");
  checkEpoch(epoch);
  const sk = asBytes(sessionKey);
  if (sk.length !== 32) throw new CryptoError("session key must be 32 bytes");
  const n = asBytes(nonce);
  if (n.length !== 12) throw new CryptoError("nonce must be 12 bytes");
  const rPub = asBytes(recipientX25519);
  const eph = await importPrivate("X25519", ephemeralSk, false);
  const E = await publicOf("X25519", ephemeralSk);
  const dh = await _x25519(eph, rPub);
  const kek = await _hkdf(dh, concat(E, rPub), "hiloop/v1/wrap");
  const ad = wrapAd(sid, epoch, rid, by);
  const ct = await _aeadSeal(kek, n, sk, ad);
  const sig = await signer.sign(frame("hiloop/v1/sig/wrap", ad, E, n, ct));
  return {
    v: 1, type: "wrap", sid, epoch, rid, by,
    epk: b64uEncode(E), n: b64uEncode(n), ct: b64uEncode(ct), sig: b64uEncode(sig),
  };
}

function parseWrap(wrap) {
  checkShape(wrap, "wrap", WRAP_KEYS);
  checkIdent(wrap.sid, "sid");
  checkEpoch(wrap.epoch);
  checkIdent(wrap.rid, "recipient id");
  checkIdent(wrap.by, "signer id");
  const ad = wrapAd(wrap.sid, wrap.epoch, wrap.rid, wrap.by);
  const E = b64uDecode(wrap.epk, 32);
  const n = b64uDecode(wrap.n, 12);
  const ct = b64uDecode(wrap.ct, 48);
  const sig = b64uDecode(wrap.sig, 64);
  return { ad, E, n, ct, sig };
}

/** Check the wrap's shape and signature by `wrapperEd25519` without unwrapping it. */
export async function verifyWrap(wrap, wrapperEd25519) {
  const { ad, E, n, ct, sig } = parseWrap(wrap);
  await verifySignature(wrapperEd25519, frame("hiloop/v1/sig/wrap", ad, E, n, ct), sig);
}

/** Verify the wrapper's signature, then recover the 32-byte session key. */
export async function unwrapKey(wrap, recipient, wrapperEd25519) {
  const { ad, E, n, ct, sig } = parseWrap(wrap);
  await verifySignature(wrapperEd25519, frame("hiloop/v1/sig/wrap", ad, E, n, ct), sig);
  const dh = await recipient.agree(E);
  const kek = await _hkdf(dh, concat(E, recipient.x25519Pub), "hiloop/v1/wrap");
  const key = await _aeadOpen(kek, n, ct, ad);
  if (key.length !== 32) throw new CryptoError("session key must be 32 bytes");
  return key;
}

// --- message (SPEC §5) ----------------------------------------------------------------------------

function msgAd(sid, epoch, mid, from) {
  return frame("hiloop/v1/msg", sid, u32(epoch), mid, from);
}

export function seal(signer, args) {
  return _seal(signer, { ...args, nonce: random(12) });
}

/** Vectors only: the nonce is a parameter. */
export async function _seal(signer, { sid, epoch, mid, sender, sessionKey, plaintext, nonce }) {
  checkIdent(sid, "sid");
  checkIdent(mid, "mid");
  checkIdent(sender, "sender id");
  checkEpoch(epoch);
  const n = asBytes(nonce);
  if (n.length !== 12) throw new CryptoError("nonce must be 12 bytes");
  const ad = msgAd(sid, epoch, mid, sender);
  const ct = await _aeadSeal(sessionKey, n, asBytes(plaintext), ad);
  const sig = await signer.sign(frame("hiloop/v1/sig/msg", ad, n, ct));
  return { v: 1, type: "msg", sid, epoch, mid, from: sender, n: b64uEncode(n), ct: b64uEncode(ct), sig: b64uEncode(sig) };
}

export function parseEnvelope(env) {
  checkShape(env, "msg", MSG_KEYS);
  checkIdent(env.sid, "sid");
  checkEpoch(env.epoch);
  checkIdent(env.mid, "mid");
  checkIdent(env.from, "sender id");
  const ad = msgAd(env.sid, env.epoch, env.mid, env.from);
  const n = b64uDecode(env.n, 12);
  const ct = b64uDecode(env.ct);
  if (ct.length < 16) throw new CryptoError("ciphertext shorter than its tag");
  const sig = b64uDecode(env.sig, 64);
  return { ad, n, ct, sig };
}

/** Verify the sender's signature, then decrypt; returns the plaintext bytes. */
export async function openEnvelope(env, senderEd25519, sessionKey) {
  const { ad, n, ct, sig } = parseEnvelope(env);
  await verifySignature(senderEd25519, frame("hiloop/v1/sig/msg", ad, n, ct), sig);
  return _aeadOpen(sessionKey, n, ct, ad);
}

// --- guest links (SPEC §6) ------------------------------------------------------------------------

export function guestFragment(secret, rootEd25519) {
  const s = asBytes(secret);
  const a = asBytes(rootEd25519);
  if (s.length !== 32 || a.length !== 32) throw new CryptoError("guest secret and root key are 32 bytes");
  return `v=1&g=${b64uEncode(s)}&a=${b64uEncode(a)}`;
}

/** "v=1&g=…&a=…" (a leading "#" is allowed) → [secret, rootEd25519]. */
export function parseGuestFragment(fragment) {
  const fields = parseFragment(fragment, ["v", "g", "a"]);
  if (fields.v !== "1") throw new CryptoError("unsupported guest link version");
  return [b64uDecode(fields.g, 32), b64uDecode(fields.a, 32)];
}

/** "p=…&a=…" (a leading "#" is allowed) → [p, agentEd25519]. */
export function parsePairingFragment(fragment) {
  const fields = parseFragment(fragment, ["p", "a"]);
  return [b64uDecode(fields.p, 32), b64uDecode(fields.a, 32)];
}

function parseFragment(fragment, names) {
  if (typeof fragment !== "string") throw new CryptoError("link fragment must be a string");
  const text = fragment.startsWith("#") ? fragment.slice(1) : fragment;
  const fields = {};
  for (const part of text.split("&")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new CryptoError("malformed link fragment");
    const k = part.slice(0, eq);
    if (!names.includes(k) || Object.hasOwn(fields, k)) throw new CryptoError("malformed link fragment");
    fields[k] = part.slice(eq + 1);
  }
  for (const k of names) if (!Object.hasOwn(fields, k)) throw new CryptoError(`link fragment lacks ${k}`);
  return fields;
}

// --- pairing (SPEC §9), agent certificates, device sign-in ----------------------------------------

function pairingInput(pairingId, agentEd25519, ownerX25519, ownerEd25519) {
  return frame("hiloop/v1/pair", pairingId, asBytes(agentEd25519), asBytes(ownerX25519), asBytes(ownerEd25519));
}

async function hmacKey(p) {
  const k = asBytes(p);
  if (k.length !== 32) throw new CryptoError("pairing secret must be 32 bytes");
  return subtle.importKey("raw", k, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function pairingMac(p, pairingId, agentEd25519, ownerX25519, ownerEd25519) {
  const key = await hmacKey(p);
  return new Uint8Array(await subtle.sign("HMAC", key, pairingInput(pairingId, agentEd25519, ownerX25519, ownerEd25519)));
}

export async function verifyPairingMac(mac, p, pairingId, agentEd25519, ownerX25519, ownerEd25519) {
  const key = await hmacKey(p);
  const m = asBytes(mac);
  const ok = m.length === 32 &&
    (await subtle.verify("HMAC", key, m, pairingInput(pairingId, agentEd25519, ownerX25519, ownerEd25519)));
  if (!ok) throw new CryptoError("bad pairing MAC");
}

function agentCertTbs(ownerId, agentId, name, keys) {
  return frame("hiloop/v1/sig/agent", ownerId, agentId, name, keys.x25519, keys.ed25519);
}

export async function signAgentCert(owner, { ownerId, agentId, name, keys }) {
  checkIdent(ownerId, "owner id");
  checkIdent(agentId, "agent id");
  if (typeof name !== "string" || name.length < 1 || name.length > 100) throw new CryptoError("invalid agent name");
  const sig = await owner.sign(agentCertTbs(ownerId, agentId, name, keys));
  return {
    v: 1, type: "agent_cert", owner: ownerId, agent: agentId, name,
    x25519: b64uEncode(keys.x25519), ed25519: b64uEncode(keys.ed25519), sig: b64uEncode(sig),
  };
}

/** Verify an owner's signature over an agent; returns the agent's PublicKeys. */
export async function verifyAgentCert(cert, ownerEd25519) {
  checkShape(cert, "agent_cert", AGENT_CERT_KEYS);
  checkIdent(cert.owner, "owner id");
  checkIdent(cert.agent, "agent id");
  if (typeof cert.name !== "string" || cert.name.length < 1) throw new CryptoError("invalid agent name");
  const keys = new PublicKeys(b64uDecode(cert.x25519, 32), b64uDecode(cert.ed25519, 32));
  await verifySignature(ownerEd25519, agentCertTbs(cert.owner, cert.agent, cert.name, keys), b64uDecode(cert.sig, 64));
  return keys;
}

export async function loginSignature(owner, ownerId, challenge) {
  return b64uEncode(await owner.sign(frame("hiloop/v1/sig/login", ownerId, challenge)));
}

export async function verifyLogin(ownerEd25519, ownerId, challenge, sig) {
  await verifySignature(ownerEd25519, frame("hiloop/v1/sig/login", ownerId, challenge), b64uDecode(sig, 64));
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** First 10 bytes of SHA-256 of the key, base32, in groups of 4: "ABCD-EFGH-IJKL-MNOP". */
export async function fingerprint(ed25519Pub) {
  const h = (await sha256(ed25519Pub)).slice(0, 10);
  let bits = 0;
  let acc = 0;
  let out = "";
  for (const b of h) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >> bits) & 31];
    }
  }
  return out.match(/.{1,4}/g).join("-");
}

// --- one participant's view of one session --------------------------------------------------------

export class Opened {
  constructor(mid, sender, role, epoch, payload) {
    this.mid = mid;
    this.sender = sender;
    this.role = role;
    this.epoch = epoch;
    this.payload = payload;
    Object.freeze(this);
  }
}

const ROOT_ID = "agent";
const OWNER_ID = "owner";
const SIGNER_ROLES = new Set(["agent", "owner"]);

function sortedJson(value) {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * One participant's verified view of one session (hiloop/crypto/keyring.py).
 *
 * Trust comes from the pinned root key only: the member "agent" carries the pinned root key and is
 * self-signed; every other certificate is signed by the root, or by an "owner" whose certificate the
 * root signed (owner certificates themselves are signed by the root); a wrap counts only when signed
 * by an agent or owner member; `open` accepts a message only from a member holding a wrap in its
 * epoch, verifies the signature before decrypting, and requires a JSON object with "v": 1 and a
 * "type". The role reported is the certificate's, never the plaintext's.
 */
export class SessionKeyring {
  #certs = new Map(); // member id -> certificate
  #wraps = new Map(); // "epoch/rid" -> wrap
  #removed = new Set();
  #members = new Map(); // member id -> Member
  #holders = new Map(); // epoch -> Set(member id)
  #keys = new Map(); // epoch -> { raw, key }
  #pending = new Set(); // epochs I rotated to that the relay has not confirmed yet
  #verified = new Set(); // sortedJson(object) + signer key, for certificates and wraps already verified
  #seen = new Map(); // mid -> [sortedJson(envelope), Opened]

  constructor(sid, { rootEd25519, me, myId }) {
    this.sid = checkIdent(sid, "sid");
    this.myId = checkIdent(myId, "member id");
    this.me = me;
    const root = asBytes(rootEd25519);
    if (root.length !== 32) throw new CryptoError("root key must be 32 bytes");
    this.rootEd25519 = root;
  }

  /** Every verified member (removed ones included: their certificates stay for history). */
  get members() {
    return new Map(this.#members);
  }

  get removed() {
    return new Set(this.#removed);
  }

  /** The newest epoch this participant holds a key for; -1 before it holds any. */
  get epoch() {
    return Math.max(-1, ...this.#keys.keys());
  }

  /** The newest epoch any wrap exists for; -1 before any. */
  get latestEpoch() {
    return Math.max(-1, ...this.#holders.keys());
  }

  /** Member ids holding a verified wrap in `epoch`. */
  holders(epoch) {
    return new Set(this.#holders.get(epoch) ?? []);
  }

  sessionKey(epoch) {
    const k = this.#keys.get(epoch);
    if (!k) throw new CryptoError("no session key for that epoch");
    return k.raw;
  }

  /** The certificates held, as wire objects (to hand to a new member). */
  certificates() {
    return [...this.#certs.values()];
  }

  /** The wraps held, as wire objects. */
  wraps() {
    return [...this.#wraps.values()];
  }

  /**
   * Merge certificates, wraps and removals; verify everything; throw CryptoError on any fault.
   * Idempotent; nothing changes when it throws. A certificate or wrap that contradicts one held is an
   * error, except wraps for an epoch this keyring rotated to itself and the relay has not confirmed:
   * the relay's batch wins (another participant's rotation was accepted first).
   */
  async load({ members = [], wraps = [], removed = [] } = {}) {
    const certs = new Map(this.#certs);
    for (const cert of members) {
      const m = parseMember(cert);
      const held = certs.get(m.id);
      if (held && sortedJson(held) !== sortedJson(cert)) throw new CryptoError("conflicting member certificate");
      certs.set(m.id, { ...cert });
    }
    let allWraps = new Map(this.#wraps);
    const pending = new Set(this.#pending);
    const incoming = new Map();
    for (const wrap of wraps) {
      parseWrap(wrap);
      const slot = `${wrap.epoch}/${wrap.rid}`;
      if (incoming.has(slot) && sortedJson(incoming.get(slot)) !== sortedJson(wrap)) {
        throw new CryptoError("conflicting wraps");
      }
      incoming.set(slot, { ...wrap });
    }
    for (const [slot, wrap] of incoming) {
      const held = allWraps.get(slot);
      if (held && sortedJson(held) !== sortedJson(wrap)) {
        if (!pending.has(wrap.epoch)) throw new CryptoError("conflicting wraps");
        allWraps = new Map([...allWraps].filter(([, w]) => w.epoch !== wrap.epoch));
      }
      pending.delete(wrap.epoch);
    }
    for (const [slot, wrap] of incoming) allWraps.set(slot, wrap);
    const gone = new Set(this.#removed);
    for (const id of removed) gone.add(checkIdent(id, "member id"));
    const state = await this.#verify(certs, allWraps);
    this.#certs = certs;
    this.#wraps = allWraps;
    this.#removed = gone;
    this.#members = state.members;
    this.#holders = state.holders;
    this.#keys = state.keys;
    this.#pending = pending;
    for (const v of state.verified) this.#verified.add(v);
    return this;
  }

  async #check(obj, signerEd25519, verify, verified) {
    const tag = sortedJson(obj) + "|" + b64uEncode(signerEd25519);
    if (this.#verified.has(tag)) return;
    await verify(obj, signerEd25519);
    verified.push(tag);
  }

  async #verify(certs, wraps) {
    const verified = [];
    const members = await this.#verifyMembers(certs, verified);
    const mine = members.get(this.myId);
    if (mine && !mine.keys.equals(this.me.public())) throw new CryptoError("my certificate does not carry my keys");
    const holders = new Map();
    const keys = new Map();
    const jobs = [];
    for (const wrap of wraps.values()) {
      if (wrap.sid !== this.sid) throw new CryptoError("wrap for another session");
      if (!members.has(wrap.rid)) throw new CryptoError("wrap for an unknown member");
      const wrapper = members.get(wrap.by);
      if (!wrapper || !SIGNER_ROLES.has(wrapper.role)) throw new CryptoError("wrap not signed by the agent or an owner");
      if (wrap.rid === this.myId) {
        jobs.push(this.#unwrapMine(wrap, wrapper, keys));
      } else {
        jobs.push(this.#check(wrap, wrapper.keys.ed25519, verifyWrap, verified));
      }
      if (!holders.has(wrap.epoch)) holders.set(wrap.epoch, new Set());
      holders.get(wrap.epoch).add(wrap.rid);
    }
    await Promise.all(jobs);
    return { members, holders, keys, verified };
  }

  async #unwrapMine(wrap, wrapper, keys) {
    const held = this.#keys.get(wrap.epoch);
    const heldWrap = this.#wraps.get(`${wrap.epoch}/${wrap.rid}`);
    if (held && heldWrap && sortedJson(heldWrap) === sortedJson(wrap)) {
      keys.set(wrap.epoch, held);
      return;
    }
    const raw = await unwrapKey(wrap, this.me, wrapper.keys.ed25519);
    keys.set(wrap.epoch, { raw, key: await aesKey(raw) });
  }

  async #verifyMembers(certs, verified) {
    const root = certs.get(ROOT_ID);
    if (!root) throw new CryptoError("no agent certificate");
    const parsed = new Map();
    for (const [id, cert] of certs) {
      const m = parseMember(cert);
      if (cert.sid !== this.sid) throw new CryptoError("certificate for another session");
      if ((m.id === ROOT_ID) !== (m.role === "agent")) throw new CryptoError("only the member 'agent' has the role agent");
      parsed.set(id, m);
    }
    const rootMember = parsed.get(ROOT_ID);
    if (rootMember.by !== ROOT_ID || !bytesEqual(rootMember.keys.ed25519, this.rootEd25519)) {
      throw new CryptoError("agent certificate does not carry the pinned root key");
    }
    await this.#check(root, this.rootEd25519, verifyMember, verified);
    const members = new Map([[ROOT_ID, rootMember]]);
    // certificates signed by the root first, then those signed by a root-certified owner
    for (const byRoot of [true, false]) {
      const batch = [...parsed.values()].filter((m) => m.id !== ROOT_ID && (m.by === ROOT_ID) === byRoot);
      for (const m of batch) {
        const signer = members.get(m.by);
        if (!signer || (signer.role !== "owner" && m.by !== ROOT_ID)) {
          throw new CryptoError("certificate not signed by the root or an owner");
        }
        if (m.role === "owner" && m.by !== ROOT_ID) throw new CryptoError("an owner certificate must be signed by the root");
      }
      await Promise.all(batch.map((m) => this.#check(certs.get(m.id), members.get(m.by).keys.ed25519, verifyMember, verified)));
      for (const m of batch) members.set(m.id, m);
    }
    return members;
  }

  /** An envelope of `payload` (a JSON object with "v": 1 and a "type") in my newest epoch. */
  async seal(payload, mid = null) {
    checkPayload(payload);
    const epoch = this.epoch;
    if (epoch < 0) throw new CryptoError("no session key");
    return seal(this.me, {
      sid: this.sid, epoch, mid: mid ?? newMid(), sender: this.myId,
      sessionKey: this.#keys.get(epoch).key, plaintext: canonicalJson(payload),
    });
  }

  /** Check, verify and decrypt an envelope of this session; throw CryptoError on any fault. */
  async open(envelope) {
    parseEnvelope(envelope);
    if (envelope.sid !== this.sid) throw new CryptoError("envelope for another session");
    const seen = this.#seen.get(envelope.mid);
    if (seen) {
      if (seen[0] === sortedJson(envelope)) return seen[1];
      throw new CryptoError("duplicate message id");
    }
    const sender = this.#members.get(envelope.from);
    if (!sender) throw new CryptoError("unknown sender");
    if (!this.#holders.get(envelope.epoch)?.has(envelope.from)) throw new CryptoError("sender holds no key in that epoch");
    const key = this.#keys.get(envelope.epoch);
    if (!key) throw new CryptoError("no session key for that epoch");
    const plaintext = await openEnvelope(envelope, sender.keys.ed25519, key.key);
    let payload;
    try {
      payload = JSON.parse(dec.decode(plaintext));
    } catch {
      throw new CryptoError("invalid payload");
    }
    checkPayload(payload);
    const opened = new Opened(envelope.mid, sender.id, sender.role, envelope.epoch, payload);
    this.#seen.set(envelope.mid, [sortedJson(envelope), opened]);
    return opened;
  }

  /** A new session rooted at `root` (member "agent") with its owner (member "owner"), epoch 0.
   *  Returns [keyring, members, wraps]. */
  static async create(sid, { root, owner }) {
    const kr = new SessionKeyring(sid, { rootEd25519: root.ed25519Pub, me: root, myId: ROOT_ID });
    const members = await Promise.all([
      signMember(root, { sid, memberId: ROOT_ID, role: "agent", keys: root.public(), by: ROOT_ID }),
      signMember(root, { sid, memberId: OWNER_ID, role: "owner", keys: owner, by: ROOT_ID }),
    ]);
    const sk = newSessionKey();
    const wraps = await Promise.all([kr.#wrap(0, ROOT_ID, root.x25519Pub, sk), kr.#wrap(0, OWNER_ID, owner.x25519, sk)]);
    await kr.load({ members, wraps });
    return [kr, members, wraps];
  }

  #wrap(epoch, rid, x25519, sk) {
    return wrapKey(this.me, { by: this.myId, sid: this.sid, epoch, rid, recipientX25519: x25519, sessionKey: sk });
  }

  /** Check that I may certify and wrap; return the newest epoch, whose key I must hold. */
  #requireSigner() {
    const mine = this.#members.get(this.myId);
    if (!mine || !SIGNER_ROLES.has(mine.role) || this.#removed.has(this.myId)) {
      throw new CryptoError("only the agent or an owner may do this");
    }
    if (this.epoch < 0 || this.epoch !== this.latestEpoch) throw new CryptoError("no session key for the newest epoch");
    return this.epoch;
  }

  /** Certify a new member (signed by me) and wrap the current session key for it. Returns [cert, wrap]. */
  async addMember(memberId, role, keys) {
    const epoch = this.#requireSigner();
    checkIdent(memberId, "member id");
    if (!ROLES.has(role) || role === "agent") throw new CryptoError("invalid role for a new member");
    if (role === "owner" && this.myId !== ROOT_ID) throw new CryptoError("only the root may certify an owner");
    if (this.#certs.has(memberId)) throw new CryptoError("member id exists");
    const cert = await signMember(this.me, { sid: this.sid, memberId, role, keys, by: this.myId });
    const wrap = await this.#wrap(epoch, memberId, keys.x25519, this.#keys.get(epoch).raw);
    await this.load({ members: [cert], wraps: [wrap] });
    return [cert, wrap];
  }

  /** A fresh key for the next epoch, wrapped for the remaining members (me included): those holding
   *  a verified wrap in the newest epoch, less `remove` and any member marked removed (a relay that
   *  forgets a removal cannot bring a removed member back through someone else's rotation).
   *  Returns [epoch, wraps]. */
  async rotate(remove = []) {
    const current = this.#requireSigner();
    const gone = new Set(this.#removed);
    for (const id of remove) {
      checkIdent(id, "member id");
      if (id === ROOT_ID || id === this.myId) throw new CryptoError("cannot remove the agent or myself");
      if (!this.#members.has(id)) throw new CryptoError("unknown member");
      gone.add(id);
    }
    const epoch = current + 1;
    const remaining = this.holders(current);
    const sk = newSessionKey();
    const wraps = await Promise.all([...this.#members.values()].filter((m) => remaining.has(m.id) && !gone.has(m.id))
      .map((m) => this.#wrap(epoch, m.id, m.keys.x25519, sk)));
    await this.load({ wraps, removed: gone });
    this.#pending.add(epoch);
    return [epoch, wraps];
  }
}

function checkPayload(payload) {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw new CryptoError("payload is not an object");
  if (payload.v !== 1) throw new CryptoError("payload: unsupported version");
  if (typeof payload.type !== "string") throw new CryptoError("payload: missing type");
}
