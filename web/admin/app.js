// The back office: a hash router over one page module per area. Each page module exports
// `title`, `roles` (who may open it; the API checks again on every call) and `render(main, params)`.

import { h, fill } from "./dom.js";
import { session, signOut, onSessionChange } from "./session.js";
import { problemBox } from "./ui.js";

const PAGES = {
  reviews: () => import("./pages/reviews.js"),
  orders: () => import("./pages/orders.js"),
  products: () => import("./pages/products.js"),
  models: () => import("./pages/models.js"),
  pricing: () => import("./pages/pricing.js"),
  reorder: () => import("./pages/reorder.js"),
  experiments: () => import("./pages/experiments.js"),
  search: () => import("./pages/search.js"),
  "sign-in": () => import("./pages/signin.js"),
};

const NAV = [
  ["reviews", "Fraud reviews", ["support", "admin"]],
  ["orders", "Orders", ["support", "admin"]],
  ["products", "Products & stock", ["admin"]],
  ["models", "Models", ["admin"]],
  ["pricing", "Price proposals", ["admin"]],
  ["reorder", "Reorder", ["admin"]],
  ["experiments", "Experiments", ["admin"]],
  ["search", "Search analytics", ["admin"]],
];

function parseHash() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/").filter(Boolean);
  return { name: name || "reviews", rest, params: new URLSearchParams(query) };
}

function renderChrome(current) {
  const s = session();
  const who = document.getElementById("who");
  if (s) {
    fill(
      who,
      h("span", {}, `Signed in as ${s.name} (${s.roles.join(", ")})`),
      h("button", { type: "button", onclick: () => signOut() }, "Sign out"),
    );
  } else fill(who, h("a", { href: "#/sign-in" }, "Sign in"));
  const items = NAV.filter(([, , roles]) => s && roles.some((r) => s.roles.includes(r)));
  fill(
    document.getElementById("nav"),
    items.length
      ? h(
          "ul",
          {},
          items.map(([name, label]) =>
            h("li", {}, h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : null }, label)),
          ),
        )
      : null,
  );
}

let renderSeq = 0;
async function route() {
  const seq = ++renderSeq;
  const { name, rest, params } = parseHash();
  const main = document.getElementById("main");
  const s = session();
  const target = !s && name !== "sign-in" ? "sign-in" : PAGES[name] ? name : "reviews";
  // Back to the page asked for (the whole path: an order's page, not just "orders") after sign-in.
  if (target === "sign-in" && name !== "sign-in") params.set("next", location.hash.replace(/^#\/?/, ""));
  renderChrome(target);
  let mod;
  try {
    mod = await PAGES[target]();
  } catch (err) {
    fill(main, h("h1", {}, "Page failed to load"), problemBox(err));
    return;
  }
  if (seq !== renderSeq) return;
  if (s && mod.roles && !mod.roles.some((r) => s.roles.includes(r))) {
    document.title = "Not allowed · Back office";
    fill(main, h("h1", {}, mod.title), h("p", {}, `This page is for ${mod.roles.join(" or ")} staff only.`));
    return;
  }
  document.title = `${mod.title} · Back office · SmartCommerce`;
  const heading = h("h1", { tabindex: "-1" }, mod.title);
  fill(main, heading);
  try {
    await mod.render(main, { rest, params });
  } catch (err) {
    main.append(problemBox(err, `Loading ${mod.title.toLowerCase()}`));
  }
  // Move focus to the new page's heading so keyboard and screen-reader users land on it.
  if (document.activeElement === document.body || document.activeElement?.closest("nav")) heading.focus();
}

onSessionChange((s, detail) => {
  if (!s) location.hash = detail?.expired ? "#/sign-in?expired=1" : "#/sign-in";
  else route();
});
window.addEventListener("hashchange", route);
route();
