// Verifying and decrypting many sessions at once, spread over a few workers (open-worker.js), so that
// a long inbox uses every core: browsers run WebCrypto's Ed25519 on the calling thread, and a page of
// 1,000 sessions checks some 6,000 signatures. Without workers (or if one fails to start) it resolves
// to null and the page does the work itself.

const CHUNK = 25;
const TIMEOUT_MS = 30_000; // then the page opens what is left itself

export class OpenPool {
  /** Start the workers now (they derive the owner's keys while the feed is still loading). */
  constructor(owner, size = Math.min(4, Math.max(1, navigator.hardwareConcurrency || 2))) {
    this.next = 0;
    this.pending = new Map();
    this.workers = [];
    this.ready = null;
    if (typeof Worker === "undefined") return;
    try {
      for (let i = 0; i < size; i++) {
        const w = new Worker(new URL("./open-worker.js", import.meta.url), { type: "module", name: `hiloop-open-${i}` });
        w.onmessage = (ev) => this.#settle(ev.data);
        w.onerror = (ev) => this.#fail(w, ev.message || "the worker failed");
        this.workers.push(w);
      }
    } catch {
      this.close();
      return;
    }
    this.ready = Promise.all(this.workers.map((w) => this.#call(w, { kind: "init", ownerId: owner.ownerId, secret: owner.secret })))
      .then(() => true, () => false);
  }

  #call(worker, msg) {
    if (!this.workers.includes(worker)) return Promise.reject(new Error("closed"));
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ ...msg, id });
    });
  }

  #settle({ id, error, ...rest }) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (error) p.reject(new Error(error));
    else p.resolve(rest);
  }

  #fail(worker, message) {
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(new Error(message));
    }
  }

  /**
   * jobs: [{sid, root (b64u Ed25519 of the verified agent), members, wraps, removed, title, envelopes}].
   * Resolves to one result per job ({title, opened}), or null when the workers are not available.
   */
  async open(jobs) {
    if (!this.ready || !(await this.ready)) return null;
    const results = new Array(jobs.length);
    let at = 0;
    const drain = async (worker) => {
      while (at < jobs.length) {
        const start = at;
        at += CHUNK;
        const { results: got } = await this.#call(worker, { kind: "open", jobs: jobs.slice(start, start + CHUNK) });
        got.forEach((r, i) => { results[start + i] = r; });
      }
    };
    const timer = setTimeout(() => this.close(), TIMEOUT_MS); // a stuck worker must not hold the page
    try {
      await Promise.all(this.workers.map(drain));
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
    return results;
  }

  close() {
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.ready = null;
    for (const p of this.pending.values()) p.reject(new Error("closed"));
    this.pending.clear();
  }
}
