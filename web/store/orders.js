// Order history: every order with its status (updated live) and, for failed ones, why.
import { api, get } from "../lib/api.js";
import { watchOrders } from "../lib/stream.js";
import { dateTime, html, money, problemHtml, render, statusBadge, words } from "../lib/ui.js";
import { requireCustomer } from "./common.js";
import { FINAL, failureReason, reasonWords } from "./order-words.js";

const PAGE_SIZE = 20;

async function reasonOf(order) {
  if (order.failureReason !== undefined || !FINAL.has(order.status) || order.status === "refunded") return failureReason(order);
  try {
    const events = await api(`/orders/${encodeURIComponent(order.id)}/events`);
    return failureReason(order, events.items || []);
  } catch {
    return null;
  }
}

export default async function orders(main, { query }) {
  if (!requireCustomer(main, "see your orders")) return;
  const status = query.get("status") || "";
  render(
    main,
    html`<h1>Your orders</h1>
      <form id="orders-filter" class="row panel" aria-label="Filter orders"><div><label for="o-status">Status</label>
        <select id="o-status" name="status"><option value="">All</option>${["pending", "awaiting_review", "confirmed", "shipped", "payment_failed", "out_of_stock", "rejected", "cancelled", "refunded"].map(
          (s) => html`<option value="${s}" ${s === status ? html`selected` : ""}>${words(s)}</option>`,
        )}</select></div><div><button type="submit">Show</button></div></form>
      <div id="orders-list"><p class="muted">Loading…</p></div>`,
  );
  main.querySelector("#orders-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    const s = main.querySelector("#o-status").value;
    location.hash = s ? `#/orders?status=${s}` : "#/orders";
  });
  let page;
  try {
    page = await get("/orders", { status, limit: PAGE_SIZE, continuationToken: query.get("after") || undefined });
  } catch (err) {
    render("#orders-list", problemHtml(err));
    return;
  }
  const reasons = await Promise.all(page.items.map(reasonOf));
  render(
    "#orders-list",
    page.items.length
      ? html`<div class="table-wrap"><table data-testid="orders">
          <caption class="visually-hidden">Your orders, newest first</caption>
          <thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Items</th><th scope="col" class="num">Total</th><th scope="col">Status</th></tr></thead>
          <tbody>${page.items.map(
            (o, i) => html`<tr data-order="${o.id}">
              <td><a href="#/orders/${encodeURIComponent(o.id)}">${o.id}</a></td>
              <td>${dateTime(o.createdAt)}</td>
              <td>${o.items.map((it) => `${it.quantity} × ${it.name}`).join(", ")}</td>
              <td class="num">${money(o.total)}</td>
              <td class="status-cell">${statusBadge(o.status)}${reasons[i] ? html`<br><span class="failure-reason">${reasonWords(reasons[i])}</span>` : ""}</td>
            </tr>`,
          )}</tbody></table></div>
          ${page.continuationToken ? html`<p><a class="button secondary" href="#/orders?${new URLSearchParams({ ...(status ? { status } : {}), after: page.continuationToken })}">Older orders</a></p>` : ""}`
      : html`<p>No orders yet. <a href="#/browse">Start shopping</a>.</p>`,
  );
  const list = main.querySelector("#orders-list");
  // A pushed update says that the order moved, not where it is now: updates are delivered at least
  // once and in no fixed order (several events of one order can be relayed together and handled
  // concurrently), so showing `msg.status` could put an older status over a newer one. The row
  // shows the order as read after the update instead; only the latest read of a row is shown.
  const reads = new Map(); // orderId -> number of the latest read
  async function showCurrent(id) {
    const n = (reads.get(id) || 0) + 1;
    reads.set(id, n);
    try {
      const order = await api(`/orders/${encodeURIComponent(id)}`);
      const cell = main.querySelector(`tr[data-order="${CSS.escape(id)}"] .status-cell`);
      if (!cell || reads.get(id) !== n) return;
      const reason = await reasonOf(order);
      if (reads.get(id) !== n) return;
      render(cell, html`${statusBadge(order.status)}${reason ? html`<br><span class="failure-reason">${reasonWords(reason)}</span>` : ""}`);
    } catch {
      /* the next update, or the next visit, shows it */
    }
  }
  const watcher = watchOrders({
    onStatus: (msg) => {
      showCurrent(msg.orderId);
    },
    onState: (state) => {
      list.dataset.live = state; // "live" once updates are pushed (tests wait for it)
      // From the moment updates are pushed, re-read what is still moving, in case it moved between
      // the list's read and the subscription (the order page does the same).
      if (state === "live") for (const o of page.items) if (!FINAL.has(o.status)) showCurrent(o.id);
    },
  });
  for (const o of page.items) if (!FINAL.has(o.status)) watcher.watch(o.id, o.status);
  return () => watcher.close();
}
