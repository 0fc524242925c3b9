// The one way the pages talk to the SmartCommerce API (shared by the storefront and the back office).
//
// JSON in and out, the signed-in user's bearer token, an Idempotency-Key on POST /orders, and
// every failure turned into an ApiError that carries the API's problem details (RFC 9457):
// `title`, `detail`, `code`, `status` and the field `errors`, so pages can show them in words.

const META = typeof document !== "undefined" ? document.querySelector('meta[name="sc-api-base"]') : null;
// "/api" when the API is on the pages' own origin (devhost; a Static Web App with APIM linked as
// its backend). A deployment that calls APIM on another origin sets the meta tag to its URL.
export const API_BASE = (META && META.content ? META.content : "/api").replace(/\/+$/, "");

let tokenProvider = () => null;

/** auth.js registers where the current bearer token comes from. */
export function useToken(provider) {
  tokenProvider = provider;
}

export class ApiError extends Error {
  constructor(problem, status) {
    const p = problem && typeof problem === "object" ? problem : {};
    const title = p.title || `HTTP ${status}`;
    super(p.detail ? `${title}: ${p.detail}` : title);
    this.name = "ApiError";
    this.status = p.status || status;
    this.title = title;
    this.detail = p.detail || "";
    this.code = p.code || "";
    this.type = p.type || "about:blank";
    this.errors = Array.isArray(p.errors) ? p.errors : [];
    this.problem = p;
  }
}

function newKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A fresh Idempotency-Key: make one per checkout attempt and reuse it when retrying that attempt. */
export const idempotencyKey = newKey;

function query(params) {
  if (!params) return "";
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * The full exchange: `{status, data, etag, location, headers}`; throws ApiError for 4xx/5xx.
 * options: method, params (query), body (JSON-encoded unless it is a Blob/FormData/string with
 * `contentType`), token (overrides the signed-in one; null sends none), ifMatch, idempotencyKey,
 * headers, signal.
 */
export async function request(path, options = {}) {
  const method = (options.method || "GET").toUpperCase();
  const headers = { Accept: "application/json, application/problem+json", ...(options.headers || {}) };
  const token = options.token === undefined ? tokenProvider() : options.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (options.body !== undefined) {
    if (options.contentType) {
      headers["Content-Type"] = options.contentType;
      body = options.body;
    } else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
  }
  if (options.ifMatch) headers["If-Match"] = options.ifMatch;
  // A repeated POST /orders (double click, retry after a timeout) must not order twice.
  if (method === "POST" && /^\/orders\/?$/.test(path)) {
    headers["Idempotency-Key"] = options.idempotencyKey || newKey();
  } else if (options.idempotencyKey) {
    headers["Idempotency-Key"] = options.idempotencyKey;
  }
  let response;
  try {
    response = await fetch(API_BASE + path + query(options.params), {
      method,
      headers,
      body,
      signal: options.signal,
      credentials: "omit",
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(
      { title: "The API could not be reached", detail: "check your connection and try again", code: "network_error" },
      0,
    );
  }
  const type = response.headers.get("Content-Type") || "";
  let data = null;
  if (response.status !== 204 && response.status !== 304) {
    const text = await response.text();
    if (text && /json/.test(type)) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    } else if (text) {
      data = text;
    }
  }
  if (!response.ok) {
    const problem = data && typeof data === "object" ? data : { title: response.statusText, detail: typeof data === "string" ? data.slice(0, 200) : "" };
    throw new ApiError(problem, response.status);
  }
  return {
    status: response.status,
    data,
    etag: response.headers.get("ETag"),
    location: response.headers.get("Location"),
    headers: response.headers,
  };
}

/** Just the response body. */
export async function api(path, options = {}) {
  return (await request(path, options)).data;
}

export const get = (path, params, options = {}) => api(path, { ...options, params });
export const post = (path, body, options = {}) => api(path, { ...options, method: "POST", body });
export const put = (path, body, options = {}) => api(path, { ...options, method: "PUT", body });
export const patch = (path, body, options = {}) => api(path, { ...options, method: "PATCH", body });
export const del = (path, options = {}) => api(path, { ...options, method: "DELETE" });

/** Every page of a list route (bounded: `max` items), following continuationToken. */
export async function getAll(path, params = {}, max = 500) {
  const items = [];
  let token = null;
  do {
    const page = await get(path, { ...params, limit: 100, continuationToken: token || undefined });
    items.push(...(page.items || []));
    token = page.continuationToken;
  } while (token && items.length < max);
  return items;
}
