// Search analytics over a date range: volume, click-through, mean reciprocal rank of clicks, the
// most frequent queries and the ones that found nothing (what the catalog or synonyms are missing).

import { h, field, table, pct, num, fill } from "../dom.js";
import { api } from "../http.js";
import { busy } from "../ui.js";

export const title = "Search analytics";
export const roles = ["admin"];

const day = (d) => d.toISOString().slice(0, 10);

function card(label, value) {
  return h("div", { class: "card" }, h("span", { class: "value" }, value), h("span", { class: "label" }, label));
}

export async function render(main, { params }) {
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86_400_000);
  const from = h("input", { name: "from", type: "date", required: true, value: params.get("from") || day(weekAgo) });
  const to = h("input", { name: "to", type: "date", required: true, value: params.get("to") || day(today) });
  const go = h("button", { type: "submit" }, "Show");
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "inline", "aria-label": "Date range" }, field("From (UTC)", from), field("To (UTC, inclusive)", to), go);
  const holder = h("div");
  main.append(form, out, holder);
  const load = async () => {
    const { data } = await api(`/search/analytics?from=${from.value}&to=${to.value}&limit=20`);
    fill(
      holder,
      h("section", { "aria-label": "Totals" }, h("div", { class: "cards" },
        card("searches", String(data.searches)),
        card("clicks", String(data.clicks)),
        card("searches with a click", String(data.searchesWithClick)),
        card("click-through rate", pct(data.clickThroughRate)),
        card("mean reciprocal rank of clicks", num(data.meanReciprocalRank, 3)))),
      h("h2", {}, "Top queries"),
      table("Most frequent queries", ["query", "searches"], data.topQueries.map((q) => [q.query, String(q.count)]),
        { empty: "No searches in this range." }),
      h("h2", {}, "Queries with no results"),
      table("Queries that found nothing", ["query", "searches"], data.zeroResultQueries.map((q) => [q.query, String(q.count)]),
        { empty: "Every query found something." }),
    );
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, out, "Loading the analytics", load);
  });
  await load();
}
