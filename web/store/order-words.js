// What order statuses and failure reasons mean, in words a customer understands.
import { words } from "../lib/ui.js";

export const FAILURE_REASONS = {
  card_declined: "The card was declined by the bank.",
  insufficient_funds: "The card has insufficient funds.",
  payment_error: "The payment could not be processed.",
  out_of_stock: "An item went out of stock before the order could be reserved.",
  fraud_rejected: "The order was stopped by our fraud checks.",
  review_timeout: "The order was held for review and nobody decided in time.",
  cancelled_by_customer: "You cancelled the order.",
  cancelled_by_staff: "Our staff cancelled the order.",
};

export const STATUS_HELP = {
  pending: "We are reserving your items and taking the payment.",
  awaiting_review: "Your order is being checked by our team before it is confirmed.",
  confirmed: "Your order is confirmed and will ship soon.",
  shipped: "Your order is on its way.",
  out_of_stock: "We could not reserve your items.",
  payment_failed: "The payment did not go through; nothing was charged.",
  rejected: "The order was not accepted.",
  cancelled: "The order was cancelled; any payment is voided or refunded.",
  refunded: "The order was refunded in full.",
};

export const FINAL = new Set(["out_of_stock", "payment_failed", "rejected", "cancelled", "refunded"]);

/** The reason an order failed: the order's own `failureReason` when the API has it, otherwise the
 * reason the workflow recorded in the order's events (older API versions). */
export function failureReason(order, events = []) {
  if (order.failureReason) return order.failureReason;
  if (!FINAL.has(order.status) || order.status === "refunded") return null;
  for (const e of [...events].reverse()) {
    const r = e.data && (e.data.reason || e.data.code);
    if (typeof r === "string" && r) return r;
  }
  return null;
}

export const reasonWords = (code) => (code ? FAILURE_REASONS[code] || `${words(code)}.` : "");
