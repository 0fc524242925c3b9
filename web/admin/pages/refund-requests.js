// An order's customer refund requests (API.md v1.1: the customer asks, staff decide), shown on the
// order page where the API has them and approved or rejected through their own routes.

import { h, table, money, when, badge } from "../dom.js";
import { api } from "../http.js";
import { busy, notice } from "../ui.js";

/** Customer refund requests (on the order, where the API has them): approved or rejected by staff. */
export async function refundRequests(order, caps, reload, out) {
  const items = Array.isArray(order.refundRequests) ? order.refundRequests : [];
  if (!items.length) return null;
  const base = `/orders/${encodeURIComponent(order.id)}/refund-requests`;
  const decideRoute = caps.has("/orders/{orderId}/refund-requests/{requestId}/approve", "post");
  const rows = items.map((r) => {
    const cell = h("div", { class: "actions" });
    if (r.status === "requested") {
      const approve = h("button", { type: "button", "aria-label": `Approve refund request ${r.id}` }, "Approve");
      const reject = h("button", { type: "button", class: "secondary", "aria-label": `Reject refund request ${r.id}` }, "Reject");
      approve.addEventListener("click", () =>
        busy(approve, out, "Approving the refund request", async () => {
          if (decideRoute) {
            await api(`${base}/${encodeURIComponent(r.id)}/approve`, { method: "POST" });
          } else {
            // Before the decision routes: staff approve by refunding what was asked (API.md v1.1).
            const body = { reason: r.reason || `refund request ${r.id}` };
            if (r.amount) body.amount = r.amount;
            await api(`/orders/${encodeURIComponent(order.id)}/refunds`, {
              method: "POST", body, headers: { "Idempotency-Key": `refund-request-${r.id}` },
            });
          }
          await reload();
          return notice(`Refund request ${r.id} approved.`);
        }));
      reject.addEventListener("click", () =>
        busy(reject, out, "Rejecting the refund request", async () => {
          await api(`${base}/${encodeURIComponent(r.id)}/reject`, { method: "POST" });
          await reload();
          return notice(`Refund request ${r.id} rejected; nothing was refunded.`);
        }));
      cell.append(approve);
      if (decideRoute) cell.append(reject);
    } else {
      cell.append(r.decidedBy ? `${r.status} by ${r.decidedBy}` : r.status);
    }
    return [h("span", { class: "mono" }, r.id), badge(r.status), r.amount ? money(r.amount) : "the rest", r.reason || "—", when(r.createdAt), cell];
  });
  return h("section", { "aria-labelledby": "rr-h" }, h("h2", { id: "rr-h" }, "Refund requests"),
    table("The customer's refund requests", ["request", "status", "amount", "reason", "asked", "decision"], rows));
}
