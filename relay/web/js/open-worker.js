// A worker that verifies and decrypts sessions off the main thread, for the inbox's first load: each
// job is one session (its members, wraps, title and some envelopes) checked by the same SessionKeyring
// the page uses. It answers with what the page shows, never with keys. Jobs that fail here are left to
// the page, which retries them its own way (a fresh read of the session's keys first).

import { CryptoError, SessionKeyring, b64uDecode, ownerIdentity } from "./crypto.js";

let me = null;

self.onmessage = async (ev) => {
  const { id, kind } = ev.data;
  try {
    if (kind === "init") {
      me = await ownerIdentity(ev.data.secret, ev.data.ownerId);
      self.postMessage({ id, ok: true });
    } else if (kind === "open") {
      self.postMessage({ id, results: await Promise.all(ev.data.jobs.map(openSession)) });
    }
  } catch (err) {
    self.postMessage({ id, error: String(err?.message ?? err) });
  }
};

/** {title: string|null, opened: [Opened fields | null]}; null where verification failed. */
async function openSession({ sid, root, members, wraps, removed, title, envelopes }) {
  const out = { title: null, opened: envelopes.map(() => null) };
  let kr;
  try {
    kr = new SessionKeyring(sid, { rootEd25519: b64uDecode(root, 32), me, myId: "owner" });
    await kr.load({ members, wraps, removed });
  } catch (err) {
    if (err instanceof CryptoError) return out;
    throw err;
  }
  const open = async (env) => {
    try {
      return await kr.open(env);
    } catch (err) {
      if (err instanceof CryptoError) return null;
      throw err;
    }
  };
  const [t, ...opened] = await Promise.all([title ? open(title) : null, ...envelopes.map(open)]);
  if (t) out.title = t.payload.type === "title" && typeof t.payload.title === "string" && ["agent", "owner"].includes(t.role) ? t.payload.title : "";
  out.opened = opened.map((o) => (o ? { mid: o.mid, sender: o.sender, role: o.role, epoch: o.epoch, payload: o.payload } : null));
  return out;
}
