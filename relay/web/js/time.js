// Times and deadlines: relative times, and countdowns that one shared ticker keeps current.

import { h } from "./dom.js";

export function parseTime(value) {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

export function formatDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

export function relative(value, now = Date.now()) {
  const t = parseTime(value);
  if (t === null) return "";
  const d = now - t;
  if (d < 45_000) return "just now";
  if (d < 3_600_000) return `${Math.round(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.round(d / 3_600_000)} h ago`;
  return new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

export function timeEl(value) {
  const t = parseTime(value);
  return h("time", { datetime: value || null, title: t ? new Date(t).toLocaleString() : null, class: "relative", dataset: { ts: value || "" } },
    relative(value));
}

/** A countdown to `deadline` (updated every second by the ticker); "overdue" once it passes. */
export function countdown(deadline) {
  const el = h("span", { class: "countdown", dataset: { deadline } });
  updateCountdown(el, Date.now());
  return el;
}

function updateCountdown(el, now) {
  const t = parseTime(el.dataset.deadline);
  if (t === null) return;
  const left = t - now;
  // seconds only in the last ten minutes: further out they are noise that changes every second
  setText(el, left > 0 ? `due in ${left < 10 * 60_000 ? formatDuration(left) : formatDuration(left).replace(/ \d+s$/, "")}` : "deadline passed");
  el.classList.toggle("soon", left > 0 && left < 5 * 60_000);
  el.classList.toggle("overdue", left <= 0);
  if (left <= 0 && !el.dataset.fired) {
    el.dataset.fired = "1";
    el.dispatchEvent(new CustomEvent("deadline", { bubbles: true }));
  }
}

/** Only text that changed is written: a long inbox would otherwise be laid out again every second. */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

let ticker = null;

export function startTicker() {
  if (ticker) return;
  ticker = setInterval(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll(".countdown[data-deadline]")) updateCountdown(el, now);
    for (const el of document.querySelectorAll("time.relative[data-ts]")) setText(el, relative(el.dataset.ts, now));
  }, 1000);
}
