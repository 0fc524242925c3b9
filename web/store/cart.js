// The cart: quantities, an estimated subtotal (the API prices the order), then checkout.
import { html, money, render } from "../lib/ui.js";
import { cartItems, cartSubtotal, setQuantity } from "./cart-store.js";
import { productHref } from "./common.js";

export default function cart(main) {
  const draw = () => {
    const items = cartItems();
    if (!items.length) {
      render(main, html`<h1>Your cart</h1><p>Your cart is empty. <a href="#/browse">Browse the shop</a>.</p>`);
      return;
    }
    render(
      main,
      html`<h1>Your cart</h1>
        <div class="table-wrap"><table class="cart-table">
          <caption class="visually-hidden">Items in your cart</caption>
          <thead><tr><th scope="col">Item</th><th scope="col" class="num">Price</th><th scope="col">Quantity</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
          <tbody>${items.map(
            (i) => html`<tr data-sku="${i.sku}">
              <td><a href="${productHref(i.productId)}">${i.name}</a>${Object.keys(i.attributes || {}).length ? html`<br><span class="muted">${Object.values(i.attributes).join(", ")}</span>` : ""}</td>
              <td class="num">${money(i.unitPrice)}</td>
              <td><label class="visually-hidden" for="q-${i.sku}">Quantity of ${i.name}</label><input id="q-${i.sku}" type="number" min="1" max="99" value="${i.quantity}" data-sku="${i.sku}" inputmode="numeric"></td>
              <td><button type="button" class="link" data-remove="${i.sku}">Remove<span class="visually-hidden"> ${i.name}</span></button></td>
            </tr>`,
          )}</tbody>
        </table></div>
        <p>Estimated subtotal: <strong data-testid="cart-subtotal">${money(cartSubtotal())}</strong> <span class="muted">(the order's total is computed when you place it)</span></p>
        <p><a class="button" href="#/checkout" id="go-checkout">Checkout</a></p>`,
    );
    main.querySelectorAll("input[data-sku]").forEach((input) =>
      input.addEventListener("change", () => {
        setQuantity(input.dataset.sku, Math.max(0, Math.min(99, Number(input.value) || 0)));
        draw();
      }),
    );
    main.querySelectorAll("button[data-remove]").forEach((b) =>
      b.addEventListener("click", () => {
        setQuantity(b.dataset.remove, 0);
        draw();
      }),
    );
  };
  draw();
}
