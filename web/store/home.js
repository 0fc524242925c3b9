// Home: departments, "for you" recommendations (personal when signed in) and a first shelf.
import { get } from "../lib/api.js";
import { session } from "../lib/auth.js";
import { html, problemHtml, render, words } from "../lib/ui.js";
import { loadTaxonomy, productCard, productsById } from "./common.js";

export default async function home(main) {
  const s = session();
  render(
    main,
    html`<h1>${s ? `Welcome back, ${s.name.split(" ")[0]}` : "Welcome to SmartCommerce"}</h1>
      <section aria-labelledby="departments-h"><h2 id="departments-h">Departments</h2><ul class="chips" id="departments"><li class="muted">Loading…</li></ul></section>
      <section aria-labelledby="for-you-h"><h2 id="for-you-h">${s ? "Recommended for you" : "Popular right now"}</h2><div id="for-you"><p class="muted">Loading…</p></div></section>`,
  );
  const tax = await loadTaxonomy();
  render(
    "#departments",
    [...tax.categories].map(([id, name]) => html`<li><a class="button secondary" href="#/browse?category=${encodeURIComponent(id)}">${name}</a></li>`),
  );
  try {
    const recs = await get("/recommendations", { limit: 8 });
    const reasons = new Map((recs.items || []).map((r) => [r.productId, r.reason]));
    const products = await productsById((recs.items || []).map((r) => r.productId));
    render(
      "#for-you",
      products.length
        ? html`<ul class="grid" data-testid="recommendations" data-strategy="${recs.strategy || ""}">${products.map((p) => productCard(p, tax, reasons.get(p.id) && reasons.get(p.id) !== "popular" ? html`<p class="muted">${words(reasons.get(p.id))}</p>` : ""))}</ul>`
        : html`<p>No recommendations yet. <a href="#/browse">Browse the shop</a>.</p>`,
    );
  } catch (err) {
    render("#for-you", problemHtml(err));
  }
}
