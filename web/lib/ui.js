// Small DOM helpers shared by the storefront and the back office. No framework: pages build HTML
// with the `html` tagged template (every interpolated value is escaped unless wrapped in raw()).

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

class Raw {
  constructor(s) {
    this.s = s;
  }
  toString() {
    return this.s;
  }
}

/** Trusted markup (another html`` result, or a constant): not escaped again. */
export const raw = (s) => new Raw(String(s));

function piece(v) {
  if (v instanceof Raw) return v.s;
  if (Array.isArray(v)) return v.map(piece).join("");
  if (v === null || v === undefined || v === false) return "";
  return escapeHtml(v);
}

/** html`<p>${name}</p>` → Raw with every value escaped; arrays are joined. */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    out += piece(v) + strings[i + 1];
  });
  return new Raw(out);
}

export function render(target, content) {
  const node = typeof target === "string" ? document.querySelector(target) : target;
  node.innerHTML = piece(content);
  return node;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** {amount: "19.99", currency: "USD"} → "$19.99" (amounts are decimal strings, never floats). */
export function money(m, locale) {
  if (m === null || m === undefined) return "—";
  const amount = typeof m === "object" ? m.amount : m;
  const currency = (typeof m === "object" && m.currency) || "USD";
  const n = Number(amount);
  if (!Number.isFinite(n)) return `${amount} ${currency}`;
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency}`;
  }
}

export function number(n, digits = 0) {
  const v = Number(n);
  return Number.isFinite(v) ? v.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "—";
}

export function percent(x, digits = 1) {
  const v = Number(x);
  return Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : "—";
}

export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "awaiting_review" → "Awaiting review". */
export function words(code) {
  const s = String(code ?? "").replace(/[_-]+/g, " ").trim();
  return s ? s[0].toUpperCase() + s.slice(1) : "";
}

/** The problem details of an ApiError (or any Error) as plain sentences for people. */
export function problemWords(err) {
  if (!err) return "";
  const title = err.title || err.message || "Something went wrong";
  const parts = [err.detail ? `${title}: ${err.detail}` : title];
  for (const e of err.errors || []) {
    parts.push(e.field ? `${e.field}: ${e.message}` : String(e.message || ""));
  }
  return parts.filter(Boolean).join(". ").replace(/\.\./g, ".");
}

/** The same as markup: a titled alert with the detail and one list item per field error. */
export function problemHtml(err) {
  const fields = (err && err.errors) || [];
  return html`<div class="problem" role="alert">
    <p class="problem-title"><strong>${err?.title || err?.message || "Something went wrong"}</strong>${err?.status ? html` <span class="muted">(${err.status})</span>` : ""}</p>
    ${err?.detail ? html`<p class="problem-detail">${err.detail}</p>` : ""}
    ${fields.length ? html`<ul class="problem-fields">${fields.map((f) => html`<li>${f.field ? html`<code>${f.field}</code>: ` : ""}${f.message}</li>`)}</ul>` : ""}
  </div>`;
}

/** Put a problem (or null to clear) into a container, e.g. a form's error slot. */
export function showProblem(target, err) {
  const node = typeof target === "string" ? document.querySelector(target) : target;
  if (!node) return;
  node.innerHTML = err ? piece(problemHtml(err)) : "";
  if (err) node.hidden = false;
}

let liveRegion = null;
/** Say something to screen-reader users (a polite live region shared by the page). */
export function announce(message) {
  if (!liveRegion) {
    liveRegion = document.getElementById("sc-announcer");
    if (!liveRegion) {
      liveRegion = document.createElement("div");
      liveRegion.id = "sc-announcer";
      liveRegion.className = "visually-hidden";
      liveRegion.setAttribute("aria-live", "polite");
      document.body.append(liveRegion);
    }
  }
  liveRegion.textContent = "";
  setTimeout(() => {
    liveRegion.textContent = message;
  }, 30);
}

/** Debounce for as-you-type features (autocomplete); `.cancel()` drops a pending call. */
export function debounce(fn, ms = 200) {
  let t = null;
  const debounced = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(t);
  return debounced;
}

/** Form fields → plain object (trimmed strings; empty ones left out). */
export function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    const s = typeof v === "string" ? v.trim() : v;
    if (s !== "") out[k] = s;
  }
  return out;
}

/** Disable a form's buttons while `work` runs, so a double click cannot submit twice. */
export async function busy(form, work) {
  const buttons = $$("button, input[type=submit]", form);
  buttons.forEach((b) => (b.disabled = true));
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    form.removeAttribute("aria-busy");
  }
}

const ORDER_STATUS_TONES = {
  pending: "info",
  awaiting_review: "warn",
  confirmed: "ok",
  shipped: "ok",
  out_of_stock: "bad",
  payment_failed: "bad",
  rejected: "bad",
  cancelled: "muted",
  refunded: "muted",
  // notifications, refund requests, proposals, models
  queued: "info",
  sent: "info",
  delivered: "ok",
  failed: "bad",
  requested: "warn",
  approved: "ok",
  applied: "ok",
  expired: "muted",
  champion: "ok",
};

/** A status badge: the words plus a tone class (colour is never the only signal). */
export function statusBadge(status) {
  const tone = ORDER_STATUS_TONES[status] || "info";
  return html`<span class="badge badge-${tone}" data-status="${status}">${words(status)}</span>`;
}
