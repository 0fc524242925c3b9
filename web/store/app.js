// The storefront: a hash router (works on any static host, no rewrite rules needed), the header's
// sign-in, search box and cart count, and one view module per page.
import { PERSONAS, onChange, session, signIn, signOut } from "../lib/auth.js";
import { $, announce, html, problemHtml, render } from "../lib/ui.js";
import { cartCount } from "./cart-store.js";
import { initSearchBox } from "./search-box.js";

const VIEWS = [
  [/^\/?$/, () => import("./home.js"), "Home"],
  [/^\/browse$/, () => import("./browse.js"), "Shop"],
  [/^\/product\/([^/]+)$/, () => import("./product.js"), "Product"],
  [/^\/search$/, () => import("./search.js"), "Search"],
  [/^\/cart$/, () => import("./cart.js"), "Cart"],
  [/^\/checkout$/, () => import("./checkout.js"), "Checkout"],
  [/^\/orders$/, () => import("./orders.js"), "Orders"],
  [/^\/orders\/([^/]+)$/, () => import("./order.js"), "Order"],
  [/^\/notifications$/, () => import("./notifications.js"), "Notifications"],
  [/^\/account$/, () => import("./account.js"), "Account"],
];

let cleanup = null;
let generation = 0;
let firstRoute = true; // the first page keeps the browser's focus (Tab reaches the skip link first)

/** "#/search?q=x" → {path: "/search", query: URLSearchParams} */
export function currentRoute() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs = ""] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(qs) };
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  const mine = ++generation;
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  const { path, query } = currentRoute();
  const main = $("#main");
  const box = $("#search-input");
  if (path !== "/search" && box && document.activeElement !== box) box.value = ""; // a search's words stay on its page only
  const found = VIEWS.find(([re]) => re.test(path));
  if (!found) {
    document.title = "Not found · SmartCommerce";
    render(main, html`<h1>Page not found</h1><p>There is no page at <code>${path}</code>. <a href="#/">Go to the shop's home</a>.</p>`);
    return;
  }
  const [re, load, name] = found;
  const params = path.match(re).slice(1).map(decodeURIComponent);
  main.setAttribute("aria-busy", "true");
  try {
    const view = await load();
    if (mine !== generation) return;
    document.title = `${name} · SmartCommerce`;
    cleanup = await view.default(main, { params, query, go, stillCurrent: () => mine === generation });
  } catch (err) {
    if (mine !== generation) return;
    render(main, html`<h1>Something went wrong</h1>${problemHtml(err)}`);
  } finally {
    if (mine === generation) {
      main.removeAttribute("aria-busy");
      const h1 = main.querySelector("h1");
      const typing = document.activeElement?.closest?.("#search-form, #session") != null;
      if (h1 && !firstRoute && !typing) {
        h1.setAttribute("tabindex", "-1");
        h1.focus({ preventScroll: true });
      }
      if (h1 && !firstRoute) announce(h1.textContent || "");
      firstRoute = false;
    }
  }
}

function renderSession() {
  const s = session();
  const box = $("#session");
  if (s) {
    render(
      box,
      html`<span>Signed in as <strong data-testid="signed-in-as">${s.name}</strong></span>
        <button type="button" class="secondary" id="sign-out">Sign out</button>`,
    );
    $("#sign-out").addEventListener("click", () => signOut());
  } else {
    render(
      box,
      html`<form id="sign-in-form" class="row">
        <div><label for="persona" class="visually-hidden">Demo customer</label>
        <select id="persona" name="persona">${PERSONAS.filter((p) => p.roles.includes("customer")).map(
          (p) => html`<option value="${p.key}">${p.label}</option>`,
        )}</select></div>
        <div><button type="submit">Sign in</button></div>
        <div id="sign-in-problem" aria-live="assertive"></div>
      </form>`,
    );
    $("#sign-in-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await signIn($("#persona").value);
      } catch (err) {
        render($("#sign-in-problem"), problemHtml(err));
      }
    });
  }
}

export function refreshCartCount() {
  const n = cartCount();
  const el = $("#cart-count");
  if (el) {
    el.textContent = String(n);
    el.setAttribute("aria-label", `${n} item${n === 1 ? "" : "s"}`);
  }
}

function start() {
  // "#main" would be a route here: the skip link moves focus itself.
  document.querySelector(".skip-link")?.addEventListener("click", (e) => {
    e.preventDefault();
    $("#main").focus();
  });
  renderSession();
  refreshCartCount();
  initSearchBox($("#search-form"), go);
  window.addEventListener("hashchange", route);
  window.addEventListener("sc-cart-changed", refreshCartCount);
  window.addEventListener("storage", refreshCartCount);
  onChange(() => {
    renderSession();
    route(); // pages that need a customer re-render once one signed in (or out)
  });
  route();
}

start();
