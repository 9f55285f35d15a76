// A safe markdown subset rendered by building DOM nodes (never innerHTML): paragraphs, headings,
// emphasis, strong, strikethrough, inline code, fenced code, block quotes, lists, rules and links
// (http, https and mailto only; they open in a new tab without a referrer).

import { h } from "./dom.js";

export function safeUrl(url) {
  try {
    const u = new URL(url);
    return ["http:", "https:", "mailto:"].includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

export function externalLink(url, ...children) {
  const href = safeUrl(url);
  if (!href) return h("span", {}, ...children);
  return h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, ...children);
}

const WORD = /[\p{L}\p{N}]/u;

function findClose(text, marker, from) {
  for (let i = from; i <= text.length - marker.length; i++) {
    if (text[i] === "\\") { i++; continue; }
    if (text.startsWith(marker, i) && i > from) return i;
  }
  return -1;
}

/** Inline markdown to an array of nodes. */
export function inline(text) {
  const out = [];
  let buf = "";
  const flush = () => {
    if (buf) out.push(document.createTextNode(buf));
    buf = "";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const prev = i > 0 ? text[i - 1] : "";
    if (c === "\\" && i + 1 < text.length && /[\\`*_~[\]()#>!+\-.]/.test(text[i + 1])) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i) {
        flush();
        out.push(h("code", {}, text.slice(i + 1, end)));
        i = end + 1;
        continue;
      }
    }
    if (text.startsWith("**", i) || text.startsWith("__", i) && !WORD.test(prev)) {
      const marker = text.slice(i, i + 2);
      const end = findClose(text, marker, i + 2);
      if (end > 0 && text[i + 2] !== " ") {
        flush();
        out.push(h("strong", {}, inline(text.slice(i + 2, end))));
        i = end + 2;
        continue;
      }
    }
    if (text.startsWith("~~", i)) {
      const end = findClose(text, "~~", i + 2);
      if (end > 0) {
        flush();
        out.push(h("del", {}, inline(text.slice(i + 2, end))));
        i = end + 2;
        continue;
      }
    }
    if ((c === "*" || (c === "_" && !WORD.test(prev))) && text[i + 1] && text[i + 1] !== " " && text[i + 1] !== c) {
      const end = findClose(text, c, i + 1);
      if (end > 0 && text[end - 1] !== " " && (c !== "_" || !WORD.test(text[end + 1] || ""))) {
        flush();
        out.push(h("em", {}, inline(text.slice(i + 1, end))));
        i = end + 1;
        continue;
      }
    }
    if (c === "[") {
      const close = findClose(text, "]", i + 1);
      if (close > 0 && text[close + 1] === "(") {
        const end = text.indexOf(")", close + 2);
        const url = end > 0 ? text.slice(close + 2, end).trim() : "";
        if (end > 0 && safeUrl(url)) {
          flush();
          out.push(externalLink(url, inline(text.slice(i + 1, close))));
          i = end + 1;
          continue;
        }
      }
    }
    if ((c === "h") && !WORD.test(prev) && /^https?:\/\//.test(text.slice(i, i + 8))) {
      const m = /^https?:\/\/[^\s<>"]+/.exec(text.slice(i));
      let url = m[0];
      while (/[.,;:!?)\]'"]$/.test(url)) url = url.slice(0, -1);
      if (safeUrl(url)) {
        flush();
        out.push(externalLink(url, url));
        i += url.length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

function withBreaks(lines) {
  const out = [];
  lines.forEach((line, n) => {
    if (n > 0) out.push(h("br"));
    out.push(...inline(line));
  });
  return out;
}

const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

/** Block markdown to a <div class="md">. */
export function markdown(text) {
  const root = h("div", { class: "md" });
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    const fence = /^\s*(```+|~~~+)\s*([\w+.-]*)\s*$/.exec(line);
    if (fence) {
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      root.appendChild(h("pre", { class: "code" }, h("code", { "data-language": fence[2] || null }, body.join("\n"))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = Math.min(6, heading[1].length + 2);
      root.appendChild(h(`h${level}`, {}, inline(heading[2].replace(/\s#+\s*$/, ""))));
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      root.appendChild(h("hr"));
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) body.push(lines[i++].replace(/^\s*>\s?/, ""));
      const quote = markdown(body.join("\n"));
      root.appendChild(h("blockquote", {}, [...quote.childNodes]));
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const list = h(ordered ? "ol" : "ul");
      if (ordered && parseInt(item[2], 10) !== 1) list.setAttribute("start", String(parseInt(item[2], 10)));
      while (i < lines.length) {
        const m = LIST_ITEM.exec(lines[i]);
        if (!m || /\d/.test(m[2]) !== ordered) break;
        const body = [m[3]];
        i++;
        while (i < lines.length && lines[i].trim() && !LIST_ITEM.exec(lines[i]) && /^\s+/.test(lines[i])) {
          body.push(lines[i++].trim());
        }
        const task = /^\[( |x|X)\]\s+(.*)$/.exec(body[0]);
        if (task) {
          body[0] = task[2];
          list.appendChild(h("li", { class: "task" },
            h("input", { type: "checkbox", disabled: true, checked: task[1] !== " " }), " ", withBreaks(body)));
        } else {
          list.appendChild(h("li", {}, withBreaks(body)));
        }
      }
      root.appendChild(list);
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && !/^(#{1,6})\s/.test(lines[i]) && !/^\s*(```|~~~|>)/.test(lines[i]) &&
      !(para.length && LIST_ITEM.exec(lines[i]))) {
      para.push(lines[i++]);
    }
    root.appendChild(h("p", {}, withBreaks(para)));
  }
  return root;
}
