// The owner's agents: who they are (certificate checked against the owner key), their fingerprint,
// and their activity figures from the relay (routing metadata only: workload, answer times,
// deadlines kept or missed, messages per hour).

import { ApiError } from "../api.js";
import { b64uDecode, fingerprint } from "../crypto.js";
import { h, s } from "../dom.js";
import { formatDuration, relative } from "../time.js";

const HOURS = 24;

/** Messages per hour as a row of SVG bars (oldest first). */
function sparkline(counts) {
  const w = 4;
  const gap = 1;
  const height = 28;
  const max = Math.max(1, ...counts);
  const total = counts.reduce((a, b) => a + b, 0);
  return s("svg", { class: "spark", viewBox: `0 0 ${counts.length * (w + gap)} ${height}`, preserveAspectRatio: "none", role: "img",
    "aria-label": `${total} messages in the last ${counts.length} hours` },
  counts.map((c, i) => s("rect", { class: "series-0", x: i * (w + gap), width: w, y: height - Math.max(c ? 2 : 0.5, (c / max) * height),
    height: Math.max(c ? 2 : 0.5, (c / max) * height) }, s("title", {}, `${counts.length - 1 - i} h ago: ${c}`))));
}

/** Requests waiting on the owner, per agent: one short bar each, longest first. */
function waiting(rows) {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  const sorted = [...rows].sort((a, b) => b[1] - a[1]);
  return h("section", { class: "waiting card" }, h("h3", {}, "Waiting on you"),
    h("ul", { class: "waiting-list" }, sorted.map(([name, n]) => h("li", {},
      h("span", { class: "waiting-name" }, name),
      s("svg", { class: "waiting-bar", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true" },
        s("rect", { class: "series-0", x: 0, y: 0, height: 10, width: n ? Math.max(2, (100 * n) / max) : 0 })),
      h("span", { class: "waiting-count" }, String(n))))));
}

async function figuresOf(owner, agentId) {
  try {
    return await owner.api.get(`/v1/agents/${encodeURIComponent(agentId)}/activity`, { hours: HOURS });
  } catch (err) {
    if (err instanceof ApiError) return null;
    throw err;
  }
}

export async function agentsPage(root, { owner }) {
  root.replaceChildren(h("p", { class: "muted" }, "Loading agents…"));
  const agents = [...(await owner.agents(true)).values()];
  const figures = await Promise.all(agents.map((a) => figuresOf(owner, a.info.agent_id)));
  const rows = await Promise.all(agents.map(async (a, i) => {
    const f = figures[i];
    const sla = f ? f.sla_kept + f.sla_missed : 0;
    const seen = f?.last_seen ?? a.info.last_seen;
    return h("li", { class: "agent card", dataset: { agent: a.info.agent_id } },
      h("div", { class: "agent-head" }, h("strong", { class: "agent-name" }, a.name),
        a.verified ? h("span", { class: "badge verified", title: "Its certificate is signed by your key" }, "✓ verified")
          : h("span", { class: "badge danger", title: a.error || "" }, "✗ certificate does not verify")),
      h("dl", { class: "agent-facts" },
        h("dt", {}, "Fingerprint"), h("dd", {}, h("code", { class: "fingerprint" }, await fingerprint(b64uDecode(a.info.ed25519, 32)))),
        h("dt", {}, "Paired"), h("dd", {}, relative(a.info.created_at)),
        h("dt", {}, "Last seen"), h("dd", { class: "last-seen" }, seen ? relative(seen) : "never"),
        f ? [
          h("dt", {}, "Open sessions"), h("dd", { class: "sessions-count" }, String(f.open_sessions)),
          h("dt", {}, "Waiting on you"), h("dd", { class: "workload" }, String(f.open_requests)),
          h("dt", {}, "Answer time"), h("dd", { class: "response-time" },
            f.response_p50 === null ? "—" : `${formatDuration(f.response_p50 * 1000)} median, ${formatDuration(f.response_p90 * 1000)} p90`),
          h("dt", {}, "Deadlines"), h("dd", { class: "sla" }, sla
            ? h("span", {}, h("meter", { min: 0, max: sla, value: f.sla_kept, "aria-label": "deadlines kept" }), ` ${f.sla_kept} kept, ${f.sla_missed} missed`)
            : "—"),
          h("dt", {}, `Last ${HOURS} h`), h("dd", { class: "per-hour" }, sparkline(f.messages_per_hour || [])),
        ] : [h("dt", {}, "Activity"), h("dd", { class: "muted" }, "not available")]));
  }));
  const workload = agents.length > 1 ? waiting(agents.map((a, i) => [a.name, figures[i]?.open_requests ?? 0])) : null;
  root.replaceChildren(h("section", {},
    h("h2", {}, "Agents"),
    workload,
    rows.length ? h("ul", { class: "agent-list" }, rows) : h("p", { class: "muted" }, "No agents yet."),
    h("p", { class: "muted" }, "To add one, run ", h("code", {}, "hiloop agent add NAME"), " where the agent runs and open the link it prints.")));
}
