// A guest link: /join/<guest token>#v=1&g=<secret>&a=<root key>. The fragment was read and stripped
// from the address bar before anything else ran; nothing is fetched or decrypted before a click (so
// link-preview bots cannot use the link). The guest derives its keys from g, checks its own
// certificate against the root key a, unwraps the session key and reads (and answers, when allowed).

import { Api, ApiError } from "../api.js";
import { CryptoError, SessionKeyring, guestIdentity, parseGuestFragment } from "../crypto.js";
import { h } from "../dom.js";
import { SessionView } from "../session.js";

class Guest {
  constructor(token, secret, root) {
    this.api = new Api(token);
    this.secret = secret;
    this.root = root;
    this.role = "guest";
    this.kr = null;
  }

  async init() {
    this.me = await this.api.get("/v1/guest/me");
    this.myId = this.me.guest_id;
    this.identity = await guestIdentity(this.secret, this.me.sid);
  }

  sessionInfo(sid) {
    return this.api.get(`/v1/sessions/${encodeURIComponent(sid)}`);
  }

  async keyring(sid, info = null) {
    if (this.kr) return this.kr;
    const full = info ?? (await this.sessionInfo(sid));
    const kr = new SessionKeyring(sid, { rootEd25519: this.root, me: this.identity, myId: this.myId });
    await kr.load({ members: full.members, wraps: full.wraps, removed: full.removed || [] });
    const mine = kr.members.get(this.myId);
    if (!mine || mine.role !== "guest") throw new CryptoError("this link's guest is not a verified member of the session");
    if (kr.epoch < 0) throw new CryptoError("no session key was shared with this link");
    this.kr = kr;
    return kr;
  }

  async refreshKeyring(sid) {
    const info = await this.sessionInfo(sid);
    const kr = await this.keyring(sid, info);
    await kr.load({ members: info.members, wraps: info.wraps, removed: info.removed || [] });
    return kr;
  }

  async agentName() {
    return "Agent";
  }

  canAnswer(info) {
    return info.public_mode === "respond" && info.status === "open";
  }
}

function endPage(root, title, text) {
  root.replaceChildren(h("section", { class: "card narrow guest-end" }, h("h2", {}, title), h("p", {}, text)));
}

function authEnd(root, err) {
  if (err.code === "token_expired") return endPage(root, "This link has expired", "Guest links work for a limited time. Ask the person who sent it for a new one.");
  if (err.code === "token_revoked") return endPage(root, "This link was revoked", "The person who shared it has withdrawn access.");
  return endPage(root, "This link is not valid", "It may be mistyped, or the session no longer exists.");
}

export function joinPage(root, { token, fragment, app }) {
  const open = h("button", { type: "button", class: "btn btn-primary" }, "Open the session");
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  root.replaceChildren(h("section", { class: "card narrow guest-intro" },
    h("h2", {}, "You have been invited to a Hiloop session"),
    h("p", {}, "Its messages are end-to-end encrypted: they are decrypted here, in your browser, with the key in your link."),
    open, error));
  let view = null;
  open.addEventListener("click", async () => {
    open.disabled = true;
    let secret;
    let rootKey;
    try {
      [secret, rootKey] = parseGuestFragment(fragment || "");
    } catch {
      endPage(root, "This link is incomplete", "The part after # is missing or damaged. Open the whole link you were sent.");
      return;
    }
    const guest = new Guest(token, secret, rootKey);
    guest.onAuthError = (err) => {
      if (err.status === 401) {
        authEnd(root, err);
        return true;
      }
      return false;
    };
    try {
      await guest.init();
      view = new SessionView(guest, guest.me.sid);
      const el = await view.start();
      const until = new Date(guest.me.expires_at);
      const sameDay = until.toDateString() === new Date().toDateString();
      root.replaceChildren(h("p", { class: "guest-banner" },
        `You are a guest${guest.me.label ? ` (“${guest.me.label}”)` : ""} until `,
        h("time", { datetime: guest.me.expires_at }, sameDay ? until.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
          : until.toLocaleString([], { dateStyle: "medium", timeStyle: "short" })), "."), el);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return authEnd(root, err);
      if (err instanceof CryptoError) return endPage(root, "This session cannot be verified", `Nothing is shown, because ${err.message}.`);
      if (err instanceof ApiError) return endPage(root, "This session cannot be opened", err.message);
      throw err;
    }
  });
  return () => view?.stop();
}
