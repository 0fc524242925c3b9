// Feedback shared by the pages: the API's problem details shown in words, notices, busy buttons.

import { h } from "./dom.js";
import { ApiProblem } from "./http.js";

/** An alert box holding the API's own title, detail, code and field errors (never a bare status). */
export function problemBox(err, action) {
  const text = err instanceof ApiProblem ? err.message : String(err?.message || err);
  return h("div", { class: "problem", role: "alert" }, action ? h("strong", {}, `${action} failed. `) : null, text);
}

export function notice(text) {
  return h("p", { class: "notice", role: "status" }, text);
}

export function toast(text) {
  const el = document.getElementById("toast");
  el.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.textContent = ""), 6000);
}

/**
 * Run `fn` with `button` disabled, showing its result in `out`: nothing on success unless fn
 * returns a node, the problem box on failure. Returns fn's result (undefined on failure).
 */
export async function busy(button, out, action, fn) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  out?.replaceChildren();
  let result;
  try {
    result = await fn();
    if (result instanceof Node) out?.append(result);
  } catch (err) {
    out?.append(problemBox(err, action));
    result = undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
  // The action redrew or removed its own button: keep keyboard focus on what it reported
  // instead of letting it fall back to the top of the page.
  const said = out?.lastElementChild;
  if (said && !button.isConnected) {
    said.tabIndex = -1;
    said.focus();
  }
  return result;
}

/** A "Load more" button for a paged list: `load(token)` returns {items, continuationToken}. */
export function pager(load, renderItems, into) {
  let next = null;
  const more = h("button", { type: "button", class: "secondary" }, "Load more");
  const out = h("div");
  async function page(token) {
    const data = await load(token);
    renderItems(data.items, Boolean(token));
    next = data.continuationToken;
    more.hidden = !next;
  }
  more.addEventListener("click", () => busy(more, out, "Loading the next page", () => page(next)));
  into.append(more, out);
  more.hidden = true;
  return page(null);
}
