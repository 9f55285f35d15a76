// The owner's agents: who they are (certificate checked against the owner key), their fingerprint,
// when they were last seen, and what they are waiting on.

import { h } from "../dom.js";
import { fingerprint, b64uDecode } from "../crypto.js";
import { relative } from "../time.js";

export async function agentsPage(root, { owner }) {
  root.replaceChildren(h("p", { class: "muted" }, "Loading agents…"));
  const [agents, { sessions }] = await Promise.all([owner.agents(true), owner.api.get("/v1/sessions", { status: "open", limit: 500 })]);
  const work = new Map();
  for (const s of sessions) {
    const w = work.get(s.agent_id) ?? { sessions: 0, open: 0 };
    w.sessions += 1;
    w.open += s.open_requests || 0;
    work.set(s.agent_id, w);
  }
  const max = Math.max(1, ...[...work.values()].map((w) => w.open));
  const rows = await Promise.all([...agents.values()].map(async (a) => {
    const w = work.get(a.info.agent_id) ?? { sessions: 0, open: 0 };
    return h("li", { class: "agent card", dataset: { agent: a.info.agent_id } },
      h("div", { class: "agent-head" }, h("strong", { class: "agent-name" }, a.name),
        a.verified ? h("span", { class: "badge verified", title: "Its certificate is signed by your key" }, "✓ verified")
          : h("span", { class: "badge danger", title: a.error || "" }, "✗ certificate does not verify")),
      h("dl", { class: "agent-facts" },
        h("dt", {}, "Fingerprint"), h("dd", {}, h("code", { class: "fingerprint" }, await fingerprint(b64uDecode(a.info.ed25519, 32)))),
        h("dt", {}, "Paired"), h("dd", {}, relative(a.info.created_at)),
        h("dt", {}, "Last seen"), h("dd", {}, a.info.last_seen ? relative(a.info.last_seen) : "never"),
        h("dt", {}, "Open sessions"), h("dd", {}, String(w.sessions)),
        h("dt", {}, "Waiting on you"), h("dd", {}, h("span", { class: "workload" }, h("meter", { min: 0, max, value: w.open, "aria-label": "open requests" }), ` ${w.open}`))));
  }));
  root.replaceChildren(h("section", {},
    h("h2", {}, "Agents"),
    rows.length ? h("ul", { class: "agent-list" }, rows) : h("p", { class: "muted" }, "No agents yet."),
    h("p", { class: "muted" }, "To add one, run ", h("code", {}, "hiloop agent add NAME"), " where the agent runs and open the link it prints.")));
}
