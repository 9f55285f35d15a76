// The inbox: open requests across all agents, most urgent first, deadlines counting down, kept live
// by the owner's event stream. Simple button decisions can be answered right here.

import { ApiError } from "../api.js";
import { isInteractive, render } from "../components.js";
import { CryptoError } from "../crypto.js";
import { h, navLink } from "../dom.js";
import { sealAndSend } from "../session.js";
import { countdown, relative, timeEl } from "../time.js";

const RANK = { urgent: 3, high: 2, normal: 1, low: 0 };
const PARALLEL = 8;

export function sortFeed(items) {
  return [...items].sort((a, b) => {
    const pa = RANK[a.message.meta.priority] ?? 1;
    const pb = RANK[b.message.meta.priority] ?? 1;
    if (pa !== pb) return pb - pa;
    const da = a.message.meta.deadline ? Date.parse(a.message.meta.deadline) : Infinity;
    const db = b.message.meta.deadline ? Date.parse(b.message.meta.deadline) : Infinity;
    if (da !== db) return da - db;
    return Date.parse(a.message.created_at) - Date.parse(b.message.created_at);
  });
}

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

/** Decrypt a session's title (cached by sid + title mid). */
export async function sessionTitle(owner, session, cache) {
  if (!session.title) return "";
  const key = `${session.sid}/${session.title.mid}/${session.title.epoch}`;
  if (cache.has(key)) return cache.get(key);
  let title = "";
  try {
    const kr = await owner.keyring(session.sid, session);
    const o = await kr.open(session.title).catch(async (err) => {
      if (!(err instanceof CryptoError)) throw err;
      return (await owner.refreshKeyring(session.sid)).open(session.title);
    });
    if (o.payload.type === "title" && typeof o.payload.title === "string" && ["agent", "owner"].includes(o.role)) title = o.payload.title;
  } catch (err) {
    if (!(err instanceof CryptoError) && !(err instanceof ApiError)) throw err;
  }
  cache.set(key, title);
  return title;
}

function summaryOf(payload) {
  const comps = Array.isArray(payload.components) ? payload.components : [];
  const text = comps.find((c) => c.type === "text" || c.type === "alert");
  if (text) return String(text.text).split("\n").find((l) => l.trim())?.replace(/[*_`#>]/g, "").trim() ?? "";
  if (typeof payload.text === "string") return payload.text;
  const kv = comps.find((c) => c.type === "kv");
  if (kv) return kv.entries.map((e) => `${e.label}: ${e.value}`).slice(0, 3).join(" · ");
  return "";
}

function quickAnswerable(components) {
  const comps = Array.isArray(components) ? components : [];
  return comps.some((c) => c.type === "button_group") && !comps.some((c) => c.type === "qa" || c.type === "wizard" || c.type === "tabs");
}

export async function feedPage(root, { owner, app }) {
  const list = h("ol", { class: "feed", "aria-live": "polite" });
  const empty = h("p", { class: "muted feed-empty", hidden: true }, "Nothing needs you right now.");
  const sessionsList = h("ul", { class: "session-list" });
  const notify = h("button", { type: "button", class: "btn btn-secondary btn-small", hidden: !("Notification" in window) || Notification.permission !== "default" },
    "Enable notifications");
  notify.addEventListener("click", async () => {
    await Notification.requestPermission();
    notify.hidden = true;
  });
  const status = h("p", { class: "muted loading" }, "Loading your inbox…");
  const closedList = h("ul", { class: "session-list", hidden: true });
  const closedToggle = h("button", { type: "button", class: "btn btn-secondary btn-small" }, "Show closed sessions");
  closedToggle.addEventListener("click", async () => {
    if (!closedList.hidden) {
      closedList.hidden = true;
      closedToggle.textContent = "Show closed sessions";
      return;
    }
    closedToggle.disabled = true;
    try {
      const { sessions } = await owner.api.get("/v1/sessions", { status: "closed", limit: 50 });
      const rows = await mapLimit(sessions, PARALLEL, (s) => sessionRow(s));
      closedList.replaceChildren(...(rows.length ? rows : [h("li", { class: "muted" }, "No closed sessions.")]));
      closedList.hidden = false;
      closedToggle.textContent = "Hide closed sessions";
    } finally {
      closedToggle.disabled = false;
    }
  });
  root.replaceChildren(
    h("section", { class: "inbox" }, h("div", { class: "section-head" }, h("h2", {}, "Needs you"), notify), status, list, empty),
    h("section", { class: "sessions" }, h("h2", {}, "Open sessions"), sessionsList),
    h("section", { class: "sessions closed" }, closedToggle, closedList));

  const titles = new Map();
  const opened = new Map(); // sid/mid -> payload | null
  const answered = new Set();

  async function openMessage(item) {
    const key = `${item.session.sid}/${item.message.mid}`;
    if (opened.has(key)) return opened.get(key);
    let result = null;
    try {
      const kr = await owner.keyring(item.session.sid, item.session);
      let o;
      try {
        o = await kr.open(item.message.envelope);
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
        o = await (await owner.refreshKeyring(item.session.sid)).open(item.message.envelope);
      }
      result = o.mid === item.message.mid ? o : null;
    } catch (err) {
      if (!(err instanceof CryptoError) && !(err instanceof ApiError)) throw err;
    }
    opened.set(key, result);
    return result;
  }

  /** A card at once from routing metadata; its title and content fill in once decrypted. */
  function shell(item) {
    const { session, message } = item;
    const meta = message.meta;
    const href = `/s/${encodeURIComponent(session.sid)}`;
    const agentEl = h("span", { class: "agent-name" });
    const titleEl = navLink(href, { class: "feed-title" }, "…");
    const bodyEl = h("div", { class: "feed-body" }, h("p", { class: "muted" }, "Decrypting…"));
    const el = h("li", { class: ["feed-item", `priority-${meta.priority}`], dataset: { sid: session.sid, mid: message.mid } },
      h("div", { class: "item-head" },
        h("span", { class: ["badge", `priority-${meta.priority}`] }, meta.priority),
        agentEl,
        meta.type ? h("span", { class: "badge type" }, meta.type.replace("_", " ")) : null,
        meta.deadline ? countdown(meta.deadline) : null,
        h("span", { class: "item-time" }, timeEl(message.created_at))),
      titleEl, bodyEl);
    el.fill = () => fill(item, { agentEl, titleEl, bodyEl, href });
    return el;
  }

  async function fill(item, { agentEl, titleEl, bodyEl, href }) {
    const { session, message } = item;
    const meta = message.meta;
    const [title, o, agent] = await Promise.all([sessionTitle(owner, session, titles), openMessage(item), owner.agentName(session.agent_id)]);
    agentEl.textContent = agent;
    titleEl.textContent = title || "(untitled session)";
    const payload = o?.payload;
    const body = [];
    if (!o) {
      body.push(h("p", { class: "muted" }, "This request failed verification; open the session to see why."));
    } else if (payload.type === "message") {
      const summary = summaryOf(payload);
      if (summary) body.push(h("p", { class: "summary" }, summary));
      if (quickAnswerable(payload.components)) {
        const buttons = payload.components.filter((c) => c.type === "button_group");
        body.push(render(buttons, {
          canAnswer: true,
          reasonFor: meta.type === "permission_request" ? new Set(["deny"]) : undefined,
          respond: async (answer) => {
            await sealAndSend(owner, session.sid, { v: 1, type: "response", request: message.mid, ...answer }, { type: "response", reply_to: message.mid });
            answered.add(`${session.sid}/${message.mid}`);
            refresh();
          },
        }));
      } else if (isInteractive(payload.components)) {
        body.push(navLink(href, { class: "btn btn-primary btn-small" }, "Open to answer"));
      }
    }
    bodyEl.replaceChildren(...body);
  }

  const cards = new Map(); // sid/mid -> card element (decrypted once, kept across refreshes)

  async function sessionRow(s) {
    return h("li", { dataset: { sid: s.sid } },
      navLink(`/s/${encodeURIComponent(s.sid)}`, {}, (await sessionTitle(owner, s, titles)) || "(untitled session)"),
      " ", h("span", { class: "muted" }, `${await owner.agentName(s.agent_id)} · ${relative(s.updated_at)}`),
      s.kind === "claude_code" ? h("span", { class: "badge kind" }, "Claude Code") : null,
      s.open_requests && s.status === "open" ? h("span", { class: "badge state-open" }, `${s.open_requests} open`) : null);
  }

  let running = null;
  let again = false;
  async function refresh() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const [{ items }, { sessions }] = await Promise.all([
          owner.api.get("/v1/feed"), owner.api.get("/v1/sessions", { status: "open", limit: 50 }),
        ]);
        const open = sortFeed(items.filter((it) => !answered.has(`${it.session.sid}/${it.message.mid}`)));
        const fresh = [];
        const els = open.map((it) => {
          const key = `${it.session.sid}/${it.message.mid}`;
          if (!cards.has(key)) {
            const el = shell(it);
            cards.set(key, el);
            fresh.push(el);
          }
          return cards.get(key);
        });
        const live = new Set(open.map((it) => `${it.session.sid}/${it.message.mid}`));
        for (const key of [...cards.keys()]) if (!live.has(key)) cards.delete(key);
        list.replaceChildren(...els);
        empty.hidden = els.length > 0;
        await mapLimit(fresh, PARALLEL, (el) => el.fill());
        const rows = await mapLimit(sessions, PARALLEL, (s) => sessionRow(s));
        sessionsList.replaceChildren(...(rows.length ? rows : [h("li", { class: "muted" }, "No open sessions.")]));
        status.remove();
        root.dataset.ready = "1";
      } while (again);
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  }

  let timer = null;
  const onEvent = (ev) => {
    const { kind, data } = ev.detail;
    if (!["message", "status", "session"].includes(kind)) return;
    clearTimeout(timer);
    timer = setTimeout(() => refresh().catch(app.showError), 150);
  };
  window.addEventListener("hiloop:event", onEvent);
  await refresh();
  return () => {
    window.removeEventListener("hiloop:event", onEvent);
    clearTimeout(timer);
  };
}
