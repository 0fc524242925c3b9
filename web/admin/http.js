// The back office's API client: JSON in and out, the signed-in staff token, and problem+json errors
// turned into an ApiProblem whose message is the API's own words (title, detail, field errors).

import { token, signOut } from "./session.js";

export class ApiProblem extends Error {
  constructor(status, problem) {
    super(describeProblem(status, problem));
    this.status = status;
    this.problem = problem;
    this.code = problem.code || null;
  }
}

/** "Conflict: order o-1 is not awaiting review (not_awaiting_review)" plus one line per field error. */
export function describeProblem(status, problem) {
  const title = problem.title || `HTTP ${status}`;
  const head = problem.detail && problem.detail !== title ? `${title}: ${problem.detail}` : title;
  const code = problem.code ? ` (${problem.code})` : "";
  const fields = (problem.errors || []).map((e) => `${e.field || "body"}: ${e.message}`);
  return [head + code, ...fields].join("\n");
}

/**
 * Call `/api${path}`. Returns {status, data, headers}; a non-2xx answer throws ApiProblem.
 * `ifMatch` sends If-Match (catalog updates need the ETag of the last GET).
 */
export async function api(path, { method = "GET", body, ifMatch, headers = {}, auth = true } = {}) {
  const h = { Accept: "application/json, application/problem+json", ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (ifMatch) h["If-Match"] = ifMatch;
  const t = token();
  if (auth && t) h.Authorization = `Bearer ${t}`;
  let response;
  try {
    response = await fetch(path.startsWith("/api/") ? path : `/api${path}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiProblem(0, { title: "The API cannot be reached", detail: String(err.message || err) });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 300) };
    }
  }
  if (!response.ok) {
    if (response.status === 401) signOut({ expired: true });
    throw new ApiProblem(response.status, data && typeof data === "object" ? data : {});
  }
  return { status: response.status, data, headers: response.headers };
}

/** Every page of a list route (bounded: `max` items), following continuationToken. */
export async function listAll(path, { max = 200, limit = 100 } = {}) {
  const items = [];
  let next = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url = `${path}${sep}limit=${limit}${next ? `&continuationToken=${encodeURIComponent(next)}` : ""}`;
    const { data } = await api(url);
    items.push(...data.items);
    next = data.continuationToken;
  } while (next && items.length < max);
  return items.slice(0, max);
}

let openapi = null;
/** The served OpenAPI document, fetched once: pages ask it whether a route or a field exists yet. */
export async function capabilities() {
  if (!openapi) {
    openapi = api("/openapi.json", { auth: false })
      .then(({ data }) => data)
      .catch(() => ({ paths: {} }));
  }
  const doc = await openapi;
  const paths = doc.paths || {};
  const has = (path, method) => {
    const op = paths[`/api${path}`] || paths[path];
    return Boolean(op && (!method || op[method]));
  };
  const bodyOf = (path, method) => {
    const op = (paths[`/api${path}`] || paths[path] || {})[method];
    return Boolean(op && op.requestBody);
  };
  return { doc, has, bodyOf };
}
