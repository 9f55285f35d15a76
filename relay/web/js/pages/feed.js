// The inbox: open requests across all agents, most urgent first, deadlines counting down, kept live
// by the owner's event stream. Simple button decisions can be answered right here.
//
// Loading is one feed request with every session's members and wraps (`keys=1`); agent certificates
// are verified once per agent; then every session is verified and decrypted at once, spread over a few
// workers (pool.js: browsers run Ed25519 on the calling thread), and whatever they could not open is
// retried here; then the cards go into the document in one batch (a long inbox shows its first screen
// before: opened here while the workers open the rest). The page sets `data-ready` and the performance
// mark "hiloop:feed-ready" once every card shows its decrypted title (bench/feed_render.py).

import { ApiError } from "../api.js";
import { isInteractive, render } from "../components.js";
import { CryptoError } from "../crypto.js";
import { h, navLink } from "../dom.js";
import { OpenPool } from "../pool.js";
import { sealAndSend } from "../session.js";
import { countdown, relative, timeEl } from "../time.js";

const RANK = { urgent: 3, high: 2, normal: 1, low: 0 };
const PLAIN_TYPES = new Set(["decision", "text"]); // not worth a badge: most requests are decisions
const FEED_LIMIT = 1000; // the relay's largest page
const OPEN_SESSIONS = 50;
// After the first load the feed is re-read without keys (an event usually brings one new request, whose
// session's keys are fetched on their own); with more new requests than this, it is read with keys and
// opened in workers.
const MANY = 16;
const FIRST_SCREEN = 12; // cards opened first and shown before the rest of a long inbox

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

/** The number of requests the inbox showed last time on this device (a count, nothing else). */
function lastSize(n = null) {
  try {
    if (n === null) return Number(localStorage.getItem("hiloop:inbox-size")) || 0;
    localStorage.setItem("hiloop:inbox-size", String(n));
  } catch {
    // storage disabled: the workers start when the feed has arrived
  }
  return n;
}

function titleKey(session) {
  return `${session.sid}/${session.title.mid}/${session.title.epoch}`;
}

/** Decrypt a session's title (cached by sid + title mid). */
export async function sessionTitle(owner, session, cache) {
  if (!session.title) return "";
  const key = titleKey(session);
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
  const count = h("span", { class: "count", hidden: true });
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
      const { sessions } = await owner.api.get("/v1/sessions", { status: "closed", limit: 50, keys: 1 });
      const rows = await Promise.all(sessions.map((s) => sessionRow(s)));
      closedList.replaceChildren(...(rows.length ? rows : [h("li", { class: "muted" }, "No closed sessions.")]));
      closedList.hidden = false;
      closedToggle.textContent = "Hide closed sessions";
    } finally {
      closedToggle.disabled = false;
    }
  });
  root.replaceChildren(
    h("section", { class: "inbox" }, h("div", { class: "section-head" }, h("h2", {}, "Needs you", count), notify), list, status, empty),
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

  /** Everything a card shows that needs keys: the title, the opened request, the agent's name. */
  async function decrypt(item) {
    const [title, o, agent] = await Promise.all([sessionTitle(owner, item.session, titles), openMessage(item),
      owner.agentName(item.session.agent_id)]);
    return { title, o, agent };
  }

  /** A card, built in one go once its session is decrypted. */
  function card(item, { title, o, agent }) {
    const { session, message } = item;
    const meta = message.meta;
    const href = `/s/${encodeURIComponent(session.sid)}`;
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
            await owner.keyring(session.sid, session); // the feed's keys, when it carried them
            await sealAndSend(owner, session.sid, { v: 1, type: "response", request: message.mid, ...answer }, { type: "response", reply_to: message.mid });
            answered.add(`${session.sid}/${message.mid}`);
            refresh();
          },
        }));
      } else if (isInteractive(payload.components)) {
        body.push(h("div", { class: "buttons" }, navLink(href, { class: "btn btn-primary" }, "Open to answer")));
      }
    }
    return h("li", { class: ["feed-item", `priority-${meta.priority}`], dataset: { sid: session.sid, mid: message.mid } },
      h("div", { class: "item-head" },
        meta.priority !== "normal" ? h("span", { class: ["badge", `priority-${meta.priority}`] }, meta.priority) : null,
        h("span", { class: "agent-name" }, agent),
        meta.type && !PLAIN_TYPES.has(meta.type) ? h("span", { class: "badge type" }, meta.type.replace("_", " ")) : null,
        meta.deadline ? countdown(meta.deadline) : null,
        h("span", { class: "item-time" }, timeEl(message.created_at))),
      navLink(href, { class: "feed-title" }, title || "(untitled session)"),
      h("div", { class: "feed-body" }, body));
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
  let loaded = false;
  // When the last inbox was long, the workers start now, while the feed is on its way.
  let pool = lastSize() >= MANY ? new OpenPool(owner) : null;

  /** Open many sessions in the workers; fills the title and message caches with what verified. */
  async function openInWorkers(items, sessions) {
    const agents = await owner.agents();
    const bySid = new Map();
    for (const s of sessions) if (s.members?.length) bySid.set(s.sid, { session: s, items: [] });
    for (const it of items) {
      if (!it.session.members?.length) continue;
      if (!bySid.has(it.session.sid)) bySid.set(it.session.sid, { session: it.session, items: [] });
      bySid.get(it.session.sid).items.push(it);
    }
    const groups = [...bySid.values()].filter((g) => agents.get(g.session.agent_id)?.verified);
    if (groups.length < MANY) { // a few: quicker here than handing over
      pool?.close();
      pool = null;
      return;
    }
    pool ??= new OpenPool(owner);
    let results;
    try {
      results = await pool.open(groups.map(({ session: s, items: its }) => ({
        sid: s.sid, root: agents.get(s.agent_id).info.ed25519, members: s.members, wraps: s.wraps, removed: s.removed ?? [],
        title: s.title && !titles.has(titleKey(s)) ? s.title : null, envelopes: its.map((it) => it.message.envelope),
      })));
    } finally {
      pool.close();
      pool = null;
    }
    results?.forEach((r, i) => {
      const { session: s, items: its } = groups[i];
      if (r.title !== null) titles.set(titleKey(s), r.title);
      r.opened.forEach((o, k) => {
        const mid = its[k].message.mid;
        if (o && o.mid === mid) opened.set(`${s.sid}/${mid}`, o);
      });
    });
  }

  async function readFeed() {
    const get = (keys) => owner.api.get("/v1/feed", { limit: FEED_LIMIT, keys: keys ? 1 : null });
    let { items } = await get(!loaded);
    if (loaded && items.filter((it) => !cards.has(`${it.session.sid}/${it.message.mid}`)).length > MANY) ({ items } = await get(true));
    return items;
  }

  async function refresh() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const [items, { sessions }] = await Promise.all([
          readFeed(), owner.api.get("/v1/sessions", { status: "open", limit: OPEN_SESSIONS, keys: loaded ? null : 1 }),
          owner.agents(), // verified once per agent, while the feed is on its way
        ]);
        const open = sortFeed(items.filter((it) => !answered.has(`${it.session.sid}/${it.message.mid}`)));
        const keyOf = (it) => `${it.session.sid}/${it.message.mid}`;
        const fresh = open.filter((it) => !cards.has(keyOf(it)));
        if (fresh.length >= MANY || pool) {
          // many: the first screen is opened here and shown at once, the rest in the workers meanwhile
          const top = fresh.slice(0, FIRST_SCREEN);
          const topSids = new Set(top.map((it) => it.session.sid));
          const firstScreen = (async () => {
            const decrypted = await Promise.all(top.map(decrypt));
            top.forEach((it, i) => cards.set(keyOf(it), card(it, decrypted[i])));
            if (!loaded) {
              list.replaceChildren(...top.map((it) => cards.get(keyOf(it))));
              status.textContent = `Decrypting ${fresh.length - top.length} more…`;
              performance.mark("hiloop:feed-first");
            }
          })();
          await Promise.all([firstScreen, openInWorkers(fresh.slice(FIRST_SCREEN), sessions.filter((x) => !topSids.has(x.sid)))]);
        }
        // what the workers did not open (or everything, for a few requests) is opened here, at once
        const todo = fresh.filter((it) => !cards.has(keyOf(it)));
        const [decrypted, rows] = await Promise.all([Promise.all(todo.map(decrypt)), Promise.all(sessions.map(sessionRow))]);
        todo.forEach((it, i) => cards.set(keyOf(it), card(it, decrypted[i])));
        const live = new Set(open.map(keyOf));
        for (const key of [...cards.keys()]) if (!live.has(key)) cards.delete(key);
        const batch = document.createDocumentFragment();
        for (const it of open) batch.appendChild(cards.get(keyOf(it)));
        list.replaceChildren(batch);
        empty.hidden = open.length > 0;
        count.textContent = String(open.length);
        count.hidden = open.length === 0;
        sessionsList.replaceChildren(...(rows.length ? rows : [h("li", { class: "muted" }, "No open sessions.")]));
        status.remove();
        if (!loaded) {
          loaded = true;
          lastSize(open.length);
          performance.mark("hiloop:feed-ready");
        }
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
    pool?.close();
  };
}
