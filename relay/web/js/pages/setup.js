// First run: the set-up link creates the owner in this browser and shows the recovery key once.

import { ApiError } from "../api.js";
import { Api } from "../api.js";
import { h } from "../dom.js";
import { Owner } from "../owner.js";

export async function setupPage(root, { token, app }) {
  // the token is in the path: take it out of the address bar and history at once
  history.replaceState(null, "", "/setup");
  root.replaceChildren(h("p", { class: "muted" }, "Checking the set-up link…"));
  let valid = false;
  try {
    valid = (await new Api().get(`/v1/setup/${encodeURIComponent(token)}`)).valid === true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  if (!valid) {
    root.replaceChildren(h("section", { class: "card narrow" }, h("h2", {}, "This set-up link has been used"),
      h("p", {}, "A relay is set up once. If this is your account, sign in with your recovery key."),
      h("button", { type: "button", class: "btn btn-primary", on: { click: () => app.navigate("/") } }, "Sign in")));
    return;
  }
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const go = h("button", { type: "button", class: "btn btn-primary" }, "Create my account");
  go.addEventListener("click", async () => {
    go.disabled = true;
    error.hidden = true;
    try {
      const { owner, recoveryKey } = await Owner.setup(token);
      showRecovery(root, owner, recoveryKey, app);
    } catch (err) {
      go.disabled = false;
      error.textContent = err instanceof ApiError && err.code === "setup_invalid"
        ? "This set-up link has been used already." : `Set-up failed: ${err.message}`;
      error.hidden = false;
    }
  });
  root.replaceChildren(h("section", { class: "card narrow" },
    h("h2", {}, "Set up Hiloop"),
    h("p", {}, "This creates your owner account on this relay. Your keys are made here, in this browser; the relay only ever sees their public halves."),
    go, error));
}

function showRecovery(root, owner, recoveryKey, app) {
  const field = h("textarea", { class: "recovery-key", readonly: true, rows: 3, "aria-label": "Recovery key", spellcheck: "false" }, recoveryKey);
  const copy = h("button", { type: "button", class: "btn btn-secondary" }, "Copy");
  copy.addEventListener("click", async () => {
    await navigator.clipboard.writeText(recoveryKey).then(() => { copy.textContent = "Copied"; }, () => field.select());
  });
  const saved = h("input", { type: "checkbox", id: "saved-check" });
  const done = h("button", { type: "button", class: "btn btn-primary", disabled: true }, "Continue");
  saved.addEventListener("change", () => { done.disabled = !saved.checked; });
  done.addEventListener("click", () => {
    field.value = "";
    app.signedIn(owner);
    app.navigate("/");
  });
  root.replaceChildren(h("section", { class: "card narrow" },
    h("h2", {}, "Your recovery key"),
    h("p", {}, "This key is the only way to sign in on another device or to recover your account. It is shown once. Keep it somewhere safe, such as a password manager."),
    field, h("div", { class: "buttons" }, copy),
    h("label", { class: "choice", for: "saved-check" }, saved, " I have saved my recovery key"),
    h("div", { class: "buttons" }, done)));
}
