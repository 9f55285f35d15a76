// The session view, for the owner and for guests: a verified, decrypted timeline that stays live
// (long-poll), every component rendered, requests answered by button, form or wizard, a composer.
// Sessions of kind `claude_code` show tool events as a live activity log and take instructions.

import { ApiError, sleep } from "./api.js";
import { eventLine, toolCard, TOOL_EVENTS } from "./claude.js";
import { buttonsOf, render } from "./components.js";
import { CryptoError } from "./crypto.js";
import { h, s } from "./dom.js";
import { markdown } from "./markdown.js";
import { countdown, parseTime, timeEl } from "./time.js";

const PAGE = 200;
const HOLD = 25;
const REACTIONS = ["👍", "👀", "✅"];
const ROLE_NAMES = { agent: "Agent", owner: "Owner", guest: "Guest", reader: "Reader" };

/**
 * participant: { api, myId, role, keyring(sid), refreshKeyring(sid), sessionInfo(sid),
 *                agentName(agentId) → Promise<string>, onAuthError(err) → bool (handled) }
 */
export class SessionView {
  constructor(participant, sid) {
    this.p = participant;
    this.sid = sid;
    this.abort = new AbortController();
    this.cursor = 0;
    this.items = new Map(); // mid -> {m, opened, el}
    this.responses = new Map(); // request mid -> [{m, opened}]
    this.toolCards = new Map(); // tool_use_id -> card
    this.el = h("div", { class: "session-view" });
  }

  stop() {
    this.abort.abort();
  }

  get path() {
    return `/v1/sessions/${encodeURIComponent(this.sid)}`;
  }

  async start() {
    this.info = await this.p.sessionInfo(this.sid);
    this.kr = await this.p.keyring(this.sid, this.info);
    this.claude = this.info.kind === "claude_code";
    this.agentName = await this.p.agentName(this.info.agent_id);
    this.title = await this.openTitle(this.info);
    this.buildShell();
    this.poll();
    return this.el;
  }

  async openTitle(info) {
    if (!info.title) return "";
    try {
      const o = await this.kr.open(info.title);
      return o.payload.type === "title" && typeof o.payload.title === "string" && ["agent", "owner"].includes(o.role) ? o.payload.title : "";
    } catch (err) {
      if (err instanceof CryptoError) return "";
      throw err;
    }
  }

  // --- layout -------------------------------------------------------------------------------------

  buildShell() {
    const info = this.info;
    this.titleEl = h("h2", { class: "session-title" }, this.title || "(untitled session)");
    this.statusEl = h("span", { class: ["badge", `status-${info.status}`], hidden: info.status === "open" }, info.status);
    this.typingEl = h("div", { class: "typing muted", hidden: true, "aria-live": "polite" });
    this.needsYou = h("div", { class: "needs-you", hidden: true, "aria-live": "polite" });
    this.list = h("ol", { class: ["timeline", this.claude ? "claude" : null], "aria-live": "polite" });
    // a request whose countdown runs out shows as expired (with the default action the agent takes)
    this.list.addEventListener("deadline", (ev) => {
      const mid = ev.target.closest("li.item")?.dataset.mid;
      if (mid && this.items.has(mid)) setTimeout(() => this.rerender(mid), 0);
    });
    this.loading = h("p", { class: "muted loading" }, "Loading and verifying messages…");
    const meta = h("div", { class: "session-meta" },
      h("span", { class: "agent-name" }, this.agentName),
      this.claude ? h("span", { class: "badge kind" }, "Claude Code") : info.kind !== "default" ? h("span", { class: "badge kind" }, info.kind) : null,
      info.priority !== "normal" ? h("span", { class: ["badge", `priority-${info.priority}`] }, info.priority) : null,
      this.statusEl,
      info.deadline ? countdown(info.deadline) : null,
      h("span", { class: "badge e2e", title: "Messages are end-to-end encrypted and verified in this browser" }, lockIcon(), "end-to-end encrypted"));
    const actions = h("div", { class: "session-actions" });
    if (this.p.role === "owner") {
      if (info.is_public) {
        actions.appendChild(h("button", { type: "button", class: "btn btn-secondary btn-small", on: { click: () => this.toggleGuests() } }, "Guests…"));
      }
      if (info.status === "open") {
        actions.appendChild(h("button", { type: "button", class: "btn btn-secondary btn-small", on: { click: () => this.closeSession() } }, "Close session"));
      }
    }
    this.guestPanel = h("div", { class: "guest-panel card", hidden: true });
    this.composer = this.buildComposer();
    this.el.replaceChildren(
      h("header", { class: "session-head" }, this.titleEl, h("div", { class: "session-bar" }, meta, actions)),
      this.guestPanel, this.needsYou, this.loading, this.list, this.typingEl, this.composer);
  }

  buildComposer() {
    const canWrite = this.info.status === "open" && (this.p.role === "owner" || this.info.public_mode === "respond");
    if (!canWrite) return h("p", { class: "muted composer-off" }, this.info.status === "open" ? "You can read this session." : "This session is closed.");
    const input = h("textarea", {
      rows: 2, class: "composer-input", "aria-label": this.claude ? "Instruction for Claude" : "Message",
      placeholder: this.claude ? "Send an instruction to Claude…" : "Write a message…",
    });
    const send = h("button", { type: "submit", class: "btn btn-primary", "aria-label": this.claude ? "Send instruction" : null }, "Send");
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const form = h("form", { class: "composer" }, input, send, error);
    let lastTyping = 0;
    input.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastTyping > 3000 && input.value) {
        lastTyping = now;
        this.p.api.post(`${this.path}/typing`, {}).catch(() => {});
      }
    });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) form.requestSubmit();
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      send.disabled = true;
      error.hidden = true;
      try {
        if (this.claude) {
          await this.send({ v: 1, type: "instruction", text }, { type: "instruction" });
        } else {
          await this.send({ v: 1, type: "message", components: [{ type: "text", text }] }, { type: "text" });
        }
        input.value = "";
      } catch (err) {
        error.textContent = `Could not send: ${err.message}`;
        error.hidden = false;
      } finally {
        send.disabled = false;
      }
    });
    return form;
  }

  // --- sending ------------------------------------------------------------------------------------

  async send(payload, meta) {
    const stored = await sealAndSend(this.p, this.sid, payload, meta);
    this.kr = await this.p.keyring(this.sid);
    return stored;
  }

  async react(mid, emoji, button) {
    button.disabled = true;
    try {
      await this.send({ v: 1, type: "reaction", to: mid, emoji }, { type: "reaction", reply_to: mid });
    } catch (err) {
      button.disabled = false;
      throw err;
    }
  }

  async respond(request, answer) {
    const payload = { v: 1, type: "response", request: request.mid, ...answer };
    await this.send(payload, { type: "response", reply_to: request.mid });
    const item = this.items.get(request.mid);
    if (item) {
      item.mine = { role: this.p.role, sender: this.p.myId, payload };
      this.rerender(request.mid);
    }
  }

  // --- the timeline -------------------------------------------------------------------------------

  async poll() {
    const signal = this.abort.signal;
    let wait = 0;
    let delay = 500;
    while (!signal.aborted) {
      let data;
      try {
        data = await this.p.api.get(`${this.path}/messages`, { after: this.cursor, wait, limit: PAGE }, { signal });
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404) && this.p.onAuthError?.(err)) return;
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 15000);
        continue;
      }
      delay = 500;
      await this.ingest(data.messages);
      this.cursor = Math.max(this.cursor, data.cursor);
      if (this.loading) {
        this.loading.remove();
        this.loading = null;
        if (!this.items.size && !this.list.children.length) this.list.appendChild(h("li", { class: "empty muted" }, "No messages yet."));
        this.el.dispatchEvent(new CustomEvent("loaded", { bubbles: true }));
      }
      if (data.session_status && data.session_status !== this.info.status) this.markClosed(data.session_status);
      wait = data.messages.length >= PAGE ? 0 : HOLD;
    }
  }

  markClosed(status) {
    this.info.status = status;
    this.statusEl.textContent = status;
    this.statusEl.className = `badge status-${status}`;
    this.statusEl.hidden = status === "open";
    for (const mid of this.items.keys()) this.rerender(mid);
    if (status === "closed") this.composer.replaceWith((this.composer = h("p", { class: "muted composer-off" }, "This session is closed.")));
  }

  /** Open an envelope; reload the session's members and wraps once when the sender or epoch is new. */
  async openEnvelope(env) {
    try {
      return await this.kr.open(env);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      const stale = !this.kr.members.has(env.from) || env.epoch > this.kr.epoch || !this.kr.holders(env.epoch).has(env.from);
      if (!stale) throw err;
      this.kr = await this.p.refreshKeyring(this.sid);
      return this.kr.open(env);
    }
  }

  async ingest(messages) {
    for (const m of messages) {
      this.list.querySelector(".empty")?.remove();
      let opened = null;
      let problem = null;
      try {
        opened = await this.openEnvelope(m.envelope);
        if (opened.mid !== m.mid) throw new CryptoError("the envelope's id differs from the message's");
      } catch (err) {
        if (!(err instanceof CryptoError) && !(err instanceof ApiError)) throw err;
        problem = err.message;
      }
      if (problem && this.unreadable(m.envelope)) {
        this.hiddenEarlier = (this.hiddenEarlier ?? 0) + 1;
        if (!this.earlierEl) {
          this.earlierEl = h("li", { class: "item earlier muted" });
          this.list.prepend(this.earlierEl);
        }
        this.earlierEl.textContent = `${this.hiddenEarlier} earlier ${this.hiddenEarlier === 1 ? "message was" : "messages were"} sent before you were given a key.`;
        continue;
      }
      if (problem) {
        this.list.appendChild(h("li", { class: "item unverified", dataset: { seq: m.seq } },
          h("span", { class: "muted" }, `A message from “${m.from}” failed verification and is hidden (${problem}).`)));
        continue;
      }
      this.add(m, opened);
    }
    this.updateNeedsYou();
  }

  /** An envelope of an epoch whose key was never given to me (history from before I joined). */
  unreadable(env) {
    if (typeof env?.epoch !== "number") return false;
    try {
      this.kr.sessionKey(env.epoch);
      return false;
    } catch {
      return env.epoch < this.kr.epoch;
    }
  }

  label(opened) {
    if (opened.sender === this.p.myId) return "You";
    if (opened.role === "agent") return this.agentName;
    if (opened.role === "owner") return "Owner";
    return ROLE_NAMES[opened.role] || opened.role;
  }

  add(m, opened) {
    const p = opened.payload;
    switch (p.type) {
      case "title":
        if (typeof p.title === "string" && ["agent", "owner"].includes(opened.role)) this.titleEl.textContent = p.title;
        return;
      case "response": {
        const list = this.responses.get(p.request) ?? [];
        list.push({ m, opened });
        this.responses.set(p.request, list);
        this.list.appendChild(this.responseLine(m, opened));
        if (this.items.has(p.request)) this.rerender(p.request);
        return;
      }
      case "reaction": {
        const target = this.items.get(p.to);
        if (target && typeof p.emoji === "string") {
          target.reactions = [...(target.reactions || []), `${p.emoji}`.slice(0, 8)];
          this.rerender(p.to);
        }
        return;
      }
      case "tool_event":
        this.addToolEvent(m, opened);
        return;
      default: {
        const item = { m, opened, el: null, reactions: [] };
        this.items.set(m.mid, item);
        item.el = this.renderItem(item);
        this.list.appendChild(item.el);
      }
    }
  }

  addToolEvent(m, opened) {
    const { event, data } = opened.payload;
    const d = data && typeof data === "object" ? data : {};
    if (event === "InstructionDelivered" && Array.isArray(d.mids)) {
      for (const mid of d.mids) {
        const item = this.items.get(mid);
        if (item) {
          item.delivered = true;
          this.rerender(mid);
        }
      }
    }
    if (TOOL_EVENTS.has(event)) {
      const id = d.tool_use_id;
      if (event !== "PreToolUse" && id && this.toolCards.has(id)) {
        this.toolCards.get(id).attachResult(event, d);
        return;
      }
      const card = toolCard(event, d);
      if (id) this.toolCards.set(id, card);
      this.list.appendChild(h("li", { class: "item tool-event", dataset: { seq: m.seq, mid: m.mid } }, card));
      return;
    }
    this.list.appendChild(h("li", { class: "item tool-event", dataset: { seq: m.seq, mid: m.mid } },
      eventLine(String(event), d), h("div", { class: "item-time" }, timeEl(m.created_at))));
  }

  responseLine(m, opened) {
    const p = opened.payload;
    const request = this.items.get(p.request);
    const what = describeAnswer(p, request?.opened.payload.components);
    return h("li", { class: "item response", dataset: { seq: m.seq, mid: m.mid } },
      h("span", { class: "response-who" }, `${this.label(opened)} answered`), " ", h("strong", { class: "response-what" }, what),
      p.text ? h("span", { class: "response-text" }, ` — “${p.text}”`) : null, " ", timeEl(m.created_at));
  }

  /** The answer that settles a request, as the asking agent will see it. */
  answerOf(item) {
    const list = this.responses.get(item.m.mid) || [];
    const accepted = list.find((r) => r.opened.role === "owner") || list.find((r) => r.opened.sender === this.p.myId);
    if (accepted) return accepted.opened;
    return item.mine || null;
  }

  requestState(item) {
    const m = item.m;
    const answer = this.answerOf(item);
    if (answer) return { state: "answered", answer };
    if (this.info.status === "closed" || m.status === "closed") return { state: "closed" };
    if (m.status === "expired") return { state: "expired" };
    const deadline = parseTime(m.meta.deadline);
    if (deadline !== null && deadline <= Date.now()) return { state: "expired" };
    return { state: "open" };
  }

  rerender(mid) {
    const item = this.items.get(mid);
    if (!item) return;
    const el = this.renderItem(item);
    item.el.replaceWith(el);
    item.el = el;
    this.updateNeedsYou();
  }

  renderItem(item) {
    const { m, opened } = item;
    const p = opened.payload;
    const meta = m.meta || {};
    const isRequest = meta.requires_response || ["decision", "form", "question", "permission_request"].includes(meta.type);
    const rs = isRequest ? this.requestState(item) : null;
    const canAnswer = Boolean(rs && rs.state === "open" && this.p.canAnswer(this.info));
    const head = h("div", { class: "item-head" },
      h("span", { class: ["who", `role-${opened.role}`] }, this.label(opened)),
      opened.role !== "agent" && opened.sender !== this.p.myId ? h("span", { class: "badge role" }, ROLE_NAMES[opened.role] || opened.role) : null,
      meta.type && !["text", "instruction", "decision"].includes(meta.type) ? h("span", { class: "badge type" }, meta.type.replace("_", " ")) : null,
      meta.priority && meta.priority !== "normal" ? h("span", { class: ["badge", `priority-${meta.priority}`] }, meta.priority) : null,
      rs ? h("span", { class: ["badge", "request-state", `state-${rs.state}`] }, stateLabel(rs.state)) : null,
      rs && rs.state === "open" && meta.deadline ? countdown(meta.deadline) : null,
      h("span", { class: "item-time" }, timeEl(m.created_at)));
    let body;
    if (p.type === "message") {
      const answered = rs?.answer?.payload ?? null;
      const ctx = {
        canAnswer,
        answered,
        respond: (answer) => this.respond(m, answer),
        reasonFor: meta.type === "permission_request" ? new Set(["deny"]) : undefined,
      };
      body = h("div", { class: "item-body" },
        p.text && !(Array.isArray(p.components) && p.components.length) ? markdown(p.text) : null,
        render(p.components, ctx));
      if (rs && rs.state === "expired" && typeof p.default_action === "string") {
        const b = buttonsOf(p.components).find((x) => x.action === p.default_action);
        body.appendChild(h("p", { class: "muted" }, `The deadline passed: the agent goes on with “${b ? b.label : p.default_action}”.`));
      }
      if (rs && rs.state === "answered" && rs.answer) {
        body.appendChild(h("p", { class: "answered-note" }, `${rs.answer.sender === this.p.myId || rs.answer === item.mine ? "You" : this.label(rs.answer)} answered: `,
          h("strong", {}, describeAnswer(rs.answer.payload, p.components)),
          rs.answer.payload.text ? ` — “${rs.answer.payload.text}”` : ""));
      }
    } else if (p.type === "instruction") {
      body = h("div", { class: "item-body instruction" }, h("div", { class: "event-label" }, "Instruction"), markdown(String(p.text ?? "")),
        item.delivered ? h("p", { class: "delivered muted" }, "✓ delivered to Claude") : null);
    } else {
      body = h("div", { class: "item-body muted" }, `(a ${String(p.type)} message)`);
    }
    const reactions = h("div", { class: "reactions" },
      item.reactions?.length ? h("span", { class: "reaction-list" }, item.reactions.join(" ")) : null,
      opened.sender !== this.p.myId && this.info.status === "open" && this.p.canAnswer(this.info) ? REACTIONS.map((emoji) =>
        h("button", { type: "button", class: "react", title: `React with ${emoji}`, "aria-label": `React with ${emoji}`,
          on: { click: (ev) => this.react(m.mid, emoji, ev.currentTarget) } }, emoji)) : null);
    return h("li", {
      class: ["item", `from-${opened.role}`, opened.sender === this.p.myId ? "mine" : null, rs ? `request request-${rs.state}` : null,
        meta.type === "permission_request" ? "permission" : null],
      dataset: { seq: m.seq, mid: m.mid },
    }, head, body, reactions);
  }

  updateNeedsYou() {
    if (!this.claude) return;
    const open = [...this.items.values()].filter((it) => it.m.meta?.type === "permission_request" && this.requestState(it).state === "open");
    this.needsYou.hidden = open.length === 0;
    this.needsYou.replaceChildren(open.length ? h("a", { href: `#`, on: { click: (ev) => {
      ev.preventDefault();
      open[0].el.scrollIntoView({ behavior: "smooth", block: "center" });
    } } }, `⚠ Claude is waiting for your approval (${open.length})`) : "");
  }

  showTyping(who) {
    this.typingEl.textContent = `${who} is typing…`;
    this.typingEl.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => { this.typingEl.hidden = true; }, 5000);
  }

  // --- owner actions ------------------------------------------------------------------------------

  async closeSession() {
    if (!confirm("Close this session? Open requests will be closed.")) return;
    const info = await this.p.api.post(`${this.path}/close`, {});
    this.markClosed(info.status);
  }

  async toggleGuests() {
    this.guestPanel.hidden = !this.guestPanel.hidden;
    if (this.guestPanel.hidden) return;
    const { renderGuestPanel } = await import("./guests.js");
    await renderGuestPanel(this.guestPanel, this.p, this.sid);
  }
}

/** Seal in the newest epoch and post; after a rotation (409 stale_epoch), reload keys once and retry. */
export async function sealAndSend(p, sid, payload, meta) {
  let kr = await p.keyring(sid);
  for (let attempt = 0; ; attempt++) {
    const envelope = await kr.seal(payload);
    try {
      return await p.api.post(`/v1/sessions/${encodeURIComponent(sid)}/messages`, { envelope, meta });
    } catch (err) {
      if (attempt === 0 && err instanceof ApiError && err.code === "stale_epoch") {
        kr = await p.refreshKeyring(sid);
        continue;
      }
      throw err;
    }
  }
}

/** A small padlock drawn in SVG (an emoji would depend on the fonts installed). */
function lockIcon() {
  return s("svg", { class: "icon", viewBox: "0 0 16 16", "aria-hidden": "true" },
    s("rect", { x: 3, y: 7, width: 10, height: 8, rx: 1.5 }),
    s("path", { d: "M5.5 7V5a2.5 2.5 0 0 1 5 0v2", fill: "none", "stroke-width": 1.6 }));
}

function stateLabel(state) {
  return { open: "waiting for an answer", answered: "answered", expired: "expired", closed: "closed" }[state] || state;
}

/** A response in words: the chosen button's label, or the answers. */
export function describeAnswer(p, components) {
  if (typeof p.action === "string") {
    const b = buttonsOf(components).find((x) => x.action === p.action);
    return b ? b.label : p.action;
  }
  if (p.answers && typeof p.answers === "object") {
    const parts = Object.entries(p.answers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`);
    return parts.join("; ") || "(no answers)";
  }
  return typeof p.text === "string" ? "with a message" : "(an answer)";
}
