// One order: its status changing live (the real-time stream, polling as the fallback), why it
// failed, what happened when (its event stream), and what the customer can do next: cancel
// before shipping, or ask for a refund (POST /api/orders/{id}/refund-requests).
import { api, get, post, request } from "../lib/api.js";
import { watchOrders } from "../lib/stream.js";
import { announce, busy, dateTime, html, money, problemHtml, render, statusBadge, words } from "../lib/ui.js";
import { productHref, requireCustomer } from "./common.js";
import { STATUS_HELP, failureReason, reasonWords } from "./order-words.js";

const CANCELLABLE = new Set(["pending", "awaiting_review", "confirmed"]);
// The API takes refund requests for delivered (shipped) orders; before that, cancelling is the way.
const REFUNDABLE = new Set(["shipped"]);
const LIVE_WORDS = { connecting: "Connecting to live updates…", live: "Live updates on", polling: "Checking for updates every few seconds", closed: "" };

export default async function order(main, { params }) {
  if (!requireCustomer(main, "see your order")) return;
  const [id] = params;
  let current = await get(`/orders/${encodeURIComponent(id)}`);
  let events = [];
  let etag = null;
  render(
    main,
    html`<h1>Order <code>${id}</code></h1>
      <p class="live-state muted" id="live-state" data-state="connecting" aria-live="off">${LIVE_WORDS.connecting}</p>
      <section id="order-status" aria-live="polite" aria-atomic="true"></section>
      <section id="order-details"></section>
      <section id="order-actions" aria-labelledby="actions-h"></section>
      <div id="action-result" aria-live="assertive"></div>
      <section aria-labelledby="history-h"><h2 id="history-h">History</h2><ol class="timeline" id="order-events"></ol></section>`,
  );

  const drawStatus = () => {
    const reason = failureReason(current, events);
    render(
      main.querySelector("#order-status"),
      html`<p class="order-status-big">Status: <span data-testid="order-status">${statusBadge(current.status)}</span></p>
        <p>${STATUS_HELP[current.status] || ""}</p>
        ${reason ? html`<div class="problem" data-testid="failure-reason"><p><strong>Why:</strong> ${reasonWords(reason)}</p></div>` : ""}
        ${current.shipment ? html`<p>Shipped with ${current.shipment.carrier}, tracking number <code>${current.shipment.trackingNumber}</code> (${dateTime(current.shipment.shippedAt)}).</p>` : ""}`,
    );
  };

  const drawDetails = () => {
    const o = current;
    render(
      main.querySelector("#order-details"),
      html`<h2>Items</h2>
        <div class="table-wrap"><table><caption class="visually-hidden">Items in the order</caption>
          <thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Price</th><th scope="col" class="num">Total</th></tr></thead>
          <tbody>${o.items.map((i) => html`<tr><td><a href="${productHref(i.productId)}">${i.name}</a> <span class="muted">${i.sku}</span></td><td class="num">${i.quantity}</td><td class="num">${money(i.unitPrice)}</td><td class="num">${money(i.lineTotal)}</td></tr>`)}</tbody>
          <tfoot><tr><th scope="row" colspan="3">Total</th><td class="num"><strong>${money(o.total)}</strong></td></tr>
          ${Number(o.refundedAmount?.amount || 0) > 0 ? html`<tr><th scope="row" colspan="3">Refunded</th><td class="num">${money(o.refundedAmount)}</td></tr>` : ""}</tfoot>
        </table></div>
        <p>Placed ${dateTime(o.createdAt)}. Ships to ${o.shippingAddress ? `${o.shippingAddress.line1}, ${o.shippingAddress.postalCode} ${o.shippingAddress.city}, ${o.shippingAddress.country}` : "—"}.
        ${o.payment ? html`Paid with the card ending ${o.payment.last4} (payment ${words(o.payment.status).toLowerCase()}).` : ""}</p>
        ${Array.isArray(o.refundRequests) && o.refundRequests.length
          ? html`<h3>Refund requests</h3><ul data-testid="refund-requests">${o.refundRequests.map(
              (r) => html`<li>${statusBadge(r.status)} “${r.reason || ""}”${r.amount ? html` for ${money(r.amount)}` : ""} <span class="muted">asked ${dateTime(r.createdAt)}${r.decidedAt ? html`, decided ${dateTime(r.decidedAt)}` : ""}</span>${r.note ? html`<br>${r.note}` : ""}</li>`,
            )}</ul>`
          : ""}`,
    );
  };

  // Redrawn only when what can be done changes: an update arriving while the customer types a
  // refund reason must not wipe it.
  let actionsKey = null;
  const drawActions = () => {
    const o = current;
    const requests = Array.isArray(o.refundRequests) ? o.refundRequests : [];
    const open = requests.some((r) => r.status === "requested");
    const key = `${o.status}:${o.refundedAmount?.amount}:${requests.length}:${open}`;
    if (key === actionsKey) return;
    actionsKey = key;
    const canCancel = CANCELLABLE.has(o.status);
    const canRefund = !open && REFUNDABLE.has(o.status) && Number(o.refundedAmount?.amount || 0) < Number(o.total?.amount || 0);
    render(
      main.querySelector("#order-actions"),
      canCancel || canRefund
        ? html`<h2 id="actions-h">Need something?</h2>
          ${canCancel ? html`<form id="cancel-form"><button type="submit" class="secondary" id="cancel-order">Cancel this order</button></form>` : ""}
          ${canRefund
            ? html`<form id="refund-form" class="panel">
                <label for="refund-reason">Ask for a refund: what went wrong?</label>
                <textarea id="refund-reason" name="reason" rows="2" maxlength="500" required></textarea>
                <p><button type="submit" id="request-refund">Request a refund</button></p>
              </form>`
            : ""}
`
        : html`<h2 id="actions-h" class="visually-hidden">Actions</h2>`,
    );
    const result = main.querySelector("#action-result");
    main.querySelector("#cancel-form")?.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(e.target, async () => {
        try {
          // If-Match when the API versions orders: a cancel based on a stale view is refused (412).
          await post(`/orders/${encodeURIComponent(id)}/cancel`, undefined, etag ? { ifMatch: etag } : {});
          render(result, html`<p class="notice">Cancellation requested.</p>`);
          await refresh();
        } catch (err) {
          render(result, problemHtml(err));
        }
      });
    });
    main.querySelector("#refund-form")?.addEventListener("submit", (e) => {
      e.preventDefault();
      const reason = main.querySelector("#refund-reason").value.trim();
      busy(e.target, async () => {
        try {
          const r = await post(`/orders/${encodeURIComponent(id)}/refund-requests`, { reason: reason || "no reason given" });
          render(result, html`<p class="notice" data-testid="refund-requested">Refund requested (${words(r?.status || "requested")}). Our team will look at it.</p>`);
          announce("Refund requested");
          await refresh();
        } catch (err) {
          render(result, html`<p>The refund request was not sent.</p>${problemHtml(err)}`);
        }
      });
    });
  };

  const drawEvents = () => {
    render(
      main.querySelector("#order-events"),
      events.length ? events.map((e) => html`<li><strong>${words(e.type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase())}</strong> <span class="muted">${dateTime(e.at)}</span></li>`) : html`<li class="muted">No events yet.</li>`,
    );
  };

  const refresh = async () => {
    const [res, ev] = await Promise.all([request(`/orders/${encodeURIComponent(id)}`), api(`/orders/${encodeURIComponent(id)}/events`).catch(() => ({ items: [] }))]);
    const o = res.data;
    const changed = o.status !== current.status;
    current = o;
    etag = res.etag;
    events = ev.items || [];
    drawStatus();
    drawDetails();
    drawActions();
    drawEvents();
    if (changed) announce(`Order status: ${words(o.status)}`);
  };

  await refresh();
  const live = main.querySelector("#live-state");
  const watcher = watchOrders({
    onStatus: (msg) => {
      if (msg.orderId === id) refresh().catch(() => {});
    },
    onState: (state) => {
      if (!live.isConnected) return;
      live.dataset.state = state;
      live.textContent = LIVE_WORDS[state] || "";
      // Updates reach the page from the moment the stream is connected: re-read once, in case
      // the order moved on between the first read and the subscription.
      if (state === "live") refresh().catch(() => {});
    },
  });
  watcher.watch(id, current.status);
  return () => watcher.close();
}
