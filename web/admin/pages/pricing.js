// Price proposals: the nightly pricing run's suggestions, approved (the catalog applies the price)
// or rejected by a person while they are pending.

import { h, field, table, money, when, badge, fill } from "../dom.js";
import { api } from "../http.js";
import { busy, notice, pager } from "../ui.js";

export const title = "Price proposals";
export const roles = ["admin"];

const STATUSES = ["pending", "approved", "applied", "rejected", "expired"];

function change(p) {
  const from = Number(p.currentPrice.amount);
  const to = Number(p.proposedPrice.amount);
  if (!from) return "—";
  const d = ((to - from) / from) * 100;
  return `${d > 0 ? "+" : ""}${d.toFixed(1)} %`;
}

function decide(p, statusCell, out) {
  if (p.status !== "pending") return p.decidedBy ? `by ${p.decidedBy}` : "—";
  const wrap = h("div", { class: "actions" });
  const act = (verb, button) =>
    busy(button, out, verb === "approve" ? "Approving the proposal" : "Rejecting the proposal", async () => {
      const { data } = await api(`/pricing/proposals/${encodeURIComponent(p.id)}/${verb}`, { method: "POST" });
      fill(statusCell, badge(data.status));
      wrap.replaceChildren(`by ${data.decidedBy || "you"}`);
      return notice(`Proposal for ${p.productId}: ${data.status}.`);
    });
  const approve = h("button", { type: "button", "aria-label": `Approve the proposal for ${p.productId}` }, "Approve");
  const reject = h("button", { type: "button", class: "secondary", "aria-label": `Reject the proposal for ${p.productId}` }, "Reject");
  approve.addEventListener("click", () => act("approve", approve));
  reject.addEventListener("click", () => act("reject", reject));
  wrap.append(approve, reject);
  return wrap;
}

export async function render(main, { params }) {
  const wanted = params.get("status") ?? "pending";
  const status = h("select", { name: "status" }, h("option", { value: "" }, "any status"),
    STATUSES.map((s) => h("option", { value: s, selected: s === wanted }, s)));
  status.addEventListener("change", () => (location.hash = `#/pricing?status=${status.value}`));
  main.append(
    h("p", { class: "lead" }, "Each proposal is the expected-profit-maximizing price within the guardrails (margin, step, MAP, bounds)."),
    h("form", { class: "inline", "aria-label": "Filter proposals" }, field("Status", status)),
  );
  const out = h("div", { "aria-live": "polite" });
  const holder = h("div");
  main.append(out, holder);
  let rows = [];
  const q = wanted ? `&status=${encodeURIComponent(wanted)}` : "";
  await pager(
    (t) => api(`/pricing/proposals?limit=25${q}${t ? `&continuationToken=${encodeURIComponent(t)}` : ""}`).then((r) => r.data),
    (items, more) => {
      const fresh = items.map((p) => {
        const statusCell = h("span", {}, badge(p.status));
        return [
          h("a", { href: `#/products/${encodeURIComponent(p.productId)}`, class: "mono" }, p.productId),
          money(p.currentPrice),
          money(p.proposedPrice),
          change(p),
          money(p.expectedProfitDelta),
          statusCell,
          when(p.createdAt),
          p.note || "—",
          decide(p, statusCell, out),
        ];
      });
      rows = more ? rows.concat(fresh) : fresh;
      fill(holder, table("Price proposals, newest first",
        ["product", "current", "proposed", "change", "expected profit Δ / day", "status", "proposed at", "note", "decision"], rows,
        { empty: wanted ? `No ${wanted} proposals.` : "No proposals yet." }));
    },
    main,
  );
}
