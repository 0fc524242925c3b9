// Small DOM and formatting helpers for the back office (no framework: the pages are forms and tables).

/** Create an element: h("button", {type: "button", onclick}, "Approve"). Children may be nested arrays. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Append children to an element, skipping null/false (DOM append would print them as text). */
export function add(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form control: the label is always visible (placeholders are not labels). */
export function field(label, input, hint) {
  const id = input.id || (input.id = uid("f"));
  const hintEl = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintEl);
}

let counter = 0;
export function uid(prefix = "id") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A table with a caption, column headers and a horizontal scroll wrapper for narrow screens. */
export function table(caption, headers, rows, { empty = "Nothing to show." } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  const wrapper = h("div", { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" });
  wrapper.append(
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
      // data-label: on a phone each row stacks into "header: value" lines (admin.css).
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c, i) => h("td", { "data-label": headers[i] }, c))))),
    ),
  );
  return wrapper;
}

export function money(m) {
  if (!m) return "—";
  const n = Number(m.amount);
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: m.currency }).format(n);
  } catch {
    return `${m.amount} ${m.currency}`;
  }
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export function pct(x, digits = 1) {
  return x === null || x === undefined ? "—" : `${(x * 100).toFixed(digits)} %`;
}

export function num(x, digits = 2) {
  return x === null || x === undefined ? "—" : Number(x).toFixed(digits);
}

/** A status word as a badge; the text carries the meaning, the colour only repeats it. */
export function badge(status) {
  return h("span", { class: `badge badge-${String(status).replace(/[^a-z_]/g, "")}` }, String(status).replace(/_/g, " "));
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
