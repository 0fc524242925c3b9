// A product: variants (each its own sku, price and availability), add to cart, and "customers
// also bought" (GET /api/recommendations?productId=). A signed-in view is recorded as an
// interaction so the customer's "for you" list learns from it.
import { get, post } from "../lib/api.js";
import { session } from "../lib/auth.js";
import { announce, html, money, problemHtml, render, words } from "../lib/ui.js";
import { addToCart } from "./cart-store.js";
import { loadTaxonomy, productCard, productsById } from "./common.js";

function attributesText(attrs) {
  return Object.entries(attrs || {})
    .map(([k, v]) => `${words(k)}: ${v}`)
    .join(", ");
}

function availabilityText(level) {
  if (!level) return html`<span class="muted">Availability unknown</span>`;
  if (level.available <= 0) return html`<span class="badge badge-bad">Out of stock</span>`;
  if (level.available < 5) return html`<span class="badge badge-warn">Only ${level.available} left</span>`;
  return html`<span class="badge badge-ok">In stock</span> <span class="muted">(${level.available} available)</span>`;
}

export default async function product(main, { params }) {
  const [id] = params;
  const [p, tax] = await Promise.all([get(`/products/${encodeURIComponent(id)}`), loadTaxonomy()]);
  const units = p.variants.length ? p.variants.map((v) => ({ sku: v.sku, attributes: v.attributes, price: v.price || p.price })) : [{ sku: p.sku, attributes: {}, price: p.price }];
  const levels = new Map(
    await Promise.all(units.map((u) => get(`/inventory/${encodeURIComponent(u.sku)}`).then((l) => [u.sku, l], () => [u.sku, null]))),
  );
  const firstAvailable = units.find((u) => (levels.get(u.sku)?.available || 0) > 0) || units[0];
  const brand = tax.brands.get(p.brandId) || p.brandId;
  const category = tax.categories.get(p.categoryId) || p.categoryId;
  render(
    main,
    html`<nav aria-label="Breadcrumb"><a href="#/browse?category=${encodeURIComponent(p.categoryId)}">${category}</a> › <a href="#/browse?brand=${encodeURIComponent(p.brandId)}">${brand}</a></nav>
      <article class="product-page" data-sku="${p.sku}">
        <div>${p.images.length ? html`<img src="${p.images[0]}" alt="${p.name}">` : html`<div class="product-image" aria-hidden="true">${p.name.slice(0, 1)}</div>`}</div>
        <div>
          <h1>${p.name}</h1>
          <p class="muted">${brand} · ${category}${p.status === "archived" ? " · no longer sold" : ""}</p>
          <p>${p.description}</p>
          ${Object.keys(p.attributes || {}).length ? html`<p class="muted">${attributesText(p.attributes)}</p>` : ""}
          <form id="add-form" aria-describedby="unit-price unit-stock">
            ${p.variants.length
              ? html`<fieldset class="variants"><legend>Choose an option</legend>${units.map(
                  (u) => html`<label><input type="radio" name="sku" value="${u.sku}" ${u.sku === firstAvailable.sku ? html`checked` : ""}> ${attributesText(u.attributes) || u.sku}</label>`,
                )}</fieldset>`
              : html`<input type="hidden" name="sku" value="${p.sku}">`}
            <p class="price-big" id="unit-price"></p>
            <p id="unit-stock" aria-live="polite"></p>
            <div class="row tight"><div><label for="qty">Quantity</label><input id="qty" name="quantity" type="number" min="1" max="99" value="1" inputmode="numeric"></div>
            <div><button type="submit" id="add-to-cart">Add to cart</button></div></div>
            <div id="add-result" aria-live="polite"></div>
          </form>
        </div>
      </article>
      <section aria-labelledby="also-h"><h2 id="also-h">Customers also bought</h2><div id="also-bought"><p class="muted">Loading…</p></div></section>`,
  );
  const form = main.querySelector("#add-form");
  const selected = () => units.find((u) => u.sku === new FormData(form).get("sku")) || units[0];
  const showUnit = () => {
    const u = selected();
    render(main.querySelector("#unit-price"), money(u.price));
    render(main.querySelector("#unit-stock"), availabilityText(levels.get(u.sku)));
    main.querySelector("#add-to-cart").disabled = p.status === "archived" || (levels.get(u.sku)?.available ?? 1) <= 0;
  };
  showUnit();
  form.addEventListener("change", showUnit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const u = selected();
    const quantity = Math.max(1, Math.min(99, Number(form.querySelector("#qty").value) || 1));
    addToCart({ sku: u.sku, productId: p.id, name: p.name, unitPrice: u.price, attributes: u.attributes }, quantity);
    render(main.querySelector("#add-result"), html`<p class="notice">Added ${quantity} × ${p.name} to your cart. <a href="#/cart">View cart</a></p>`);
    announce(`Added ${quantity} ${p.name} to your cart`);
    if (session()) post("/interactions", { productId: p.id, type: "add_to_cart" }).catch(() => {});
  });
  if (session()) post("/interactions", { productId: p.id, type: "view" }).catch(() => {});
  try {
    const recs = await get("/recommendations", { productId: p.id, limit: 4 });
    const products = await productsById((recs.items || []).map((r) => r.productId).filter((x) => x !== p.id));
    render(
      main.querySelector("#also-bought"),
      products.length ? html`<ul class="grid" data-testid="also-bought">${products.map((x) => productCard(x, tax))}</ul>` : html`<p class="muted">Nothing to suggest yet.</p>`,
    );
  } catch (err) {
    render(main.querySelector("#also-bought"), problemHtml(err));
  }
}
