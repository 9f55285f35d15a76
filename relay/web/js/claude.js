// Claude Code sessions: tool events (claude_plugin/hiloop_hooks/events.py) shown as a live activity
// log; a PostToolUse joins the card of its PreToolUse (same tool_use_id) when it arrives.

import { h } from "./dom.js";
import { renderOne } from "./components.js";
import { markdown } from "./markdown.js";

function str(v) {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v, null, 2);
}

function codeBlock(language, source, title) {
  return renderOne({ type: "code", language, source: str(source), title });
}

function details(summary, ...body) {
  return h("details", { class: "tool-details" }, h("summary", {}, summary), ...body);
}

const ICONS = {
  Bash: "⌘", Write: "✎", Edit: "✎", MultiEdit: "✎", Read: "👁", Glob: "🔎", Grep: "🔎", WebFetch: "🌐",
  WebSearch: "🌐", Agent: "🤖", Task: "🤖",
};

/** One line that says what the tool is doing. */
export function toolSummary(d) {
  const tool = d.tool || "tool";
  if (tool === "Bash") return d.description || d.command || "Bash";
  if (d.path) return `${tool} ${d.path}`;
  if (d.pattern) return `${tool} ${d.pattern}`;
  if (d.url) return `${tool} ${d.url}`;
  if (d.query) return `${tool} “${d.query}”`;
  if (d.mcp_tool) return `${d.server} · ${d.mcp_tool}`;
  if (d.description) return `${tool}: ${d.description}`;
  return tool;
}

function toolInput(d) {
  const tool = d.tool;
  if (tool === "Bash") return codeBlock("bash", d.command);
  if (tool === "Write") return details(`Content of ${d.path}`, codeBlock(null, d.content, d.path));
  if (tool === "Edit" || tool === "MultiEdit") return renderOne({ type: "diff", path: d.path || "file", diff: str(d.diff) });
  if (tool === "Agent" || tool === "Task") return d.prompt ? details("Prompt", markdown(str(d.prompt))) : null;
  if (d.mcp_tool) return details("Arguments", codeBlock("json", d.args));
  if (d.input !== undefined) return details("Input", codeBlock("json", d.input));
  return null;
}

function toolResult(event, d) {
  if (event === "PostToolUseFailure") {
    return h("div", { class: "tool-result failed" }, h("strong", {}, d.interrupted ? "Interrupted" : "Failed"), h("pre", {}, str(d.error)));
  }
  if (d.tool === "Bash") {
    const out = renderOne({ type: "output", command: str(d.command), stdout: str(d.stdout), stderr: str(d.stderr) });
    out.classList.add("tool-result");
    if (d.interrupted) out.prepend(h("strong", {}, "Interrupted"));
    return out;
  }
  if (d.result === undefined) return h("div", { class: "tool-result muted" }, "done");
  const text = str(d.result);
  if (text.length < 80 && !text.includes("\n")) return h("div", { class: "tool-result muted" }, `→ ${text}`);
  return h("div", { class: "tool-result" }, details("Result", h("pre", {}, text)));
}

/** A card for a tool call (PreToolUse, or a lone PostToolUse). `attachResult` fills it in later. */
export function toolCard(event, d) {
  const status = h("span", { class: "tool-status" }, event === "PreToolUse" ? "running…" : "");
  const resultSlot = h("div", { class: "tool-result-slot" });
  const card = h("div", { class: "tool-card", dataset: { tool: d.tool || "", toolUseId: d.tool_use_id || "" } },
    h("div", { class: "tool-head" }, h("span", { class: "tool-icon", "aria-hidden": "true" }, ICONS[d.tool] || "⚙"),
      h("span", { class: "tool-name" }, d.tool || "tool"), h("span", { class: "tool-summary" }, toolSummary(d)), status),
    d.agent_id ? h("div", { class: "muted small" }, `in subagent ${d.agent_type || ""} ${d.agent_id}`) : null,
    toolInput(d), resultSlot);
  card.attachResult = (ev, data) => {
    status.textContent = ev === "PostToolUseFailure" ? "failed" : "done";
    card.classList.add(ev === "PostToolUseFailure" ? "failed" : "done");
    resultSlot.replaceChildren(toolResult(ev, data));
  };
  if (event !== "PreToolUse") card.attachResult(event, d);
  return card;
}

/** Everything that is not a tool call: prompts, notifications, stops, subagents… */
export function eventLine(event, d) {
  switch (event) {
    case "SessionStart":
      return h("div", { class: "event-line" }, `Session started${d.source ? ` (${d.source})` : ""}${d.project ? ` in ${d.project}` : ""}`);
    case "UserPromptSubmit":
      return h("div", { class: "event-prompt" }, h("div", { class: "event-label" }, "Prompt"), markdown(str(d.prompt)));
    case "Notification":
      return h("div", { class: "event-line notice" }, "🔔 ", str(d.message));
    case "SubagentStart":
      return h("div", { class: "event-line" }, `Subagent started: ${d.agent_type || "agent"} ${d.agent_id || ""}`);
    case "SubagentStop":
      return h("div", { class: "event-line" }, `Subagent finished: ${d.agent_type || "agent"} ${d.agent_id || ""}`,
        d.last_message ? details("Its last message", markdown(str(d.last_message))) : null);
    case "PreCompact":
      return h("div", { class: "event-line" }, `Compacting the conversation${d.trigger ? ` (${d.trigger})` : ""}`);
    case "Stop":
      return h("div", { class: "event-stop" }, h("div", { class: "event-label" }, "Claude finished its turn"),
        d.last_message ? markdown(str(d.last_message)) : null);
    case "InstructionDelivered":
      return h("div", { class: "event-line delivered" }, `✓ Instruction delivered to Claude${d.via ? ` (${d.via})` : ""}`);
    case "SessionEnd":
      return h("div", { class: "event-line" }, `Session ended${d.reason ? ` (${d.reason})` : ""}`);
    default:
      return h("div", { class: "event-line" }, event, d && Object.keys(d).length ? details("Details", codeBlock("json", d)) : null);
  }
}

export const TOOL_EVENTS = new Set(["PreToolUse", "PostToolUse", "PostToolUseFailure"]);
