// The customer's notifications (GET /api/me/notifications): what was sent, on which channel, and
// whether it arrived.
import { get } from "../lib/api.js";
import { dateTime, html, problemHtml, render, statusBadge, words } from "../lib/ui.js";
import { requireCustomer } from "./common.js";

export default async function notifications(main) {
  if (!requireCustomer(main, "see your notifications")) return;
  render(main, html`<h1>Notifications</h1><div id="notes"><p class="muted">Loading…</p></div>`);
  try {
    const page = await get("/me/notifications", { limit: 50 });
    render(
      "#notes",
      page.items.length
        ? html`<ul class="cards-list" data-testid="notifications">${page.items.map(
            (n) => html`<li class="card"><h2 class="h3">${n.subject || words(n.template)}</h2>
              <p class="muted">${words(n.channel)} · ${dateTime(n.sentAt || n.createdAt)} · ${statusBadge(n.status)}</p>
              ${n.error || n.detail ? html`<p>${n.error || n.detail}</p>` : ""}</li>`,
          )}</ul>`
        : html`<p>No notifications yet. Order confirmations, shipping and refund notices appear here.</p>`,
    );
  } catch (err) {
    render("#notes", problemHtml(err));
  }
}
