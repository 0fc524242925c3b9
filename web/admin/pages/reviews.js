// The fraud review queue: orders in `awaiting_review`, approved or rejected by a person, then
// followed until the workflow has moved them on. Below it, how scores are spread around the cut-offs.

import { h, field, table, money, when, badge, num, sleep } from "../dom.js";
import { api, listAll } from "../http.js";
import { histogram } from "../charts.js";
import { busy, notice, pager, problemBox, toast } from "../ui.js";
import { hasRole } from "../session.js";

export const title = "Fraud review queue";
export const roles = ["support", "admin"];

const WAITING = "awaiting_review";

const settled = (o) => o.status !== WAITING && o.status !== "pending";

/** Poll the order until `done(order)`; by default until it leaves review (the workflow captures
 * and confirms after an approval). Returns the last order read, done or not. */
export async function followOrder(orderId, { done = settled, timeoutMs = 30_000 } = {}) {
  const until = Date.now() + timeoutMs;
  let order;
  do {
    ({ data: order } = await api(`/orders/${encodeURIComponent(orderId)}`));
    if (done(order)) return order;
    await sleep(400);
  } while (Date.now() < until);
  return order;
}

function decisionForm(order, onDone) {
  const note = h("input", { name: "note", maxlength: "1000", autocomplete: "off" });
  const out = h("div", { class: "decision-result", "aria-live": "polite" });
  const approve = h("button", { type: "button" }, "Approve");
  const reject = h("button", { type: "button", class: "danger" }, "Reject");
  const decide = (decision, button) =>
    busy(button, out, decision === "approve" ? "Approving" : "Rejecting", async () => {
      const body = { decision };
      if (note.value.trim()) body.note = note.value.trim();
      await api(`/orders/${encodeURIComponent(order.id)}/review`, { method: "POST", body });
      approve.disabled = reject.disabled = true;
      const waiting = notice(`Decision sent; waiting for order ${order.id} to move on…`);
      out.append(waiting);
      const after = await followOrder(order.id);
      waiting.remove();
      approve.remove();
      reject.remove();
      onDone(after);
      toast(`Order ${order.id} is now ${after.status.replace(/_/g, " ")}.`);
      return h("p", { class: "notice", role: "status" }, `Order ${order.id} is now `, badge(after.status), ".");
    });
  approve.addEventListener("click", () => decide("approve", approve));
  reject.addEventListener("click", () => decide("reject", reject));
  return h(
    "div",
    { class: "decision", dataset: { orderId: order.id } },
    // Visible "Note (optional)"; its accessible name also says which order (one form per row).
    field(["Note", h("span", { class: "visually-hidden" }, ` for order ${order.id}`), " (optional)"], note),
    h("div", { class: "actions" }, approve, reject),
    out,
  );
}

/** "rule:provider_highest" → "provider highest (rule)": the fraud check's reasons, for a person. */
export function reasonWords(reason) {
  const [kind, what] = String(reason).includes(":") ? String(reason).split(/:(.*)/s) : ["", String(reason)];
  return `${what.replace(/_/g, " ").replace(/:/g, " ")}${kind ? ` (${kind})` : ""}`;
}

/** Why the order waits: the reasons on its OrderAwaitingReview event (filled in when they arrive). */
function reasonsCell(order) {
  const cell = h("span", {}, "…");
  api(`/orders/${encodeURIComponent(order.id)}/events`)
    .then(({ data }) => {
      const waiting = data.items.filter((e) => e.type === "OrderAwaitingReview" || e.type === "FraudChecked").pop();
      const reasons = waiting?.data?.reasons || [];
      cell.replaceChildren(reasons.length ? reasons.map(reasonWords).join("; ") : "—");
    })
    .catch(() => cell.replaceChildren("—"));
  return cell;
}

function row(order, statusCell) {
  return [
    h("a", { href: `#/orders/${encodeURIComponent(order.id)}`, class: "mono" }, order.id),
    when(order.createdAt),
    h("span", { class: "mono" }, order.customerId),
    money(order.total),
    order.fraud ? num(order.fraud.score, 3) : "—",
    reasonsCell(order),
    order.fraud?.modelVersion || "rules only",
    statusCell,
    decisionForm(order, (after) => statusCell.replaceChildren(badge(after.status))),
  ];
}

async function cutoffs() {
  if (!hasRole("admin")) return [];
  try {
    const { data } = await api("/models");
    const fraud = data.items.find((m) => m.name === "fraud");
    const live = fraud?.versions.find((v) => v.live);
    const t = live?.thresholds;
    if (!t) return [];
    return [
      { label: "review from", at: Number(t.review) },
      { label: "reject from", at: Number(t.reject) },
    ].filter((c) => Number.isFinite(c.at));
  } catch {
    return [];
  }
}

async function distribution(into) {
  const orders = await listAll("/orders", { max: 300 });
  const scores = orders.filter((o) => o.fraud && Number.isFinite(o.fraud.score)).map((o) => o.fraud.score);
  if (!scores.length) {
    into.append(h("p", { class: "empty" }, "No scored orders yet."));
    return;
  }
  into.append(
    histogram(scores, {
      bins: 20,
      cutoffs: await cutoffs(),
      title: `Fraud scores of the last ${scores.length} scored orders`,
      label: "fraud score",
    }),
  );
}

export async function render(main) {
  main.append(
    h("p", { class: "lead" }, "Orders the fraud check could not decide alone. Approving lets the workflow capture the payment and confirm; rejecting releases the stock and voids the payment."),
  );
  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh the queue");
  // The router redraws the page on hashchange: the same event re-reads the queue from the API.
  refresh.addEventListener("click", () => window.dispatchEvent(new HashChangeEvent("hashchange")));
  const queue = h("section", { "aria-labelledby": "queue-h" }, h("h2", { id: "queue-h" }, "Waiting for a decision"),
    h("div", { class: "actions" }, refresh));
  const chart = h("section", { "aria-labelledby": "dist-h" }, h("h2", { id: "dist-h" }, "Score distribution"));
  main.append(queue, chart);
  const holder = h("div");
  queue.append(holder);
  let rows = [];
  const draw = () =>
    holder.replaceChildren(
      table(
        "Orders awaiting review, newest first",
        ["order", "placed", "customer", "total", "score", "why", "model", "status", "decision"],
        rows,
        { empty: "No orders are waiting for review." },
      ),
    );
  await pager(
    (tokenValue) =>
      api(`/fraud/reviews?limit=20${tokenValue ? `&continuationToken=${encodeURIComponent(tokenValue)}` : ""}`).then(
        (r) => r.data,
      ),
    (items, more) => {
      const fresh = items.map((o) => row(o, h("span", {}, badge(o.status))));
      rows = more ? rows.concat(fresh) : fresh;
      draw();
    },
    queue,
  );
  distribution(chart).catch((err) => chart.append(problemBox(err, "Loading the score distribution")));
}
