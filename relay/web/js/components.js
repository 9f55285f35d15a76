// The renderer of hiloop/components.py: one function per component type, DOM built node by node.
//
// render(components, ctx) -> element. ctx:
//   canAnswer  whether the person may answer now (buttons, forms and wizards are live)
//   answered   the response already given ({action} or {answers}), shown on the request
//   respond    async ({action} | {answers} | {action, text}) => void; throws to show an error
//   reasonFor  a Set of button actions that first ask for a message (e.g. "deny")

import { chart } from "./charts.js";
import { formatBytes, h } from "./dom.js";
import { externalLink, markdown, safeUrl } from "./markdown.js";

const RENDERERS = {
  text: (c) => h("div", { class: "component text" }, markdown(c.text)),
  kv: renderKv,
  alert: renderAlert,
  button_group: renderButtons,
  metric_grid: renderMetrics,
  table: renderTable,
  chart: (c) => chart(c),
  qa: renderQa,
  wizard: renderWizard,
  tabs: renderTabs,
  code: renderCode,
  diff: renderDiff,
  output: renderOutput,
  image: renderImage,
  file: renderFile,
  link: (c) => h("div", { class: "component link" }, externalLink(c.url, c.label || c.url)),
};

export const COMPONENT_TYPES = Object.keys(RENDERERS);

export function render(components, ctx = {}) {
  const root = h("div", { class: "components" });
  for (const c of Array.isArray(components) ? components : []) root.appendChild(renderOne(c, ctx));
  return root;
}

export function renderOne(c, ctx = {}) {
  const fn = c && typeof c === "object" ? RENDERERS[c.type] : null;
  if (!fn) return h("div", { class: "component unknown muted" }, `(a component this app cannot show: ${String(c?.type ?? "?")})`);
  try {
    return fn(c, ctx);
  } catch (err) {
    return h("div", { class: "component unknown muted" }, `(a ${c.type} component that could not be shown: ${err.message})`);
  }
}

/** Whether components ask for an answer (button_group, qa or wizard at any depth). */
export function isInteractive(components) {
  for (const c of walk(components)) if (["button_group", "qa", "wizard"].includes(c?.type)) return true;
  return false;
}

export function* walk(components) {
  for (const c of Array.isArray(components) ? components : []) {
    yield c;
    if (c?.type === "tabs") for (const t of c.tabs || []) yield* walk(t.children);
    if (c?.type === "wizard") for (const st of c.steps || []) yield* walk(st.components);
  }
}

/** Every button in these components: [{label, action, variant}]. */
export function buttonsOf(components) {
  return [...walk(components)].filter((c) => c?.type === "button_group").flatMap((c) => c.buttons || []);
}

function titled(title) {
  return title ? h("h4", { class: "component-title" }, title) : null;
}

function renderKv(c) {
  return h("div", { class: "component kv" }, titled(c.title),
    h("dl", {}, (c.entries || []).map((e) => [h("dt", {}, e.label), h("dd", {}, e.value)])));
}

function renderAlert(c) {
  const level = ["info", "success", "warning", "error"].includes(c.level) ? c.level : "info";
  return h("div", { class: `component alert alert-${level}`, role: level === "error" || level === "warning" ? "alert" : "status" },
    c.title ? h("strong", { class: "alert-title" }, c.title) : null, markdown(c.text));
}

function errorLine() {
  return h("p", { class: "form-error", role: "alert", hidden: true });
}

function showError(el, err) {
  el.textContent = err ? `Could not send: ${err.message || err}` : "";
  el.hidden = !err;
}

function renderButtons(c, ctx) {
  const chosen = ctx.answered?.action;
  const row = h("div", { class: "buttons" });
  const error = errorLine();
  const reasonBox = h("div", { class: "reason", hidden: true });
  const wrap = h("div", { class: "component button-group" }, row, reasonBox, error);
  const buttons = (c.buttons || []).map((b) => {
    const variant = ["primary", "secondary", "danger"].includes(b.variant) ? b.variant : "secondary";
    const el = h("button", {
      type: "button", class: ["btn", `btn-${variant}`, chosen === b.action ? "chosen" : null],
      disabled: !ctx.canAnswer, dataset: { action: b.action }, "aria-pressed": chosen === b.action ? "true" : null,
    }, b.label, chosen === b.action ? " ✓" : null);
    el.addEventListener("click", () => (ctx.reasonFor?.has(b.action) ? askReason(b) : send({ action: b.action })));
    return el;
  });
  row.append(...buttons);

  async function send(answer) {
    buttons.forEach((x) => { x.disabled = true; });
    showError(error, null);
    try {
      await ctx.respond(answer);
    } catch (err) {
      buttons.forEach((x) => { x.disabled = false; });
      showError(error, err);
    }
  }

  function askReason(b) {
    const input = h("textarea", { rows: 2, placeholder: "A message for the agent (optional)", "aria-label": `Message with ${b.label}` });
    const go = h("button", { type: "button", class: "btn btn-danger" }, `${b.label} with this message`);
    const cancel = h("button", { type: "button", class: "btn btn-secondary" }, "Cancel");
    go.addEventListener("click", () => {
      const text = input.value.trim();
      send(text ? { action: b.action, text } : { action: b.action });
    });
    cancel.addEventListener("click", () => { reasonBox.hidden = true; reasonBox.replaceChildren(); });
    reasonBox.replaceChildren(input, h("div", { class: "buttons" }, go, cancel));
    reasonBox.hidden = false;
    input.focus();
  }
  return wrap;
}

function renderMetrics(c) {
  return h("div", { class: "component metrics" }, titled(c.title),
    h("div", { class: "metric-grid" }, (c.metrics || []).map((m) => h("div", { class: "metric" },
      h("div", { class: "metric-label" }, m.label),
      h("div", { class: "metric-value" }, String(m.value)),
      m.change || m.trend ? h("div", { class: ["metric-change", m.trend ? `trend-${m.trend}` : null] },
        m.trend === "up" ? "▲ " : m.trend === "down" ? "▼ " : m.trend === "flat" ? "▬ " : "", m.change || "") : null))));
}

function cellText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

function renderTable(c) {
  return h("div", { class: "component table" }, titled(c.title),
    h("div", { class: "table-scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, (c.headers || []).map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, (c.rows || []).map((row) => h("tr", {}, row.map((v) =>
        h("td", { class: typeof v === "number" ? "num" : null }, cellText(v)))))))));
}

// --- forms --------------------------------------------------------------------------------------

/** A qa form's fields; returns {el, values(), check()} so wizards can collect several. */
function qaFields(c, ctx, prefix) {
  const getters = [];
  const answered = ctx.answered?.answers || null;
  const fields = (c.questions || []).map((q, qi) => {
    const name = `${prefix}-${qi}`;
    const id = `q-${name}`;
    const prior = answered ? answered[q.id] : undefined;
    const disabled = !ctx.canAnswer;
    let control;
    let get;
    if (q.kind === "single" || q.kind === "multi") {
      const type = q.kind === "single" ? "radio" : "checkbox";
      const inputs = (q.options || []).map((opt) => h("input", {
        type, name, value: opt, disabled,
        checked: prior !== undefined && (Array.isArray(prior) ? prior.includes(opt) : prior === opt),
      }));
      control = h("div", { class: "choices", role: q.kind === "single" ? "radiogroup" : "group", "aria-labelledby": id },
        inputs.map((inp, i) => h("label", { class: "choice" }, inp, " ", q.options[i])));
      get = () => {
        const picked = inputs.filter((x) => x.checked).map((x) => x.value);
        if (q.kind === "single") return picked.length ? picked[0] : undefined;
        return picked.length ? picked : undefined;
      };
    } else if (q.kind === "number") {
      control = h("input", { type: "number", step: "any", id: `${id}-input`, disabled, value: prior !== undefined ? String(prior) : null, "aria-labelledby": id });
      get = () => (control.value.trim() === "" ? undefined : Number(control.value));
    } else {
      control = h("textarea", { rows: 3, id: `${id}-input`, disabled, value: prior !== undefined ? String(prior) : null, "aria-labelledby": id });
      get = () => (control.value.trim() === "" ? undefined : control.value);
    }
    getters.push([q, get]);
    return h("div", { class: "question", dataset: { question: q.id } },
      h("div", { class: "prompt", id }, q.prompt, q.required !== false ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null),
      control);
  });
  const el = h("div", { class: "qa-fields" }, fields);
  const values = () => {
    const out = {};
    for (const [q, get] of getters) {
      const v = get();
      if (v !== undefined) out[q.id] = v;
    }
    return out;
  };
  const check = () => {
    for (const [q, get] of getters) {
      const v = get();
      if (q.required !== false && v === undefined) return `Please answer: ${q.prompt}`;
      if (q.kind === "number" && v !== undefined && !Number.isFinite(v)) return `A number, please: ${q.prompt}`;
    }
    return null;
  };
  return { el, values, check, questions: c.questions || [] };
}

let formCounter = 0;

function renderQa(c, ctx) {
  const fields = qaFields(c, ctx, `f${++formCounter}`);
  const error = errorLine();
  const submit = h("button", { type: "submit", class: "btn btn-primary", disabled: !ctx.canAnswer }, ctx.answered ? "Answered" : "Send answers");
  const form = h("form", { class: "component qa", novalidate: true }, titled(c.title), fields.el, h("div", { class: "buttons" }, submit), error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const problem = fields.check();
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    showError(error, null);
    try {
      await ctx.respond({ answers: fields.values() });
    } catch (err) {
      submit.disabled = false;
      showError(error, err);
    }
  });
  return form;
}

function renderWizard(c, ctx) {
  const steps = c.steps || [];
  const prefix = `w${++formCounter}`;
  const collectors = [];
  const panels = steps.map((st, si) => {
    const parts = (st.components || []).map((comp, ci) => {
      if (comp?.type === "qa") {
        const f = qaFields(comp, ctx, `${prefix}-${si}-${ci}`);
        collectors.push([si, f]);
        return h("div", { class: "component qa" }, titled(comp.title), f.el);
      }
      return renderOne(comp, { ...ctx, canAnswer: false });
    });
    return h("section", { class: "wizard-step", hidden: si !== 0, dataset: { step: si } }, h("h4", {}, `${si + 1}. ${st.title}`), parts);
  });
  const review = h("section", { class: "wizard-review", hidden: true });
  const progress = h("ol", { class: "wizard-progress" }, steps.map((st, si) => h("li", { dataset: { step: si } }, st.title)), h("li", {}, "Review"));
  const error = errorLine();
  const back = h("button", { type: "button", class: "btn btn-secondary" }, "Back");
  const next = h("button", { type: "button", class: "btn btn-primary" }, "Next");
  const submit = h("button", { type: "button", class: "btn btn-primary", hidden: true, disabled: !ctx.canAnswer },
    ctx.answered ? "Answered" : "Submit");
  let at = 0;

  const answers = () => Object.assign({}, ...collectors.map(([, f]) => f.values()));
  function show(i) {
    at = i;
    panels.forEach((p, pi) => { p.hidden = pi !== i; });
    review.hidden = i !== steps.length;
    [...progress.children].forEach((li, li_i) => li.classList.toggle("current", li_i === i));
    back.hidden = i === 0;
    next.hidden = i >= steps.length;
    submit.hidden = i !== steps.length;
    if (i === steps.length) {
      const all = answers();
      const rows = collectors.flatMap(([, f]) => f.questions.map((q) => {
        const v = all[q.id];
        return [h("dt", {}, q.prompt), h("dd", {}, v === undefined ? "—" : Array.isArray(v) ? v.join(", ") : String(v))];
      }));
      review.replaceChildren(h("h4", {}, "Review"), rows.length ? h("dl", {}, rows) : h("p", { class: "muted" }, "Nothing to answer; submit to continue."));
    }
    error.hidden = true;
  }
  back.addEventListener("click", () => show(Math.max(0, at - 1)));
  next.addEventListener("click", () => {
    for (const [si, f] of collectors) {
      if (si !== at) continue;
      const problem = f.check();
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        return;
      }
    }
    show(at + 1);
  });
  submit.addEventListener("click", async () => {
    submit.disabled = true;
    showError(error, null);
    try {
      await ctx.respond({ answers: answers() });
    } catch (err) {
      submit.disabled = false;
      showError(error, err);
    }
  });
  const el = h("div", { class: "component wizard" }, titled(c.title), progress, panels, review,
    h("div", { class: "buttons" }, back, next, submit), error);
  show(0);
  return el;
}

// --- layout -------------------------------------------------------------------------------------

let tabsCounter = 0;

function renderTabs(c, ctx) {
  const id = `tabs${++tabsCounter}`;
  const tabs = c.tabs || [];
  const buttons = [];
  const panels = tabs.map((t, i) => h("div", { class: "tab-panel", role: "tabpanel", id: `${id}-p${i}`, "aria-labelledby": `${id}-t${i}`, hidden: i !== 0 },
    render(t.children, ctx)));
  tabs.forEach((t, i) => {
    const b = h("button", { type: "button", role: "tab", id: `${id}-t${i}`, "aria-controls": `${id}-p${i}`, "aria-selected": i === 0 ? "true" : "false", tabindex: i === 0 ? "0" : "-1" }, t.label);
    b.addEventListener("click", () => select(i));
    b.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowRight") select((i + 1) % tabs.length, true);
      if (ev.key === "ArrowLeft") select((i - 1 + tabs.length) % tabs.length, true);
    });
    buttons.push(b);
  });
  function select(i, focus = false) {
    buttons.forEach((b, bi) => { b.setAttribute("aria-selected", bi === i ? "true" : "false"); b.tabIndex = bi === i ? 0 : -1; });
    panels.forEach((p, pi) => { p.hidden = pi !== i; });
    if (focus) buttons[i].focus();
  }
  return h("div", { class: "component tabs" }, h("div", { class: "tab-list", role: "tablist" }, buttons), panels);
}

// --- developer views ----------------------------------------------------------------------------

function copyButton(getText) {
  const b = h("button", { type: "button", class: "btn btn-small btn-secondary copy" }, "Copy");
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(getText());
      b.textContent = "Copied";
    } catch {
      b.textContent = "Copy failed";
    }
  });
  return b;
}

function renderCode(c) {
  return h("div", { class: "component code-block" },
    h("div", { class: "code-head" }, h("span", {}, c.title || c.language || "code"), copyButton(() => c.source)),
    h("pre", { class: "code" }, h("code", { "data-language": c.language || null }, c.source)));
}

/** A unified line diff of two texts (LCS); null when they are too large to compare here. */
export function lineDiff(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length * b.length > 4_000_000) return null;
  const n = a.length;
  const m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) {
    dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push(" " + a[i]); i++; j++; }
    else if (dp[i + 1][j] >= dp[i][j + 1]) out.push("-" + a[i++]);
    else out.push("+" + b[j++]);
  }
  while (i < n) out.push("-" + a[i++]);
  while (j < m) out.push("+" + b[j++]);
  return out;
}

function diffLines(lines) {
  return h("pre", { class: "diff" }, lines.map((line) => {
    const cls = line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") || line.startsWith("index ") ? "meta"
      : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
    return h("span", { class: `diff-line ${cls}` }, line, "\n");
  }));
}

function renderDiff(c) {
  const head = h("div", { class: "code-head" }, h("span", {}, c.path || "diff"));
  if (typeof c.diff === "string") {
    return h("div", { class: "component diff-block" }, head, diffLines(c.diff.replace(/\n$/, "").split("\n")));
  }
  const lines = lineDiff(c.before ?? "", c.after ?? "");
  if (!lines) {
    return h("div", { class: "component diff-block" }, head,
      h("h5", {}, "Before"), h("pre", { class: "code" }, c.before), h("h5", {}, "After"), h("pre", { class: "code" }, c.after));
  }
  return h("div", { class: "component diff-block" }, head, diffLines(lines));
}

function renderOutput(c) {
  const code = typeof c.exit_code === "number" ? c.exit_code : null;
  return h("div", { class: "component output" },
    h("div", { class: "code-head" }, h("code", { class: "command" }, "$ ", c.command),
      code === null ? null : h("span", { class: ["exit", code === 0 ? "ok" : "fail"] }, `exit ${code}`)),
    c.stdout ? h("pre", { class: "stdout" }, c.stdout) : null,
    c.stderr ? h("pre", { class: "stderr" }, c.stderr) : null,
    !c.stdout && !c.stderr ? h("p", { class: "muted" }, "(no output)") : null);
}

const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/x-icon"]);

function base64Bytes(data) {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function download(name, bytes, label) {
  // Always octet-stream: a blob URL shares this origin, so it must never render as a page.
  const blob = new Blob([bytes], { type: "application/octet-stream" });
  return h("a", { href: URL.createObjectURL(blob), download: name, class: "download", dataset: { blobType: blob.type } }, label);
}

function renderImage(c) {
  const bytes = base64Bytes(c.data);
  if (!IMAGE_TYPES.has(c.media_type)) return renderFile(c);
  const url = URL.createObjectURL(new Blob([bytes], { type: c.media_type }));
  return h("figure", { class: "component image" }, h("img", { src: url, alt: c.alt || c.name, loading: "lazy" }),
    h("figcaption", {}, c.alt ? `${c.alt} · ` : "", download(c.name, bytes, `${c.name} (${formatBytes(bytes.length)})`)));
}

function renderFile(c) {
  const bytes = base64Bytes(c.data);
  return h("div", { class: "component file" }, h("span", { class: "file-icon", "aria-hidden": "true" }, "📄 "),
    download(c.name, bytes, c.name), h("span", { class: "muted" }, ` ${c.media_type} · ${formatBytes(bytes.length)}`));
}

export { safeUrl };
