// Pieces several storefront pages share: product cards, the sign-in prompt, taxonomy lookups.
import { get } from "../lib/api.js";
import { PERSONAS, session, signIn } from "../lib/auth.js";
import { html, money, problemHtml, render } from "../lib/ui.js";

let taxonomy = null;
/** {categories: Map id→name, brands: Map id→name} (cached for the page's life). */
export async function loadTaxonomy() {
  if (!taxonomy) {
    taxonomy = Promise.all([get("/categories", { limit: 100 }), get("/brands", { limit: 100 })]).then(([c, b]) => ({
      categories: new Map((c.items || []).map((x) => [x.id, x.name])),
      brands: new Map((b.items || []).map((x) => [x.id, x.name])),
    }));
    taxonomy.catch(() => (taxonomy = null));
  }
  return taxonomy;
}

export const productHref = (id) => `#/product/${encodeURIComponent(id)}`;

/** A product tile; `p` is a product (GET /products) or a search hit (productId, price string). */
export function productCard(p, tax, extra = "") {
  const id = p.id || p.productId;
  const price = typeof p.price === "object" ? p.price : p.price !== undefined ? { amount: p.price, currency: "USD" } : null;
  const brand = tax?.brands.get(p.brandId) || "";
  const category = tax?.categories.get(p.categoryId) || "";
  return html`<li class="card product-card">
    <h3><a href="${productHref(id)}">${p.name}</a></h3>
    ${brand || category ? html`<p class="muted">${[brand, category].filter(Boolean).join(" · ")}</p>` : ""}
    ${price ? html`<p class="price">${money(price)}</p>` : ""}
    ${p.inStock === false ? html`<p><span class="badge badge-bad">Out of stock</span></p>` : ""}
    ${extra}
  </li>`;
}

/** Renders a "sign in to …" prompt into `main` when nobody is signed in; returns the session or null. */
export function requireCustomer(main, what) {
  const s = session();
  if (s) return s;
  render(
    main,
    html`<h1>Sign in to ${what}</h1>
      <p>Sign in as one of the demo customers (development tokens from devhost):</p>
      <ul class="chips">${PERSONAS.filter((p) => p.roles.includes("customer")).map(
        (p) => html`<li><button type="button" data-persona="${p.key}">Sign in as ${p.label}</button></li>`,
      )}</ul>
      <div id="prompt-problem"></div>`,
  );
  main.querySelectorAll("button[data-persona]").forEach((b) =>
    b.addEventListener("click", async () => {
      try {
        await signIn(b.dataset.persona);
      } catch (err) {
        render(main.querySelector("#prompt-problem"), problemHtml(err));
      }
    }),
  );
  return null;
}

/** Products by id, fetched in parallel; missing ones (archived, deleted) are left out. */
export async function productsById(ids) {
  const results = await Promise.allSettled(ids.map((id) => get(`/products/${encodeURIComponent(id)}`)));
  return results.filter((r) => r.status === "fulfilled").map((r) => r.value);
}
