// relay/web/js/crypto.js against every case of tests/crypto_vectors.json, under node's WebCrypto.
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as H from "../../relay/web/js/crypto.js";
import { vectorCases } from "./vectors_suite.mjs";

const V = JSON.parse(readFileSync(new URL("../crypto_vectors.json", import.meta.url), "utf8"));

test("this runtime has X25519 and Ed25519 in WebCrypto", async () => {
  await H.checkSupport();
});

for (const [name, fn] of vectorCases(H, V)) test(name, fn);
