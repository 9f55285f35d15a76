// Pairing approval (crypto SPEC §9): show the agent's name and the fingerprint of the key in the link;
// approve with a MAC keyed by the link's secret and an owner-signed agent certificate, or refuse.

import { ApiError } from "../api.js";
import {
  CryptoError, b64uDecode, b64uEncode, bytesEqual, fingerprint, pairingMac, parsePairingFragment, PublicKeys, signAgentCert,
} from "../crypto.js";
import { h } from "../dom.js";

export async function pairPage(root, { owner, pid, fragment, app }) {
  let p;
  let agentEd;
  try {
    [p, agentEd] = parsePairingFragment(fragment || "");
  } catch {
    root.replaceChildren(h("section", { class: "card narrow" }, h("h2", {}, "This pairing link is incomplete"),
      h("p", {}, "Open the whole link the agent printed (it ends with #p=…&a=…).")));
    return;
  }
  root.replaceChildren(h("p", { class: "muted" }, "Loading the pairing…"));
  let info;
  try {
    info = await owner.api.get(`/v1/pairings/${encodeURIComponent(pid)}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    root.replaceChildren(h("section", { class: "card narrow" },
      h("h2", {}, err.status === 404 ? "No such pairing" : "The pairing could not be loaded"),
      h("p", {}, err.status === 404 ? "This pairing does not exist on this relay, or it has been removed." : `The relay said: ${err.message}`)));
    return;
  }
  const fp = await fingerprint(agentEd);
  if (!bytesEqual(b64uDecode(info.ed25519, 32), agentEd)) {
    root.replaceChildren(h("section", { class: "card narrow danger" }, h("h2", {}, "Do not approve this pairing"),
      h("p", {}, "The relay shows a different key for this agent than the link does. Someone may be trying to pair their own agent with your account."),
      h("p", {}, "Key in the link: ", h("code", { class: "fingerprint" }, fp))));
    return;
  }
  const status = h("p", { class: "pair-status", role: "status" });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const approve = h("button", { type: "button", class: "btn btn-primary" }, "Approve");
  const refuse = h("button", { type: "button", class: "btn btn-danger" }, "Refuse");
  const buttons = h("div", { class: "buttons" }, approve, refuse);
  const finish = (text) => {
    buttons.remove();
    status.textContent = text;
  };
  if (info.status !== "pending") finish(`This pairing is ${info.status}.`);

  approve.addEventListener("click", async () => {
    approve.disabled = refuse.disabled = true;
    error.hidden = true;
    try {
      const me = owner.identity;
      const keys = new PublicKeys(b64uDecode(info.x25519, 32), agentEd);
      const mac = await pairingMac(p, info.pairing_id, agentEd, me.x25519Pub, me.ed25519Pub);
      const cert = await signAgentCert(me, { ownerId: owner.ownerId, agentId: info.agent_id, name: info.name, keys });
      await owner.api.post(`/v1/pairings/${encodeURIComponent(info.pairing_id)}/approve`, {
        owner_x25519: b64uEncode(me.x25519Pub), owner_ed25519: b64uEncode(me.ed25519Pub), mac: b64uEncode(mac), agent_cert: cert,
      });
      owner.agentCache = null;
      finish(`Approved. ${info.name} can now reach you.`);
      buttons.remove();
      status.after(h("div", { class: "buttons" }, h("button", { type: "button", class: "btn btn-secondary", on: { click: () => app.navigate("/agents") } }, "See your agents")));
    } catch (err) {
      if (!(err instanceof ApiError) && !(err instanceof CryptoError)) throw err;
      approve.disabled = refuse.disabled = false;
      error.textContent = err instanceof ApiError && err.code === "pairing_not_pending" ? "This pairing is no longer pending." : `Could not approve: ${err.message}`;
      error.hidden = false;
    }
  });
  refuse.addEventListener("click", async () => {
    approve.disabled = refuse.disabled = true;
    try {
      await owner.api.post(`/v1/pairings/${encodeURIComponent(info.pairing_id)}/refuse`, {});
      finish("Refused. The agent was not paired.");
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      approve.disabled = refuse.disabled = false;
      error.textContent = `Could not refuse: ${err.message}`;
      error.hidden = false;
    }
  });

  root.replaceChildren(h("section", { class: "card narrow pairing" },
    h("h2", {}, "Pair an agent"),
    h("p", {}, "An agent asks to act for you. Approve only if you started this pairing and the fingerprint matches the one the agent shows."),
    h("dl", { class: "pair-facts" },
      h("dt", {}, "Agent"), h("dd", { class: "agent-name" }, info.name),
      h("dt", {}, "Fingerprint"), h("dd", {}, h("code", { class: "fingerprint" }, fp)),
      h("dt", {}, "Requested"), h("dd", {}, new Date(info.created_at).toLocaleString())),
    buttons, status, error));
}
