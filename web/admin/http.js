// The back office's API client: a thin layer over the shared web/lib/api.js (one fetch wrapper for
// both front ends: JSON, the signed-in token, problem+json into ApiError). Here its errors become an
// ApiProblem whose message is the API's own words with the stable code and every field error, and
// a 401 signs the staff member out (their token expired).

import { request, ApiError } from "../lib/api.js";
import { signOut } from "./session.js";

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
 * Call the API at `path` (relative to /api; a status URL the API handed out, "/api/...", works too).
 * Returns {status, data, headers, etag}; a non-2xx answer throws ApiProblem.
 */
export async function api(path, { method = "GET", body, ifMatch, headers = {} } = {}) {
  try {
    return await request(path.replace(/^\/api(?=\/)/, ""), { method, body, ifMatch, headers });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) signOut({ expired: true });
    const problem = Object.keys(err.problem || {}).length ? err.problem : { title: err.title, detail: err.detail, code: err.code };
    throw new ApiProblem(err.status, problem);
  }
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
    openapi = api("/openapi.json")
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
