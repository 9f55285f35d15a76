// Sign in on this device with the recovery key (hlr1.<owner id>.<secret>): keys are derived here and
// a challenge is signed; the secret never leaves the browser.

import { ApiError } from "../api.js";
import { CryptoError } from "../crypto.js";
import { h } from "../dom.js";
import { Owner } from "../owner.js";

export function signInPage(root, { app, reason }) {
  const field = h("textarea", { rows: 3, class: "recovery-key", "aria-label": "Recovery key", placeholder: "hlr1.…", spellcheck: "false", autocomplete: "off" });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const go = h("button", { type: "submit", class: "btn btn-primary" }, "Sign in");
  const form = h("form", { class: "signin" }, field, h("div", { class: "buttons" }, go), error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    go.disabled = true;
    error.hidden = true;
    try {
      const owner = await Owner.signIn(field.value);
      field.value = "";
      app.signedIn(owner);
      app.rerender();
    } catch (err) {
      go.disabled = false;
      error.textContent = err instanceof CryptoError ? err.message
        : err instanceof ApiError && err.status === 404 ? "This relay has no such account."
          : err instanceof ApiError && err.status === 401 ? "This recovery key does not match the account." : `Sign-in failed: ${err.message}`;
      error.hidden = false;
    }
  });
  root.replaceChildren(h("section", { class: "card narrow" },
    h("h2", {}, "Sign in"),
    reason ? h("p", {}, reason) : null,
    h("p", {}, "Paste your recovery key. It was shown once when the account was set up."),
    form));
}
