// Browse the catalog by category and brand (GET /api/products), a page at a time. The API pages
// with an opaque continuationToken; the tokens of earlier pages are kept for "Previous".
import { get } from "../lib/api.js";
import { html, problemHtml, render } from "../lib/ui.js";
import { loadTaxonomy, productCard } from "./common.js";

const PAGE_SIZE = 12;

export default async function browse(main, { query, go }) {
  const tax = await loadTaxonomy();
  const category = query.get("category") || "";
  const brand = query.get("brand") || "";
  const page = Math.max(1, Number(query.get("page") || 1));
  const title = [tax.brands.get(brand), tax.categories.get(category)].filter(Boolean).join(" ") || "All products";
  render(
    main,
    html`<h1>${title}</h1>
      <form id="browse-filters" class="row panel" aria-label="Filter products">
        <div><label for="f-category">Category</label>
          <select id="f-category" name="category"><option value="">All categories</option>${[...tax.categories].map(
            ([id, name]) => html`<option value="${id}" ${id === category ? html`selected` : ""}>${name}</option>`,
          )}</select></div>
        <div><label for="f-brand">Brand</label>
          <select id="f-brand" name="brand"><option value="">All brands</option>${[...tax.brands].map(
            ([id, name]) => html`<option value="${id}" ${id === brand ? html`selected` : ""}>${name}</option>`,
          )}</select></div>
        <div><button type="submit">Show</button></div>
      </form>
      <div id="results" aria-live="polite"><p class="muted">Loading…</p></div>`,
  );
  main.querySelector("#browse-filters").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    const c = main.querySelector("#f-category").value;
    const b = main.querySelector("#f-brand").value;
    if (c) q.set("category", c);
    if (b) q.set("brand", b);
    go(`#/browse${q.toString() ? `?${q}` : ""}`);
  });
  // Page n needs the token page n-1 returned: walk from the first page (cached per filter).
  const key = `sc.pages.${category}.${brand}`;
  const tokens = JSON.parse(sessionStorage.getItem(key) || "[null]");
  try {
    let n = Math.min(page, tokens.length);
    let result = await get("/products", { category, brand, limit: PAGE_SIZE, continuationToken: tokens[n - 1] || undefined });
    while (n < page && result.continuationToken) {
      tokens[n] = result.continuationToken;
      n += 1;
      result = await get("/products", { category, brand, limit: PAGE_SIZE, continuationToken: result.continuationToken });
    }
    if (result.continuationToken) tokens[n] = result.continuationToken;
    sessionStorage.setItem(key, JSON.stringify(tokens.slice(0, 50)));
    const base = new URLSearchParams();
    if (category) base.set("category", category);
    if (brand) base.set("brand", brand);
    const href = (p) => {
      const q = new URLSearchParams(base);
      q.set("page", String(p));
      return `#/browse?${q}`;
    };
    render(
      "#results",
      html`${result.items.length ? html`<ul class="grid">${result.items.map((p) => productCard(p, tax))}</ul>` : html`<p>No products match.</p>`}
        <nav class="pager" aria-label="Pages">
          ${n > 1 ? html`<a class="button secondary" href="${href(n - 1)}" rel="prev">Previous page</a>` : ""}
          <span aria-current="page">Page ${n}</span>
          ${result.continuationToken ? html`<a class="button secondary" href="${href(n + 1)}" rel="next">Next page</a>` : ""}
        </nav>`,
    );
  } catch (err) {
    render("#results", problemHtml(err));
  }
}
