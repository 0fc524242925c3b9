// Checkout: a shipping address (saved or new), a card (saved, or a new one tokenised with
// POST /api/payments/tokens; the sandbox's test cards are listed), then POST /api/orders with an
// Idempotency-Key kept for this attempt, so a double click or a retry cannot order twice.
// The card number goes only to the tokenisation route and is never stored by the page.
import { get, idempotencyKey, post } from "../lib/api.js";
import { busy, html, money, problemHtml, render, showProblem } from "../lib/ui.js";
import { cartItems, cartSubtotal, clearCart } from "./cart-store.js";
import { requireCustomer } from "./common.js";

// The sandbox provider's test cards (API.md, Payments): any future expiry, any CVC.
export const SANDBOX_CARDS = [
  ["4242 4242 4242 4242", "approved"],
  ["4000 0000 0000 0002", "declined (card declined)"],
  ["4000 0000 0000 9995", "declined (insufficient funds)"],
  ["4000 0000 0000 0119", "processing error, retried, then the fallback provider"],
  ["4000 0000 0000 4954", "approved, high risk: held for fraud review"],
  ["4100 0000 0000 0019", "approved, blocked risk signal: rejected as fraud"],
];

const NEXT_YEAR = new Date().getFullYear() + 2;

export default async function checkout(main, { go }) {
  if (!requireCustomer(main, "check out")) return;
  const items = cartItems();
  if (!items.length) {
    render(main, html`<h1>Checkout</h1><p>Your cart is empty. <a href="#/browse">Browse the shop</a>.</p>`);
    return;
  }
  const [me, cards] = await Promise.all([get("/me"), get("/payments/tokens").catch(() => ({ items: [] }))]);
  const addresses = me.addresses || [];
  const saved = cards.items || [];
  render(
    main,
    html`<h1>Checkout</h1>
      <p>${items.length} item${items.length === 1 ? "" : "s"}, estimated ${money(cartSubtotal())}. <a href="#/cart">Change the cart</a></p>
      <form id="checkout-form" novalidate>
        <fieldset><legend>Shipping address</legend>
          ${addresses.map(
            (a, i) => html`<label><input type="radio" name="address" value="${a.id}" ${a.isDefault || i === 0 ? html`checked` : ""}> ${a.line1}, ${a.postalCode} ${a.city}, ${a.country}</label>`,
          )}
          <label><input type="radio" name="address" value="new" ${addresses.length ? "" : html`checked`}> A new address</label>
          <div id="new-address" class="row">
            <div><label for="a-line1">Street and number</label><input id="a-line1" name="line1" autocomplete="address-line1"></div>
            <div><label for="a-city">City</label><input id="a-city" name="city" autocomplete="address-level2"></div>
            <div><label for="a-postal">Postal code</label><input id="a-postal" name="postalCode" autocomplete="postal-code"></div>
            <div><label for="a-country">Country <span class="hint">(2 letters, e.g. DE)</span></label><input id="a-country" name="country" maxlength="2" autocomplete="country"></div>
          </div>
        </fieldset>
        <fieldset><legend>Payment</legend>
          ${saved.map(
            (c, i) => html`<label><input type="radio" name="card" value="${c.token}" ${i === 0 ? html`checked` : ""}> ${c.brand} ending ${c.last4} (expires ${c.expMonth}/${c.expYear})</label>`,
          )}
          <label><input type="radio" name="card" value="new" ${saved.length ? "" : html`checked`}> A new card</label>
          <div class="row" id="new-card">
            <div><label for="c-number">Card number</label><input id="c-number" name="cardNumber" inputmode="numeric" autocomplete="cc-number"></div>
            <div><label for="c-name">Name on the card</label><input id="c-name" name="holderName" autocomplete="cc-name" value="${me.displayName || ""}"></div>
            <div><label for="c-month">Expiry month</label><input id="c-month" name="expMonth" type="number" min="1" max="12" value="12" autocomplete="cc-exp-month"></div>
            <div><label for="c-year">Expiry year</label><input id="c-year" name="expYear" type="number" min="2000" max="2100" value="${NEXT_YEAR}" autocomplete="cc-exp-year"></div>
            <div><label for="c-cvc">CVC</label><input id="c-cvc" name="cvc" inputmode="numeric" maxlength="4" value="123" autocomplete="cc-csc"></div>
          </div>
          <details class="panel" open><summary>Sandbox test cards</summary>
            <p>No real card is charged. Any future expiry and any CVC work.</p>
            <div class="table-wrap"><table><caption class="visually-hidden">Sandbox test cards</caption>
              <thead><tr><th scope="col">Card number</th><th scope="col">What happens</th><th scope="col"><span class="visually-hidden">Use</span></th></tr></thead>
              <tbody>${SANDBOX_CARDS.map(
                ([number, what]) => html`<tr><td><code>${number}</code></td><td>${what}</td><td><button type="button" class="secondary" data-card="${number}">Use<span class="visually-hidden"> card ${number}</span></button></td></tr>`,
              )}</tbody></table></div>
          </details>
        </fieldset>
        <div id="checkout-problem" aria-live="assertive"></div>
        <button type="submit" id="place-order">Place order</button>
      </form>`,
  );
  const form = main.querySelector("#checkout-form");
  // The new-address and new-card fields show only when "new" is chosen.
  const toggle = () => {
    main.querySelector("#new-address").hidden = form.querySelector('input[name=address]:checked')?.value !== "new";
    main.querySelector("#new-card").hidden = form.querySelector('input[name=card]:checked')?.value !== "new";
  };
  toggle();
  form.addEventListener("change", toggle);
  main.querySelectorAll("button[data-card]").forEach((b) =>
    b.addEventListener("click", () => {
      form.querySelector("#c-number").value = b.dataset.card;
      const radio = form.querySelector('input[name=card][value="new"]');
      radio.checked = true;
      toggle();
      form.querySelector("#c-number").focus();
    }),
  );
  // One key per attempt at the same order: a retry of the same body reuses it, a changed order
  // (another card, another address) gets a new one, as the API requires.
  let attempt = { body: null, key: null };
  const tokens = new Map(); // card details -> token: a retry reuses the card's token, hence the key
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form, async () => {
      showProblem("#checkout-problem", null);
      const f = new FormData(form);
      try {
        let paymentToken = f.get("card");
        if (paymentToken === "new") {
          const details = {
            cardNumber: String(f.get("cardNumber") || "").replace(/[\s-]/g, ""),
            expMonth: Number(f.get("expMonth")),
            expYear: Number(f.get("expYear")),
            cvc: String(f.get("cvc") || ""),
            holderName: String(f.get("holderName") || ""),
          };
          const cardKey = JSON.stringify(details);
          if (!tokens.has(cardKey)) tokens.set(cardKey, (await post("/payments/tokens", details)).token);
          paymentToken = tokens.get(cardKey);
        }
        const body = { items: cartItems().map((i) => ({ sku: i.sku, quantity: i.quantity })), paymentToken };
        const address = f.get("address");
        if (address === "new") {
          body.shippingAddress = {
            line1: String(f.get("line1") || ""),
            city: String(f.get("city") || ""),
            postalCode: String(f.get("postalCode") || ""),
            country: String(f.get("country") || "").toUpperCase(),
          };
        } else {
          body.shippingAddressId = address;
        }
        const fingerprint = JSON.stringify(body);
        if (attempt.body !== fingerprint) attempt = { body: fingerprint, key: idempotencyKey() };
        const placed = await post("/orders", body, { idempotencyKey: attempt.key });
        clearCart();
        go(`#/orders/${encodeURIComponent(placed.orderId)}`);
      } catch (err) {
        render(main.querySelector("#checkout-problem"), html`<p>The order was not placed.</p>${problemHtml(err)}`);
        main.querySelector("#checkout-problem .problem")?.setAttribute("tabindex", "-1");
        main.querySelector("#checkout-problem .problem")?.focus();
      }
    });
  });
}
