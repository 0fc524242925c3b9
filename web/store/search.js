// Search results (GET /api/search): facets to narrow by category, brand and price, "did you
// mean" for a misspelling, paging, and clicks reported (POST /api/search/clicks) so the search
// analytics see which results people open.
import { get, post } from "../lib/api.js";
import { html, money, problemHtml, render } from "../lib/ui.js";
import { loadTaxonomy, productCard } from "./common.js";

const FILTERS = ["category", "brand", "minPrice", "maxPrice"];
const PAGE_SIZE = 12;

function hrefWith(query, changes) {
  const q = new URLSearchParams(query);
  q.delete("page");
  q.delete("after");
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === "") q.delete(k);
    else q.set(k, v);
  }
  return `#/search?${q}`;
}

function nextHref(query, token, page) {
  const q = new URLSearchParams(query);
  q.set("after", token);
  q.set("page", String(page + 1));
  return `#/search?${q}`;
}

function facetList(title, entries, query, key, label) {
  if (!entries || !entries.length) return "";
  const current = query.get(key);
  return html`<h3>${title}</h3><ul>${entries.map((f) => {
    const on = current === f.id;
    return html`<li><a href="${hrefWith(query, { [key]: on ? null : f.id })}" aria-current="${on ? "true" : "false"}">${label(f)}</a> <span class="muted">(${f.count})</span>${on ? html` <span class="visually-hidden">selected, activate to remove</span>` : ""}</li>`;
  })}</ul>`;
}

export default async function search(main, { query }) {
  const q = (query.get("q") || "").trim();
  const input = document.querySelector("#search-input");
  if (input && input.value !== q) input.value = q;
  if (!q) {
    render(main, html`<h1>Search</h1><p>Type what you are looking for in the search box above.</p>`);
    return;
  }
  render(main, html`<h1>Results for “${q}”</h1><div id="search-body"><p class="muted">Searching…</p></div>`);
  const params = { q, limit: PAGE_SIZE, continuationToken: query.get("after") || undefined };
  for (const k of FILTERS) if (query.get(k)) params[k] = query.get(k);
  let result;
  let tax;
  try {
    [result, tax] = await Promise.all([get("/search", params), loadTaxonomy()]);
  } catch (err) {
    render("#search-body", problemHtml(err));
    return;
  }
  const facets = result.facets || {};
  const priceKey = (f) => `${f.min}-${f.max ?? ""}`;
  const currentPrice = query.get("minPrice") || query.get("maxPrice") ? `${query.get("minPrice") || ""}-${query.get("maxPrice") || ""}` : null;
  const page = Number(query.get("page") || 1);
  const active = FILTERS.filter((k) => query.get(k));
  render(
    "#search-body",
    html`<div class="layout-sidebar">
      <aside class="facets" aria-label="Narrow the results">
        <h2 class="visually-hidden">Filters</h2>
        ${active.length ? html`<p><a href="${hrefWith(query, Object.fromEntries(FILTERS.map((k) => [k, null])))}">Clear filters</a></p>` : ""}
        ${facetList("Category", facets.category, query, "category", (f) => f.name || tax.categories.get(f.id) || f.id)}
        ${facetList("Brand", facets.brand, query, "brand", (f) => f.name || tax.brands.get(f.id) || f.id)}
        ${facets.price && facets.price.length
          ? html`<h3>Price</h3><ul>${facets.price.map((f) => {
              const on = currentPrice === priceKey(f);
              return html`<li><a href="${hrefWith(query, on ? { minPrice: null, maxPrice: null } : { minPrice: f.min, maxPrice: f.max ?? null })}" aria-current="${on ? "true" : "false"}">${money({ amount: f.min, currency: "USD" })}${f.max ? html` – ${money({ amount: f.max, currency: "USD" })}` : " and up"}</a> <span class="muted">(${f.count})</span></li>`;
            })}</ul>`
          : ""}
      </aside>
      <section aria-labelledby="results-h">
        <h2 id="results-h" class="visually-hidden">Results</h2>
        ${result.didYouMean ? html`<p class="panel">Did you mean <a href="${hrefWith(query, { q: result.didYouMean })}" data-testid="did-you-mean">${result.didYouMean}</a>?</p>` : ""}
        <p aria-live="polite" data-testid="result-count">${result.total} result${result.total === 1 ? "" : "s"}${result.totalExact === false ? " (about)" : ""}</p>
        ${result.items.length
          ? html`<ol class="grid" data-testid="search-results">${result.items.map((item, i) => productCard(item, tax, html`<span hidden data-position="${(page - 1) * PAGE_SIZE + i + 1}"></span>`))}</ol>`
          : html`<p>Nothing found. Try fewer words or <a href="#/browse">browse the shop</a>.</p>`}
        <nav class="pager" aria-label="Pages">
          ${page > 1 ? html`<button type="button" class="secondary" id="prev-page">Previous page</button>` : ""}
          <span>Page ${page}</span>
          ${result.continuationToken ? html`<a class="button secondary" rel="next" href="${nextHref(query, result.continuationToken, page)}">Next page</a>` : ""}
        </nav>
      </section>
    </div>`,
  );
  main.querySelector("#prev-page")?.addEventListener("click", () => history.back());
  main.querySelectorAll("[data-testid=search-results] a").forEach((a) =>
    a.addEventListener("click", () => {
      const li = a.closest("li");
      const position = Number(li.querySelector("[data-position]")?.dataset.position || 0);
      const productId = decodeURIComponent(a.getAttribute("href").split("/").pop());
      if (result.queryId) post("/search/clicks", { queryId: result.queryId, productId, position }).catch(() => {});
    }),
  );
}
