// The cart lives in the browser (localStorage) until checkout: the API has no cart resource, an
// order is created in one POST /orders with its items.
const KEY = "sc.cart";

export function cartItems() {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}

function save(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
  window.dispatchEvent(new CustomEvent("sc-cart-changed"));
}

export const cartCount = () => cartItems().reduce((n, i) => n + i.quantity, 0);

/** item: {sku, productId, name, unitPrice: Money, attributes} */
export function addToCart(item, quantity = 1) {
  const items = cartItems();
  const line = items.find((i) => i.sku === item.sku);
  if (line) line.quantity = Math.min(99, line.quantity + quantity);
  else items.push({ ...item, quantity });
  save(items);
}

export function setQuantity(sku, quantity) {
  const items = cartItems()
    .map((i) => (i.sku === sku ? { ...i, quantity } : i))
    .filter((i) => i.quantity > 0);
  save(items);
}

export const clearCart = () => save([]);

/** The estimate shown before ordering; the API computes the real total. */
export function cartSubtotal() {
  const items = cartItems();
  const currency = items[0]?.unitPrice?.currency || "USD";
  const cents = items.reduce((sum, i) => sum + Math.round(Number(i.unitPrice.amount) * 100) * i.quantity, 0);
  return { amount: (cents / 100).toFixed(2), currency };
}
