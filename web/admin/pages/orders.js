// Orders: the list (every customer's, for staff) and one order with its events and the staff
// actions cancel, refund and ship. Fields and routes added later (failureReason, shipment, the
// ship body, customer refund requests) are shown when the API has them and skipped when not.

import { h, field, table, money, when, badge, fill } from "../dom.js";
import { api, capabilities } from "../http.js";
import { busy, notice, pager } from "../ui.js";
import { hasRole } from "../session.js";
import { followOrder, reasonWords } from "./reviews.js";
import { refundRequests } from "./refund-requests.js";

export const title = "Orders";
export const roles = ["support", "admin"];

const STATUSES = [
  "pending", "awaiting_review", "confirmed", "shipped", "out_of_stock",
  "payment_failed", "rejected", "cancelled", "refunded",
];
const ENDS = ["out_of_stock", "payment_failed", "rejected", "cancelled", "refunded"];
const reason = (r) => (r ? String(r).replace(/_/g, " ") : "—");

export async function render(main, { rest, params }) {
  if (rest[0]) return detail(main, decodeURIComponent(rest[0]));
  return list(main, params);
}

async function list(main, params) {
  const status = h("select", { name: "status" }, h("option", { value: "" }, "any status"),
    STATUSES.map((s) => h("option", { value: s, selected: params.get("status") === s }, s.replace(/_/g, " "))));
  const find = h("input", { name: "orderId", autocomplete: "off", class: "mono" });
  const open = h("button", { type: "submit" }, "Open");
  const filter = h("form", { class: "inline", "aria-label": "Filter orders" }, field("Status", status));
  status.addEventListener("change", () => {
    location.hash = status.value ? `#/orders?status=${status.value}` : "#/orders";
  });
  const jump = h("form", { class: "inline", "aria-label": "Open an order by id" }, field("Order id", find), open);
  jump.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (find.value.trim()) location.hash = `#/orders/${encodeURIComponent(find.value.trim())}`;
  });
  const holder = h("div");
  main.append(filter, jump, holder);
  let rows = [];
  const query = params.get("status") ? `&status=${encodeURIComponent(params.get("status"))}` : "";
  await pager(
    (t) => api(`/orders?limit=25${query}${t ? `&continuationToken=${encodeURIComponent(t)}` : ""}`).then((r) => r.data),
    (items, more) => {
      const fresh = items.map((o) => [
        h("a", { href: `#/orders/${encodeURIComponent(o.id)}`, class: "mono" }, o.id),
        when(o.createdAt),
        badge(o.status),
        money(o.total),
        money(o.refundedAmount),
        reason(o.failureReason),
        Array.isArray(o.refundRequests) ? String(o.refundRequests.filter((r) => r.status === "requested").length || "—") : "—",
      ]);
      rows = more ? rows.concat(fresh) : fresh;
      fill(holder, table("Orders, newest first", ["order", "placed", "status", "total", "refunded", "failure reason", "refund requests"], rows,
        { empty: "No orders match." }));
    },
    main,
  );
}

async function detail(main, orderId) {
  main.querySelector("h1").textContent = `Order ${orderId}`;
  const body = h("div");
  // Outside the part a reload redraws, so an action's result (or the API's problem) stays in view.
  const out = h("div", { class: "results", "aria-live": "polite" });
  main.append(h("p", {}, h("a", { href: "#/orders" }, "← All orders")), out, body);
  const caps = await capabilities();
  const reload = async () => {
    const { data: order } = await api(`/orders/${encodeURIComponent(orderId)}`);
    const { data: events } = await api(`/orders/${encodeURIComponent(orderId)}/events`);
    fill(body, summary(order), actions(order, caps, reload, out), await refundRequests(order, caps, reload, out),
      h("h2", {}, "Items"),
      table("Items", ["sku", "name", "quantity", "unit price", "line total"],
        order.items.map((i) => [h("span", { class: "mono" }, i.sku), i.name, String(i.quantity), money(i.unitPrice), money(i.lineTotal)])),
      h("h2", {}, "Events"),
      table("The order's events, oldest first", ["#", "event", "at", "details"],
        events.items.map((e) => [String(e.sequence), e.type, when(e.at), eventDetails(e.data)])));
  };
  await reload();
}

// What a person wants from an event's data: decisions, reasons, notes, who; never ids or payloads.
const DETAIL_KEYS = ["decision", "reasons", "reason", "failureReason", "note", "by", "carrier", "trackingNumber", "amount", "score"];

function eventDetails(data) {
  const parts = [];
  for (const key of DETAIL_KEYS) {
    const v = data?.[key];
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) continue;
    const shown = Array.isArray(v) ? v.map(reasonWords).join(", ") : typeof v === "object" && v.amount ? money(v) : String(v);
    parts.push(`${key}: ${shown}`);
  }
  return parts.join("; ") || "—";
}

/** The customer's id, then their name and email from GET /users/{id} (staff) when it answers. */
function customer(id) {
  const name = h("span");
  const cell = h("span", {}, h("span", { class: "mono" }, id), name);
  api(`/users/${encodeURIComponent(id)}`)
    .then(({ data: u }) => name.append(` · ${[u.displayName, u.email].filter(Boolean).join(", ")}`))
    .catch(() => {}); // the id alone still identifies them
  return cell;
}

function summary(order) {
  const facts = [
    ["Status", badge(order.status)],
    ["Failure reason", order.failureReason !== undefined ? reason(order.failureReason) : null],
    ["Customer", customer(order.customerId)],
    ["Placed", when(order.createdAt)],
    ["Total", money(order.total)],
    ["Refunded", money(order.refundedAmount)],
    ["Payment", order.payment ? `${order.payment.status}, card •••• ${order.payment.last4}` : "none"],
    ["Fraud", order.fraud ? `${order.fraud.decision} (score ${order.fraud.score.toFixed(3)}, ${order.fraud.modelVersion || "rules only"})` : "not scored"],
    ["Ship to", [order.shippingAddress?.line1, order.shippingAddress?.city, order.shippingAddress?.country].filter(Boolean).join(", ")],
    ["Shipment", order.shipment
      ? `${[order.shipment.carrier, order.shipment.trackingNumber].filter(Boolean).join(" ") || "untracked"}, shipped ${when(order.shipment.shippedAt)}`
      : order.shipment === null ? "not shipped" : null],
  ].filter(([, v]) => v !== null && v !== undefined);
  return h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k }, v)]));
}

function actions(order, caps, reload, out) {
  const section = h("section", { "aria-labelledby": "act-h", class: "panel" }, h("h2", { id: "act-h" }, "Actions"));
  const terminal = ENDS.includes(order.status);
  const after = async (verb, done) => {
    const moved = await followOrder(order.id, { done, timeoutMs: 20_000 });
    await reload();
    return notice(`${verb}: order ${order.id} is now ${moved.status.replace(/_/g, " ")}.`);
  };

  if (!terminal && order.status !== "shipped") {
    const cancel = h("button", { type: "button", class: "danger" }, "Cancel order");
    cancel.addEventListener("click", () =>
      busy(cancel, out, "Cancelling", async () => {
        await api(`/orders/${encodeURIComponent(order.id)}/cancel`, { method: "POST" });
        return after("Cancel", (o) => ENDS.includes(o.status));
      }));
    section.append(h("div", { class: "actions" }, cancel));
  }

  if (order.payment && ["captured", "partially_refunded"].includes(order.payment.status)) {
    const amount = h("input", { name: "amount", inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,2})?", autocomplete: "off" });
    const why = h("input", { name: "reason", required: true, maxlength: "500", autocomplete: "off" });
    const go = h("button", { type: "submit" }, "Refund");
    const form = h("form", { class: "inline", "aria-label": "Refund" },
      field(`Amount (${order.currency})`, amount, "Empty: the rest of the captured amount"), field("Reason", why), go);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(go, out, "Refunding", async () => {
        const body = { reason: why.value };
        if (amount.value.trim()) body.amount = { amount: amount.value.trim(), currency: order.currency };
        const { data } = await api(`/orders/${encodeURIComponent(order.id)}/refunds`, {
          method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() },
        });
        await reload();
        return notice(`Refunded ${money(data.amount)} (${data.status}).`);
      });
    });
    section.append(h("h3", {}, "Refund"), form);
  }

  if (order.status === "confirmed" && hasRole("admin")) {
    const withBody = caps.bodyOf("/orders/{orderId}/ship", "post");
    const carrier = h("input", { name: "carrier", autocomplete: "off", maxlength: "100" });
    const tracking = h("input", { name: "trackingNumber", autocomplete: "off", class: "mono", maxlength: "100" });
    const go = h("button", { type: "submit" }, "Mark shipped");
    const form = h("form", { class: "inline", "aria-label": "Ship" },
      withBody ? [field("Carrier", carrier, "optional"), field("Tracking number", tracking, "optional")] : null, go);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(go, out, "Shipping", async () => {
        const opts = { method: "POST" };
        // Both or neither: an order may ship untracked (the API's body is optional).
        if (withBody && (carrier.value.trim() || tracking.value.trim())) {
          opts.body = { carrier: carrier.value.trim(), trackingNumber: tracking.value.trim() };
        }
        await api(`/orders/${encodeURIComponent(order.id)}/ship`, opts);
        return after("Ship", (o) => o.status !== "confirmed");
      });
    });
    section.append(h("h3", {}, "Ship"), form);
  }
  if (section.children.length === 1) section.append(h("p", { class: "empty" }, `No staff action applies to a ${order.status.replace(/_/g, " ")} order.`));
  return section;
}
