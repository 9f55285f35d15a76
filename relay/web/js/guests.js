// The owner's guest links for a public session: create (the secret goes in the link's fragment only),
// list, revoke (then the session key rotates).

import { h } from "./dom.js";

export async function renderGuestPanel(panel, owner, sid) {
  const list = h("ul", { class: "guest-list" }, h("li", { class: "muted" }, "Loading…"));
  const label = h("input", { type: "text", value: "Guest", maxlength: 100, "aria-label": "Guest label" });
  const expiry = h("select", { "aria-label": "Link expires in" },
    h("option", { value: "900" }, "15 minutes"), h("option", { value: "3600", selected: true }, "1 hour"),
    h("option", { value: "86400" }, "1 day"));
  const result = h("div", { class: "guest-link", hidden: true });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h("form", { class: "guest-form" }, label, expiry, h("button", { type: "submit", class: "btn btn-primary btn-small" }, "Create guest link"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      const link = await owner.createGuestLink(sid, label.value.trim() || "Guest", Number(expiry.value));
      const field = h("input", { type: "text", readonly: true, value: link.url, class: "link-field", "aria-label": "Guest link" });
      const copy = h("button", { type: "button", class: "btn btn-secondary btn-small" }, "Copy");
      copy.addEventListener("click", async () => {
        await navigator.clipboard.writeText(link.url).then(() => { copy.textContent = "Copied"; }, () => field.select());
      });
      result.replaceChildren(h("p", {}, "Send this link to your guest. Its key is after the #: the relay never sees it."), field, copy);
      result.hidden = false;
      await refresh();
    } catch (err) {
      error.textContent = `Could not create the link: ${err.message}`;
      error.hidden = false;
    }
  });

  async function refresh() {
    const { guests } = await owner.api.get(`/v1/sessions/${encodeURIComponent(sid)}/guests`);
    list.replaceChildren(...(guests.length ? guests.map((g) => {
      const expired = Date.parse(g.expires_at) <= Date.now();
      const revoke = h("button", { type: "button", class: "btn btn-danger btn-small", disabled: g.revoked }, g.revoked ? "Revoked" : "Revoke");
      revoke.addEventListener("click", async () => {
        revoke.disabled = true;
        try {
          await owner.revokeGuest(sid, g.guest_id);
        } finally {
          await refresh();
        }
      });
      return h("li", { dataset: { guest: g.guest_id } }, h("strong", {}, g.label), " ",
        h("span", { class: "muted" }, g.revoked ? "revoked" : expired ? "expired" : `until ${new Date(g.expires_at).toLocaleString()}`), " ", revoke);
    }) : [h("li", { class: "muted" }, "No guest links yet.")]));
  }

  panel.replaceChildren(h("h3", {}, "Guests"), form, result, error, list);
  await refresh();
}
