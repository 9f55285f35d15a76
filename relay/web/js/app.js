// The app's entry point: feature check, the owner from IndexedDB, client-side routes, the live event
// stream. The relay serves index.html for every page route; this module picks the page.

import { checkSupport } from "./crypto.js";
import { h, navLink } from "./dom.js";
import { Owner } from "./owner.js";
import { agentsPage } from "./pages/agents.js";
import { feedPage } from "./pages/feed.js";
import { joinPage } from "./pages/join.js";
import { pairPage } from "./pages/pair.js";
import { setupPage } from "./pages/setup.js";
import { signInPage } from "./pages/signin.js";
import { SessionView } from "./session.js";
import { forgetOwner } from "./store.js";
import { startTicker } from "./time.js";

// Secrets travel in link fragments (guest links, pairing links): read the fragment and take it out of
// the address bar and history before anything else runs.
const BOOT = { path: location.pathname, fragment: "" };

function takeFragment() {
  if (!location.hash) return false;
  BOOT.path = location.pathname;
  BOOT.fragment = location.hash.replace(/^#/, "");
  history.replaceState(history.state, "", location.pathname + location.search);
  if (BOOT.path.startsWith("/join/")) sessionStorage.setItem(`hiloop:join:${BOOT.path}`, BOOT.fragment);
  return true;
}
takeFragment();

function fragmentFor(path) {
  if (BOOT.path === path && BOOT.fragment) return BOOT.fragment;
  if (path.startsWith("/join/")) return sessionStorage.getItem(`hiloop:join:${path}`);
  return null;
}

const ROUTES = [
  [/^\/setup\/([^/]+)$/, "setup"],
  [/^\/join\/([^/]+)$/, "join"],
  [/^\/pair\/([^/]+)$/, "pair"],
  [/^\/s\/([^/]+)$/, "session"],
  [/^\/agents\/?$/, "agents"],
  [/^\/setup\/?$/, "home"],
  [/^\/$/, "home"],
];

class App {
  constructor(root) {
    this.root = root;
    this.owner = null;
    this.cleanup = null;
    this.events = null;
    this.main = h("main", { id: "main", tabindex: "-1" });
    this.live = h("span", { class: "live-dot", title: "offline", "aria-label": "connection: offline" });
    this.nav = h("nav", { class: "nav", "aria-label": "Main" });
    this.toast = h("div", { class: "toast", role: "alert", hidden: true });
    this.showError = (err) => this.flash(`Something went wrong: ${err?.message ?? err}`);
  }

  async start() {
    this.root.replaceChildren(
      h("header", { class: "top" }, navLink("/", { class: "brand" }, "Hiloop"), this.nav, this.live),
      this.main, this.toast);
    try {
      await checkSupport();
    } catch (err) {
      this.main.replaceChildren(h("section", { class: "card narrow danger unsupported" }, h("h2", {}, "This browser cannot run Hiloop"), h("p", {}, err.message)));
      return;
    }
    try {
      this.owner = await Owner.fromStore();
    } catch (err) {
      this.owner = null;
      this.flash(`Saved sign-in could not be read: ${err.message}`);
    }
    startTicker();
    window.addEventListener("popstate", () => this.rerender());
    // the same link opened again in this tab only changes the fragment: take it and show the page anew
    window.addEventListener("hashchange", () => { if (takeFragment()) this.rerender(); });
    window.addEventListener("hiloop:navigate", (ev) => this.navigate(ev.detail));
    window.addEventListener("unhandledrejection", (ev) => this.showError(ev.reason));
    if (this.owner) this.startEvents();
    await this.rerender();
  }

  flash(text) {
    this.toast.textContent = text;
    this.toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { this.toast.hidden = true; }, 8000);
  }

  signedIn(owner) {
    this.owner = owner;
    this.startEvents();
  }

  async signOut() {
    if (!confirm("Sign out of this browser? You will need your recovery key to sign in again.")) return;
    this.events?.abort();
    await forgetOwner();
    this.owner = null;
    this.navigate("/");
  }

  startEvents() {
    this.events?.abort();
    this.events = new AbortController();
    const setState = (state) => {
      this.live.className = `live-dot ${state}`;
      this.live.title = state;
      this.live.setAttribute("aria-label", `connection: ${state}`);
    };
    this.owner.api.stream((kind, data) => {
      window.dispatchEvent(new CustomEvent("hiloop:event", { detail: { kind, data } }));
      // a browser notification for a new request while the app is in the background (content stays out of it)
      if (kind === "message" && data?.data?.meta?.requires_response && data.data.from !== "owner" && document.hidden &&
          "Notification" in window && Notification.permission === "granted") {
        const n = new Notification("Hiloop: a request needs you", { tag: data.sid, body: `Priority: ${data.data.meta.priority}` });
        n.onclick = () => { window.focus(); this.navigate(`/s/${encodeURIComponent(data.sid)}`); };
      }
    }, { signal: this.events.signal, onState: setState, cursorKey: `hiloop:events:${this.owner.ownerId}` });
  }

  navigate(path) {
    if (path !== location.pathname) history.pushState(null, "", path);
    return this.rerender();
  }

  renderNav(name) {
    this.live.hidden = !this.owner || name === "join"; // the owner's event stream: nothing to show a guest
    if (!this.owner || ["join", "setup"].includes(name)) {
      this.nav.replaceChildren();
      return;
    }
    const link = (href, label, active) => navLink(href, { class: active ? "active" : null, "aria-current": active ? "page" : null }, label);
    this.nav.replaceChildren(link("/", "Inbox", name === "home"), link("/agents", "Agents", name === "agents"),
      h("button", { type: "button", class: "linkish", on: { click: () => this.signOut() } }, "Sign out"));
  }

  async rerender() {
    if (this.cleanup) {
      try {
        this.cleanup();
      } finally {
        this.cleanup = null;
      }
    }
    const path = location.pathname;
    let name = "notfound";
    let arg = null;
    for (const [re, n] of ROUTES) {
      const m = re.exec(path);
      if (m) {
        name = n;
        arg = m[1] ? decodeURIComponent(m[1]) : null;
        break;
      }
    }
    this.renderNav(name);
    const root = h("div", { class: `page page-${name}` });
    this.main.replaceChildren(root);
    document.title = "Hiloop";
    const ctx = { app: this, owner: this.owner };
    try {
      if (name === "setup") return void (this.cleanup = await setupPage(root, { ...ctx, token: arg }));
      if (name === "join") return void (this.cleanup = joinPage(root, { ...ctx, token: arg, fragment: fragmentFor(path) }));
      if (name === "notfound") {
        root.replaceChildren(h("section", { class: "card narrow" }, h("h2", {}, "Not found"), navLink("/", {}, "Go to your inbox")));
        return;
      }
      if (!this.owner) {
        const reason = name === "pair" ? "Sign in to approve this pairing." : null;
        signInPage(root, { ...ctx, reason });
        return;
      }
      if (name === "home") this.cleanup = await feedPage(root, ctx);
      else if (name === "agents") this.cleanup = await agentsPage(root, ctx);
      else if (name === "pair") this.cleanup = await pairPage(root, { ...ctx, pid: arg, fragment: fragmentFor(path) });
      else if (name === "session") this.cleanup = await this.sessionPage(root, arg);
    } catch (err) {
      root.replaceChildren(h("section", { class: "card narrow danger" }, h("h2", {}, "This page could not be shown"), h("p", {}, err.message)));
    }
  }

  async sessionPage(root, sid) {
    root.replaceChildren(h("p", { class: "muted" }, "Opening the session…"));
    const view = new SessionView(this.owner, sid);
    const onEvent = (ev) => {
      const { kind, data } = ev.detail;
      const from = data?.data?.from;
      if (kind === "typing" && data?.sid === sid && from && from !== "owner") {
        view.showTyping(from === "agent" ? view.agentName || "The agent" : view.kr?.members.get(from)?.role === "guest" ? "A guest" : from);
      }
    };
    window.addEventListener("hiloop:event", onEvent);
    const cleanup = () => {
      view.stop();
      window.removeEventListener("hiloop:event", onEvent);
    };
    try {
      const el = await view.start();
      root.replaceChildren(el);
      document.title = `${view.title || "Session"} · Hiloop`;
    } catch (err) {
      cleanup();
      throw err;
    }
    return cleanup;
  }
}

const app = new App(document.getElementById("app"));
app.start();
