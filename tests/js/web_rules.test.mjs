// The app's own rules, checked on its source: content never goes through HTML parsing, no inline
// scripts or styles (the CSP forbids them), no third-party scripts, nothing to build.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const WEB = new URL("../../relay/web/", import.meta.url).pathname;

function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

const all = files(WEB);
const scripts = all.filter((p) => p.endsWith(".js"));

test("no script parses strings as HTML or code", () => {
  const banned = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|eval\s*\(|new Function\s*\()/;
  for (const p of scripts) {
    const code = readFileSync(p, "utf8").split("\n").map((line) => line.replace(/^\s*(\/\/|\*|\/\*).*$/, ""));
    const hit = code.findIndex((line) => banned.test(line));
    assert.equal(hit, -1, `${p}:${hit + 1} uses an HTML or code sink`);
  }
});

test("no script sets a style attribute (the CSP has no unsafe-inline)", () => {
  for (const p of scripts) {
    const src = readFileSync(p, "utf8");
    assert.doesNotMatch(src, /setAttribute\(\s*["']style["']|\bstyle:\s*["'`]/, p);
  }
});

test("index.html loads only its own module and stylesheet, with nothing inline", () => {
  const html = readFileSync(join(WEB, "index.html"), "utf8");
  const tags = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  assert.deepEqual(tags, ['<script type="module" src="/static/js/app.js">']);
  assert.doesNotMatch(html, /<script\b[^>]*>[^<]+<\/script>/);
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
});

test("every import is a relative path to a file that exists", () => {
  for (const p of scripts) {
    for (const m of readFileSync(p, "utf8").matchAll(/^\s*(?:import|export)[^"']*from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm)) {
      const spec = m[1] ?? m[2];
      assert.match(spec, /^\.\.?\//, `${p} imports ${spec}`);
      assert.ok(statSync(new URL(spec, `file://${p}`)).isFile(), `${p} imports a missing ${spec}`);
    }
  }
});

test("index.html preloads every module the page imports, so they load in one round trip", () => {
  const html = readFileSync(join(WEB, "index.html"), "utf8");
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="\/static\/js\/([^"]+)">/g)].map((m) => m[1]));
  const modules = scripts.map((p) => p.slice(join(WEB, "js").length + 1))
    .filter((name) => name !== "app.js" && !name.endsWith("-worker.js")); // the entry point; workers load their own
  assert.deepEqual([...preloaded].sort(), modules.sort());
});
