// The signed-in owner in this browser: identity from the owner secret, the relay API with the device
// token, verified agent certificates (the roots of their sessions) and one keyring per session.

import { Api, ApiError } from "./api.js";
import {
  CryptoError, SessionKeyring, b64uDecode, b64uEncode, bytesEqual, guestFragment, guestIdentity, loginSignature, newId,
  ownerIdentity, verifyAgentCert,
} from "./crypto.js";
import { loadOwner, saveOwner } from "./store.js";

export const RECOVERY_PREFIX = "hlr1.";

export function recoveryKey(ownerId, secret) {
  return `${RECOVERY_PREFIX}${ownerId}.${b64uEncode(secret)}`;
}

/** "hlr1.<owner id>.<b64u secret>" → {ownerId, secret}; throws CryptoError. */
export function parseRecoveryKey(text) {
  const key = String(text || "").trim();
  if (!key.startsWith(RECOVERY_PREFIX)) throw new CryptoError("A recovery key starts with hlr1.");
  const rest = key.slice(RECOVERY_PREFIX.length);
  const dot = rest.lastIndexOf(".");
  if (dot <= 0) throw new CryptoError("This recovery key is incomplete.");
  const ownerId = rest.slice(0, dot);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(ownerId)) throw new CryptoError("This recovery key's account id is not valid.");
  let secret;
  try {
    secret = b64uDecode(rest.slice(dot + 1), 32);
  } catch {
    throw new CryptoError("This recovery key's secret is damaged.");
  }
  return { ownerId, secret };
}

export function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return `${browser}${os ? " on " + os : ""}`.slice(0, 100);
}

export class Owner {
  constructor({ ownerId, secret, deviceToken, identity }) {
    this.ownerId = ownerId;
    this.secret = secret;
    this.identity = identity;
    this.myId = "owner";
    this.role = "owner";
    this.api = new Api(deviceToken);
    this.agentCache = null;
    this.keyrings = new Map(); // sid -> Promise<SessionKeyring>
    this.infos = new Map(); // sid -> SessionInfo
  }

  static async fromStore() {
    const saved = await loadOwner();
    if (!saved) return null;
    return new Owner({ ...saved, identity: await ownerIdentity(saved.secret, saved.ownerId) });
  }

  /** First run: create the owner on the relay with a set-up token. Returns {owner, recoveryKey}. */
  static async setup(setupToken) {
    const secret = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const ownerId = newId("o_");
    const identity = await ownerIdentity(secret, ownerId);
    const keys = identity.public().toWire();
    const created = await new Api().post("/v1/owners", {
      setup_token: setupToken, owner_id: ownerId, x25519: keys.x25519, ed25519: keys.ed25519, device_name: deviceName(),
    });
    await saveOwner({ ownerId, secret, deviceToken: created.device_token });
    return { owner: new Owner({ ownerId, secret, deviceToken: created.device_token, identity }), recoveryKey: recoveryKey(ownerId, secret) };
  }

  /** Another device: sign a challenge with the keys derived from the recovery key. */
  static async signIn(recovery) {
    const { ownerId, secret } = parseRecoveryKey(recovery);
    const identity = await ownerIdentity(secret, ownerId);
    const api = new Api();
    const id = encodeURIComponent(ownerId);
    const { challenge } = await api.post(`/v1/owners/${id}/challenge`, {});
    const sig = await loginSignature(identity, ownerId, challenge);
    const token = await api.post(`/v1/owners/${id}/devices`, { challenge, sig, device_name: deviceName() });
    await saveOwner({ ownerId, secret, deviceToken: token.device_token });
    return new Owner({ ownerId, secret, deviceToken: token.device_token, identity });
  }

  get recoveryKey() {
    return recoveryKey(this.ownerId, this.secret);
  }

  // --- agents ---------------------------------------------------------------------------------

  /** Map agent id -> {info, verified, error}; an agent counts only when its certificate is ours. */
  async agents(refresh = false) {
    if (this.agentCache && !refresh) return this.agentCache;
    const load = (async () => {
      const { agents } = await this.api.get("/v1/agents");
      const out = new Map();
      await Promise.all(agents.map(async (info) => {
        let verified = false;
        let error = null;
        try {
          const cert = info.agent_cert;
          const keys = await verifyAgentCert(cert, this.identity.ed25519Pub);
          if (cert.owner !== this.ownerId || cert.agent !== info.agent_id) throw new CryptoError("certificate names another agent");
          if (!bytesEqual(keys.ed25519, b64uDecode(info.ed25519, 32)) || !bytesEqual(keys.x25519, b64uDecode(info.x25519, 32))) {
            throw new CryptoError("certificate carries other keys");
          }
          verified = true;
        } catch (err) {
          if (!(err instanceof CryptoError)) throw err;
          error = err.message;
        }
        out.set(info.agent_id, { info, verified, error, name: verified ? info.agent_cert.name : info.name });
      }));
      return out;
    })();
    this.agentCache = load;
    try {
      return await load;
    } catch (err) {
      this.agentCache = null;
      throw err;
    }
  }

  async agentName(agentId) {
    const a = (await this.agents()).get(agentId);
    return a ? a.name : "Unknown agent";
  }

  async rootFor(agentId) {
    let a = (await this.agents()).get(agentId);
    if (!a) a = (await this.agents(true)).get(agentId);
    if (!a) throw new CryptoError("this session's agent is not one of yours");
    if (!a.verified) throw new CryptoError(`the agent's certificate does not verify (${a.error})`);
    return b64uDecode(a.info.ed25519, 32);
  }

  // --- sessions -------------------------------------------------------------------------------

  async sessionInfo(sid) {
    const info = await this.api.get(`/v1/sessions/${encodeURIComponent(sid)}`);
    this.infos.set(sid, info);
    return info;
  }

  /** The verified keyring of a session (fetches members and wraps the first time). */
  keyring(sid, info = null) {
    if (!this.keyrings.has(sid)) {
      const p = (async () => {
        const full = info?.members?.length ? info : await this.sessionInfo(sid);
        const kr = new SessionKeyring(sid, { rootEd25519: await this.rootFor(full.agent_id), me: this.identity, myId: "owner" });
        await kr.load({ members: full.members, wraps: full.wraps, removed: full.removed || [] });
        return kr;
      })();
      this.keyrings.set(sid, p);
      p.catch(() => this.keyrings.delete(sid));
    }
    return this.keyrings.get(sid);
  }

  /** Reload members and wraps (after a rotation or a new guest). */
  async refreshKeyring(sid) {
    const info = await this.sessionInfo(sid);
    const kr = await this.keyring(sid, info);
    await kr.load({ members: info.members, wraps: info.wraps, removed: info.removed || [] });
    return kr;
  }

  canAnswer() {
    return true;
  }

  async createGuestLink(sid, label, expiresIn) {
    const kr = await this.refreshKeyring(sid);
    const secret = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const guestId = newId("g_", 6);
    const guest = await guestIdentity(secret, sid);
    const [member, wrap] = await kr.addMember(guestId, "guest", guest.public());
    const created = await this.api.post(`/v1/sessions/${encodeURIComponent(sid)}/guests`, { label, expires_in: expiresIn, member, wrap });
    const info = this.infos.get(sid) ?? (await this.sessionInfo(sid));
    const root = await this.rootFor(info.agent_id);
    return { ...created, url: `${location.origin}/join/${created.token}#${guestFragment(secret, root)}` };
  }

  /** Revoke a guest, then rotate the session key so the guest cannot read what follows. The title
   *  is sealed again in the new epoch (mid "title-<epoch>") so members added later can read it. */
  async revokeGuest(sid, guestId) {
    const path = `/v1/sessions/${encodeURIComponent(sid)}`;
    await this.api.delete(`${path}/guests/${encodeURIComponent(guestId)}`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const kr = await this.refreshKeyring(sid);
      if (!kr.holders(kr.latestEpoch).has(guestId)) return; // already rotated out
      const title = await this.title(kr, this.infos.get(sid));
      const [epoch, wraps] = await kr.rotate(kr.members.has(guestId) ? [guestId] : []);
      const body = { epoch, remove: [guestId], wraps };
      if (title) body.title = await kr.seal({ v: 1, type: "title", title }, `title-${epoch}`);
      try {
        await this.api.post(`${path}/rotate`, body);
        return;
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== "epoch_conflict") throw err;
        this.keyrings.delete(sid);
      }
    }
  }

  /** A session's decrypted title ("" when there is none or it does not verify). */
  async title(kr, info) {
    if (!info?.title) return "";
    try {
      const o = await kr.open(info.title);
      return o.payload.type === "title" && typeof o.payload.title === "string" && ["agent", "owner"].includes(o.role) ? o.payload.title : "";
    } catch (err) {
      if (err instanceof CryptoError) return "";
      throw err;
    }
  }
}
