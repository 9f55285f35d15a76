// The relay API (docs/api.md) over fetch: JSON bodies, typed errors, the owner's SSE stream.

export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message || code || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export class NetworkError extends Error {
  constructor(message) {
    super(message);
    this.name = "NetworkError";
  }
}

export class Api {
  constructor(token = null, base = "") {
    this.token = token;
    this.base = base;
  }

  headers(extra = {}) {
    const out = { Accept: "application/json", ...extra };
    if (this.token) out.Authorization = `Bearer ${this.token}`;
    return out;
  }

  async request(method, path, { body, params, signal } = {}) {
    let url = this.base + path;
    if (params) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, String(v));
      const qs = q.toString();
      if (qs) url += "?" + qs;
    }
    let res;
    try {
      res = await fetch(url, {
        method,
        headers: this.headers(body !== undefined ? { "Content-Type": "application/json" } : {}),
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal,
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      throw new NetworkError("The relay cannot be reached.");
    }
    if (res.status === 204) return null;
    let data = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      throw new ApiError(res.status, data?.code ?? "http_error", data?.error ?? `HTTP ${res.status}`, data?.detail);
    }
    return data;
  }

  get(path, params, opts = {}) {
    return this.request("GET", path, { ...opts, params });
  }

  post(path, body = {}, opts = {}) {
    return this.request("POST", path, { ...opts, body });
  }

  delete(path) {
    return this.request("DELETE", path);
  }

  /**
   * The owner's event stream (SSE over fetch, so the token travels in a header). Calls onEvent with
   * each EventOut; reconnects with backoff and Last-Event-ID until `signal` aborts. With `cursorKey`,
   * the last event id seen is kept in localStorage under that key (a number, no content), so the next
   * page load resumes there instead of replaying every stored event.
   */
  async stream(onEvent, { signal, onState, cursorKey = null } = {}) {
    let lastId = cursorKey ? readCursor(cursorKey) : null;
    let saveTimer = null;
    const remember = () => {
      if (!cursorKey || saveTimer) return;
      saveTimer = setTimeout(() => {
        saveTimer = null;
        writeCursor(cursorKey, lastId);
      }, 1000);
    };
    signal?.addEventListener("abort", () => { clearTimeout(saveTimer); if (cursorKey && lastId !== null) writeCursor(cursorKey, lastId); }, { once: true });
    let delay = 500;
    while (!signal?.aborted) {
      try {
        const headers = this.headers({ Accept: "text/event-stream" });
        if (lastId !== null) headers["Last-Event-ID"] = String(lastId);
        const res = await fetch(this.base + "/v1/events", { headers, signal, cache: "no-store", credentials: "omit" });
        if (res.status === 401) {
          onState?.("unauthorized");
          return;
        }
        if (!res.ok || !res.body) throw new NetworkError(`events: HTTP ${res.status}`);
        onState?.("live");
        delay = 500;
        for await (const ev of readSse(res.body, signal)) {
          if (ev.id) {
            lastId = ev.id;
            remember();
          }
          if (!ev.data) continue;
          let data;
          try {
            data = JSON.parse(ev.data);
          } catch {
            continue;
          }
          onEvent(ev.event || data.kind, data);
        }
      } catch (err) {
        if (signal?.aborted || err?.name === "AbortError") return;
      }
      onState?.("reconnecting");
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 15000);
    }
  }
}

function readCursor(key) {
  try {
    const v = localStorage.getItem(key);
    return v && /^\d{1,18}$/.test(v) ? v : null;
  } catch {
    return null; // storage disabled
  }
}

function writeCursor(key, id) {
  try {
    if (id !== null) localStorage.setItem(key, String(id));
  } catch {
    // storage disabled or full: the next load replays from the start, which is only slower
  }
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

async function* readSse(body, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let ev = { id: null, event: null, data: "" };
  try {
    while (!signal?.aborted) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (ev.data || ev.event) yield { ...ev, data: ev.data.replace(/\n$/, "") };
          ev = { id: ev.id, event: null, data: "" };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") ev.data += value + "\n";
        else if (field === "event") ev.event = value;
        else if (field === "id") ev.id = value;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
