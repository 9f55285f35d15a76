// Bar, line and pie charts as SVG built node by node. Colours come from CSS classes (series-0…7).

import { h, s } from "./dom.js";

const W = 640;
const H = 300;
const M = { top: 16, right: 16, bottom: 56, left: 56 };
const PALETTE = 8;

function fmt(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0)) return v.toExponential(2);
  return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 3 });
}

/** Round ticks over [min, max]; whole numbers only when every value is one (counts: no "1.5"). */
function niceTicks(min, max, values = [], count = 5) {
  if (min === max) {
    max = min + 1;
  }
  const span = max - min;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => span / st <= count) ?? 10 * mag;
  if (values.every(Number.isInteger) && !Number.isInteger(step)) step = Math.max(1, Math.ceil(step));
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function seriesOf(c) {
  if (c.series) return c.series.map((x) => ({ name: x.name, values: x.values }));
  return [{ name: c.title || "values", values: c.values || [] }];
}

function legend(names) {
  if (names.length < 2) return null;
  return h("ul", { class: "legend" }, names.map((name, i) =>
    h("li", {}, h("span", { class: `swatch series-${i % PALETTE}` }), name)));
}

function axes(svg, ticks, y, labels, x, band) {
  for (const t of ticks) {
    const yy = y(t);
    svg.appendChild(s("line", { class: "grid", x1: M.left, x2: W - M.right, y1: yy, y2: yy }));
    svg.appendChild(s("text", { class: "tick", x: M.left - 6, y: yy + 4, "text-anchor": "end" }, fmt(t)));
  }
  const every = Math.max(1, Math.ceil(labels.length / 12));
  labels.forEach((label, i) => {
    if (i % every) return;
    const text = label.length > 14 ? label.slice(0, 13) + "…" : label;
    const xx = x(i) + band / 2;
    const rotate = labels.length > 6;
    svg.appendChild(s("text", {
      class: "tick", x: xx, y: H - M.bottom + 16, "text-anchor": rotate ? "end" : "middle",
      transform: rotate ? `rotate(-35 ${xx} ${H - M.bottom + 16})` : null,
    }, s("title", {}, label), text));
  });
  svg.appendChild(s("line", { class: "axis", x1: M.left, x2: W - M.right, y1: y(Math.max(ticks[0], Math.min(0, ticks.at(-1)))), y2: y(Math.max(ticks[0], Math.min(0, ticks.at(-1)))) }));
}

function barChart(c) {
  const series = seriesOf(c);
  const all = series.flatMap((x) => x.values);
  const ticks = niceTicks(Math.min(0, ...all), Math.max(0, ...all), all);
  const lo = ticks[0];
  const hi = ticks.at(-1);
  const y = (v) => M.top + (H - M.top - M.bottom) * (1 - (v - lo) / (hi - lo));
  const band = (W - M.left - M.right) / c.labels.length;
  const x = (i) => M.left + i * band;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart bar", role: "img", "aria-label": c.title || "bar chart" });
  axes(svg, ticks, y, c.labels, x, band);
  const inner = band * 0.8;
  const bw = inner / series.length;
  series.forEach((ser, si) => {
    ser.values.forEach((v, i) => {
      const top = y(Math.max(v, 0));
      const height = Math.abs(y(v) - y(0));
      svg.appendChild(s("rect", {
        class: `bar series-${si % PALETTE}`, x: x(i) + band * 0.1 + si * bw, y: top, width: Math.max(1, bw - 1), height: Math.max(0.5, height),
      }, s("title", {}, `${series.length > 1 ? ser.name + " · " : ""}${c.labels[i]}: ${fmt(v)}`)));
    });
  });
  return [svg, legend(series.map((x) => x.name))];
}

function lineChart(c) {
  const series = seriesOf(c);
  const all = series.flatMap((x) => x.values);
  const ticks = niceTicks(Math.min(...all), Math.max(...all), all);
  const lo = ticks[0];
  const hi = ticks.at(-1);
  const y = (v) => M.top + (H - M.top - M.bottom) * (1 - (v - lo) / (hi - lo));
  const band = (W - M.left - M.right) / c.labels.length;
  const x = (i) => M.left + i * band;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart line", role: "img", "aria-label": c.title || "line chart" });
  axes(svg, ticks, y, c.labels, x, band);
  series.forEach((ser, si) => {
    const points = ser.values.map((v, i) => `${x(i) + band / 2},${y(v)}`).join(" ");
    svg.appendChild(s("polyline", { class: `line series-${si % PALETTE}`, points, fill: "none" }));
    ser.values.forEach((v, i) => svg.appendChild(s("circle", { class: `dot series-${si % PALETTE}`, cx: x(i) + band / 2, cy: y(v), r: 3 },
      s("title", {}, `${series.length > 1 ? ser.name + " · " : ""}${c.labels[i]}: ${fmt(v)}`))));
  });
  return [svg, legend(series.map((x) => x.name))];
}

function pieChart(c) {
  const values = c.values || [];
  const total = values.reduce((a, b) => a + b, 0);
  const size = 240;
  const r = 110;
  const cx = size / 2;
  const cy = size / 2;
  const svg = s("svg", { viewBox: `0 0 ${size} ${size}`, class: "chart pie", role: "img", "aria-label": c.title || "pie chart" });
  let angle = -Math.PI / 2;
  values.forEach((v, i) => {
    const label = `${c.labels[i]}: ${fmt(v)} (${total ? ((100 * v) / total).toFixed(1) : 0}%)`;
    if (!total || v <= 0) return;
    const frac = v / total;
    if (frac >= 0.9999) {
      svg.appendChild(s("circle", { class: `slice series-${i % PALETTE}`, cx, cy, r }, s("title", {}, label)));
      return;
    }
    const a2 = angle + frac * 2 * Math.PI;
    const large = frac > 0.5 ? 1 : 0;
    const d = `M ${cx} ${cy} L ${cx + r * Math.cos(angle)} ${cy + r * Math.sin(angle)} ` +
      `A ${r} ${r} 0 ${large} 1 ${cx + r * Math.cos(a2)} ${cy + r * Math.sin(a2)} Z`;
    svg.appendChild(s("path", { class: `slice series-${i % PALETTE}`, d }, s("title", {}, label)));
    angle = a2;
  });
  const list = h("ul", { class: "legend" }, values.map((v, i) =>
    h("li", {}, h("span", { class: `swatch series-${i % PALETTE}` }), `${c.labels[i]}: ${fmt(v)}`,
      total ? h("span", { class: "muted" }, ` (${((100 * v) / total).toFixed(1)}%)`) : null)));
  return [svg, list];
}

export function chart(c) {
  const parts = c.kind === "pie" ? pieChart(c) : c.kind === "line" ? lineChart(c) : barChart(c);
  return h("figure", { class: `component chart-figure kind-${c.kind}` },
    c.title ? h("figcaption", {}, c.title) : null, ...parts);
}
