// DOM building without innerHTML: every piece of content becomes a text node or an attribute value.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "text") node.textContent = String(value);
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else if (key === "dataset") for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    else if (key === "value" && "value" in node) node.value = value;
    else if (key === "checked" || key === "disabled" || key === "hidden" || key === "required" || key === "selected") node[key] = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  return node;
}

/** h("div", {class: "x", on: {click}}, "text", child, [more]) */
export function h(tag, attrs = {}, ...children) {
  return append(setAttrs(document.createElement(tag), attrs), children);
}

export function s(tag, attrs = {}, ...children) {
  return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replace(node, ...children) {
  return append(clear(node), children);
}

/** A link that navigates inside the app without a reload. */
export function navLink(href, attrs, ...children) {
  return h("a", { ...attrs, href, on: { click: (ev) => {
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    window.dispatchEvent(new CustomEvent("hiloop:navigate", { detail: href }));
  } } }, ...children);
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
