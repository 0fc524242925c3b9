// Reorder recommendations (skus at or below their reorder point, fewest days of cover first) and
// one sku's demand forecast drawn with its interval against the reorder point.

import { h, field, table, when, num, fill } from "../dom.js";
import { api } from "../http.js";
import { bandChart } from "../charts.js";
import { busy, notice, pager, problemBox } from "../ui.js";
import { pollJob } from "./models.js";

export const title = "Reorder recommendations";
export const roles = ["admin"];

export async function render(main, { rest }) {
  const sku = h("input", { name: "sku", class: "mono", autocomplete: "off", required: true, value: rest[0] ? decodeURIComponent(rest[0]) : "" });
  const show = h("button", { type: "submit" }, "Show forecast");
  const lookup = h("form", { class: "inline", "aria-label": "Forecast of a sku" }, field("Sku", sku), show);
  lookup.addEventListener("submit", (ev) => {
    ev.preventDefault();
    location.hash = `#/reorder/${encodeURIComponent(sku.value.trim())}`;
  });
  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh forecasts now");
  const jobOut = h("div", { "aria-live": "polite" });
  refresh.addEventListener("click", () =>
    busy(refresh, jobOut, "Refreshing the forecasts", async () => {
      const { data } = await api("/inventory/forecasts/refresh", { method: "POST" });
      const line = h("p", { role: "status" });
      jobOut.append(line);
      const final = await pollJob(data.statusQueryGetUri, (s) => fill(line, `Forecast refresh: ${s.runtimeStatus}`));
      if (final.runtimeStatus !== "Completed") throw new Error(`The forecast refresh ended ${final.runtimeStatus}`);
      return notice("Forecasts refreshed; reload the page to see the new recommendations.");
    }));
  const forecast = h("section", { "aria-labelledby": "fc-h" }, h("h2", { id: "fc-h" }, "Demand forecast"), lookup);
  const recs = h("section", { "aria-labelledby": "rec-h" }, h("h2", { id: "rec-h" }, "Below their reorder point"),
    h("div", { class: "actions" }, refresh), jobOut);
  main.append(forecast, recs);
  if (rest[0]) {
    await drawForecast(forecast, decodeURIComponent(rest[0])).catch((err) =>
      forecast.append(problemBox(err, `Loading the forecast of ${decodeURIComponent(rest[0])}`)));
  }

  const holder = h("div");
  recs.append(holder);
  let rows = [];
  await pager(
    (t) => api(`/inventory/reorder-recommendations?limit=25${t ? `&continuationToken=${encodeURIComponent(t)}` : ""}`).then((r) => r.data),
    (items, more) => {
      const fresh = items.map((r) => [
        h("a", { href: `#/reorder/${encodeURIComponent(r.sku)}`, class: "mono" }, r.sku),
        String(r.available),
        num(r.reorderPoint, 1),
        num(r.safetyStock, 1),
        h("strong", {}, String(r.recommendedOrderQuantity)),
        r.daysOfCover === null ? "—" : num(r.daysOfCover, 1),
        `${num(r.leadTimeDays, 0)} d`,
        `${num(r.serviceLevel * 100, 0)} %`,
      ]);
      rows = more ? rows.concat(fresh) : fresh;
      fill(holder, table("Skus to reorder, fewest days of cover first",
        ["sku", "available", "reorder point", "safety stock", "order", "days of cover", "lead time", "service level"], rows,
        { empty: "No sku is at or below its reorder point." }));
    },
    recs,
  );
}

async function drawForecast(into, sku) {
  const { data: f } = await api(`/inventory/${encodeURIComponent(sku)}/forecast`);
  into.append(
    h("dl", { class: "facts" },
      h("dt", {}, "Method"), h("dd", {}, `${f.method}${f.intermittent ? " (intermittent demand)" : ""}, ${f.modelVersion}`),
      h("dt", {}, "Generated"), h("dd", {}, when(f.generatedAt)),
      h("dt", {}, "Available"), h("dd", {}, String(f.available)),
      h("dt", {}, "Reorder point"), h("dd", {}, num(f.reorderPoint, 1)),
      h("dt", {}, "Safety stock"), h("dd", {}, num(f.safetyStock, 1)),
      h("dt", {}, "Order quantity"), h("dd", {}, String(f.recommendedOrderQuantity))),
    bandChart({
      mean: f.daily,
      lower: f.lower,
      upper: f.upper,
      startDate: f.startDate,
      title: `Daily demand forecast of ${sku} with its 90 % interval`,
    }),
  );
}
