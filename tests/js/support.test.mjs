// Feature detection: a WebCrypto without X25519/Ed25519 gets a clear error, not a stack trace.
import assert from "node:assert/strict";
import { test } from "node:test";

async function withCrypto(fake, fn) {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  Object.defineProperty(globalThis, "crypto", { value: fake, configurable: true, writable: true });
  try {
    return await fn();
  } finally {
    Object.defineProperty(globalThis, "crypto", saved);
  }
}

test("a WebCrypto without X25519 is reported by name", async () => {
  const real = globalThis.crypto;
  const subtle = {
    importKey(format, data, alg, ...rest) {
      if ((alg.name ?? alg) === "X25519") return Promise.reject(new DOMException("Unrecognized name", "NotSupportedError"));
      return real.subtle.importKey(format, data, alg, ...rest);
    },
  };
  const H = await withCrypto({ subtle, getRandomValues: (a) => real.getRandomValues(a) },
    () => import("../../relay/web/js/crypto.js?no-x25519"));
  await assert.rejects(H.checkSupport(), (err) => err instanceof H.UnsupportedError && /lacks X25519/.test(err.message));
  await assert.rejects(H.Identity.generate(), H.UnsupportedError);
});

test("a page without crypto.subtle (not a secure context) is told why", async () => {
  const H = await withCrypto({}, () => import("../../relay/web/js/crypto.js?no-subtle"));
  await assert.rejects(H.checkSupport(), /secure context/);
  await assert.rejects(H.Identity.generate(), H.UnsupportedError);
});
