// The owner's agents: who they are (certificate checked against the owner key), their fingerprint,
// when they were last seen, and activity computed here from routing metadata (no decryption needed):
// open requests (workload), how fast requests were answered, and deadlines kept or missed.

import { h } from "../dom.js";
import { fingerprint, b64uDecode } from "../crypto.js";
import { formatDuration, relative } from "../time.js";
import { chart } from "../charts.js";

const RECENT_SESSIONS = 40;

function median(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Per agent: {sessions, open, answered, times: [ms], kept, missed} from sessions and their timelines. */
export async function activity(owner) {
  const { sessions } = await owner.api.get("/v1/sessions", { limit: 200 });
  const stats = new Map();
  const of = (id) => {
    if (!stats.has(id)) stats.set(id, { sessions: 0, openSessions: 0, open: 0, answered: 0, times: [], kept: 0, missed: 0 });
    return stats.get(id);
  };
  for (const s of sessions) {
    const st = of(s.agent_id);
    st.sessions += 1;
    if (s.status === "open") st.openSessions += 1;
    st.open += s.status === "open" ? s.open_requests || 0 : 0;
  }
  const recent = [...sessions].sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at)).slice(0, RECENT_SESSIONS);
  await Promise.all(recent.map(async (s) => {
    const { messages } = await owner.api.get(`/v1/sessions/${encodeURIComponent(s.sid)}/messages`, { after: 0, limit: 500 });
    const st = of(s.agent_id);
    for (const m of messages) {
      if (!m.meta.requires_response) continue;
      const deadline = m.meta.deadline ? Date.parse(m.meta.deadline) : null;
      if (m.status === "answered" && m.answered_at) {
        const at = Date.parse(m.answered_at);
        st.answered += 1;
        st.times.push(at - Date.parse(m.created_at));
        if (deadline !== null) st[at <= deadline ? "kept" : "missed"] += 1;
      } else if (m.status === "expired") {
        st.missed += 1;
      }
    }
  }));
  return stats;
}

export async function agentsPage(root, { owner }) {
  root.replaceChildren(h("p", { class: "muted" }, "Loading agents…"));
  const [agents, stats] = await Promise.all([owner.agents(true), activity(owner)]);
  const none = { sessions: 0, openSessions: 0, open: 0, answered: 0, times: [], kept: 0, missed: 0 };
  const rows = await Promise.all([...agents.values()].map(async (a) => {
    const st = stats.get(a.info.agent_id) ?? none;
    const med = median(st.times);
    const sla = st.kept + st.missed;
    return h("li", { class: "agent card", dataset: { agent: a.info.agent_id } },
      h("div", { class: "agent-head" }, h("strong", { class: "agent-name" }, a.name),
        a.verified ? h("span", { class: "badge verified", title: "Its certificate is signed by your key" }, "✓ verified")
          : h("span", { class: "badge danger", title: a.error || "" }, "✗ certificate does not verify")),
      h("dl", { class: "agent-facts" },
        h("dt", {}, "Fingerprint"), h("dd", {}, h("code", { class: "fingerprint" }, await fingerprint(b64uDecode(a.info.ed25519, 32)))),
        h("dt", {}, "Paired"), h("dd", {}, relative(a.info.created_at)),
        h("dt", {}, "Last seen"), h("dd", { class: "last-seen" }, a.info.last_seen ? relative(a.info.last_seen) : "never"),
        h("dt", {}, "Sessions"), h("dd", { class: "sessions-count" }, `${st.openSessions} open of ${st.sessions}`),
        h("dt", {}, "Waiting on you"), h("dd", { class: "workload" }, String(st.open)),
        h("dt", {}, "Median answer time"), h("dd", { class: "response-time" }, med === null ? "—" : formatDuration(med)),
        h("dt", {}, "Deadlines"), h("dd", { class: "sla" }, sla ? h("span", {}, h("meter", { min: 0, max: sla, value: st.kept, "aria-label": "deadlines kept" }), ` ${st.kept} kept, ${st.missed} missed`) : "—")));
  }));
  const named = [...agents.values()];
  const workload = named.length > 1 ? chart({ type: "chart", kind: "bar", title: "Requests waiting on you", labels: named.map((a) => a.name),
    values: named.map((a) => (stats.get(a.info.agent_id) ?? none).open) }) : null;
  root.replaceChildren(h("section", {},
    h("h2", {}, "Agents"),
    workload,
    rows.length ? h("ul", { class: "agent-list" }, rows) : h("p", { class: "muted" }, "No agents yet."),
    h("p", { class: "muted" }, "To add one, run ", h("code", {}, "hiloop agent add NAME"), " where the agent runs and open the link it prints.")));
}
