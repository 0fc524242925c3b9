// Products, prices and stock: the catalog list with each sku's availability, and one product
// with its price (changed with If-Match on the ETag just read), price history and stock per sku.

import { h, field, table, money, when, fill } from "../dom.js";
import { api, listAll } from "../http.js";
import { busy, notice, pager } from "../ui.js";

export const title = "Products, prices and stock";
export const roles = ["admin"];

export async function render(main, { rest, params }) {
  if (rest[0]) return detail(main, decodeURIComponent(rest[0]));
  return list(main, params.get("category") || "");
}

async function stockOf(sku) {
  try {
    const { data } = await api(`/inventory/${encodeURIComponent(sku)}`);
    return `${data.available} available (${data.onHand} on hand, ${data.reserved} reserved)`;
  } catch (err) {
    return `unknown (${err.status || "error"})`;
  }
}

async function list(main, category) {
  const categories = await listAll("/categories", { max: 100 });
  const pick = h("select", { name: "category" }, h("option", { value: "" }, "every category"),
    categories.map((c) => h("option", { value: c.id, selected: c.id === category }, c.name)));
  pick.addEventListener("change", () => (location.hash = pick.value ? `#/products?category=${encodeURIComponent(pick.value)}` : "#/products"));
  const holder = h("div");
  main.append(h("form", { class: "inline", "aria-label": "Filter products" }, field("Category", pick)), holder);
  let rows = [];
  const q = category ? `&category=${encodeURIComponent(category)}` : "";
  await pager(
    (t) => api(`/products?limit=20${q}${t ? `&continuationToken=${encodeURIComponent(t)}` : ""}`).then((r) => r.data),
    async (items, more) => {
      const fresh = await Promise.all(
        items.map(async (p) => [
          h("a", { href: `#/products/${encodeURIComponent(p.id)}` }, p.name),
          h("span", { class: "mono" }, p.sku),
          money(p.price),
          p.variants.length ? `${p.variants.length} variants` : await stockOf(p.sku),
        ]),
      );
      rows = more ? rows.concat(fresh) : fresh;
      fill(holder, table("Active products", ["product", "sku", "price", "stock"], rows, { empty: "No products yet." }));
    },
    main,
  );
}

async function detail(main, productId) {
  const body = h("div");
  main.append(h("p", {}, h("a", { href: "#/products" }, "← All products")), body);
  const reload = async (message) => {
    const res = await api(`/products/${encodeURIComponent(productId)}`);
    const product = res.data;
    main.querySelector("h1").textContent = product.name;
    const { data: prices } = await api(`/products/${encodeURIComponent(productId)}/prices`);
    const skus = [product.sku, ...product.variants.map((v) => v.sku)].filter((s, i, all) => all.indexOf(s) === i);
    fill(
      body,
      message ? notice(message) : null,
      h("dl", { class: "facts" },
        h("dt", {}, "Product id"), h("dd", { class: "mono" }, product.id),
        h("dt", {}, "Status"), h("dd", {}, product.status),
        h("dt", {}, "Price"), h("dd", { "data-fact": "price" }, money(product.price)),
        h("dt", {}, "Updated"), h("dd", {}, when(product.updatedAt))),
      priceForm(product, res.headers.get("ETag"), reload),
      recommendation(product),
      h("h2", {}, "Price history"),
      table("Every price, oldest first", ["price", "from"], prices.items.map((p) => [money(p.price), when(p.effectiveFrom)])),
      h("h2", {}, "Stock"),
      await Promise.all(skus.map((sku) => stockPanel(sku, product))),
    );
  };
  await reload();
}

function priceForm(product, etag, reload) {
  const amount = h("input", { name: "amount", required: true, inputmode: "decimal", value: product.price.amount,
    pattern: "[0-9]+(\\.[0-9]{1,2})?" });
  const currency = h("input", { name: "currency", required: true, value: product.price.currency, size: "4",
    maxlength: "3", autocomplete: "off" });
  const go = h("button", { type: "submit" }, "Change price");
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "inline", "aria-label": "Change price" }, field("New price", amount), field("Currency", currency), go);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, out, "Changing the price", async () => {
      // If-Match with the ETag of the GET this form was built from: a concurrent change is a 412.
      const { data } = await api(`/products/${encodeURIComponent(product.id)}/price`, {
        method: "PUT", ifMatch: etag, body: { price: { amount: amount.value.trim(), currency: currency.value.trim().toUpperCase() } },
      });
      await reload(`Price changed to ${money(data.price)}.`);
    });
  });
  return h("section", { class: "panel", "aria-label": "Price" }, h("h2", {}, "Price"), form, out);
}

/** The pricing model's suggestion for this product (admin), or the API's reason why there is none. */
function recommendation(product) {
  const section = h("section", { class: "panel", "aria-labelledby": "rec-h" }, h("h2", { id: "rec-h" }, "Price recommendation"));
  const body = h("div", {}, "Loading…");
  section.append(body);
  api(`/pricing/${encodeURIComponent(product.id)}/recommendation`)
    .then(({ data: r }) => {
      const use = h("button", { type: "button", class: "secondary" }, `Use ${money(r.recommendedPrice)}`);
      use.addEventListener("click", () => {
        const input = document.querySelector('input[name="amount"]');
        input.value = r.recommendedPrice.amount;
        input.focus();
      });
      fill(body,
        h("dl", { class: "facts" },
          h("dt", {}, "Recommended"), h("dd", { "data-fact": "recommended" }, `${money(r.recommendedPrice)} (now ${money(r.currentPrice)})`),
          h("dt", {}, "Expected a day"), h("dd", {}, `${r.expectedUnits.toFixed(1)} units, ${money(r.expectedProfit)} profit (now ${r.currentExpectedUnits.toFixed(1)} units, ${money(r.currentExpectedProfit)})`),
          h("dt", {}, "Elasticity"), h("dd", {}, `${r.elasticity.toFixed(2)} (${Math.round(r.elasticityInterval.level * 100)} % interval ${r.elasticityInterval.lower.toFixed(2)} to ${r.elasticityInterval.upper.toFixed(2)})`),
          h("dt", {}, "Allowed range"), h("dd", {}, `${money(r.bounds.lower)} to ${money(r.bounds.upper)}${r.bounds.binding.length ? `, limited by ${r.bounds.binding.join(", ")}` : ""}`),
          r.reason ? [h("dt", {}, "Note"), h("dd", {}, r.reason)] : null,
          h("dt", {}, "Model"), h("dd", { class: "mono" }, r.modelVersion)),
        r.feasible ? h("div", { class: "actions" }, use) : h("p", {}, "No price satisfies every guardrail."),
        h("p", {}, h("a", { href: `#/reorder/${encodeURIComponent(r.sku)}` }, `Demand forecast of ${r.sku}`)));
    })
    .catch((err) => fill(body, h("p", { class: "empty" }, `No recommendation: ${err.message}`)));
  return section;
}

async function stockPanel(sku, product) {
  const levels = h("p", { "data-stock": sku });
  const history = h("div");
  const refresh = async () => {
    const { data } = await api(`/inventory/${encodeURIComponent(sku)}`);
    fill(levels, `${data.available} available · ${data.onHand} on hand · ${data.reserved} reserved`);
    const { data: adj } = await api(`/inventory/${encodeURIComponent(sku)}/adjustments?limit=10`);
    fill(history, table(`Last adjustments of ${sku}`, ["when", "change", "on hand after", "reason", "by"],
      adj.items.map((a) => [when(a.createdAt), a.delta > 0 ? `+${a.delta}` : String(a.delta), String(a.onHandAfter), a.reason, a.adjustedBy || "—"]),
      { empty: "No adjustments yet." }));
  };
  const delta = h("input", { name: "delta", type: "number", required: true, step: "1", inputmode: "numeric" });
  const why = h("input", { name: "reason", required: true, maxlength: "200", value: "stock count", autocomplete: "off" });
  const go = h("button", { type: "submit" }, "Adjust stock");
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "inline", "aria-label": `Adjust stock of ${sku}` },
    field("Change in units (negative removes)", delta), field("Reason", why), go);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, out, "Adjusting the stock", async () => {
      const { data } = await api(`/inventory/${encodeURIComponent(sku)}/adjustments`, {
        method: "POST", body: { delta: Number(delta.value), reason: why.value },
      });
      delta.value = "";
      await refresh();
      return notice(`${sku}: ${data.available} available now.`);
    });
  });
  const variant = product.variants.find((v) => v.sku === sku);
  const label = variant ? `${sku} (${Object.values(variant.attributes).join(", ")})` : sku;
  await refresh();
  return h("section", { class: "panel", "aria-label": `Stock of ${sku}` }, h("h3", { class: "mono" }, label), levels, form, out, history);
}
