// Staff sign-in. On devhost a demo admin or support user gets a development token from
// POST /api/dev/token (development mode only); in Azure the same token would come from Entra ID.
// Kept in sessionStorage: closing the tab signs out, and the storefront's customer session is separate.

const KEY = "sc-admin-session";
const listeners = new Set();

export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (s && s.expiresAt > Date.now()) return s;
  } catch {
    /* a damaged entry is the same as none */
  }
  return null;
}

export function token() {
  return session()?.token || null;
}

export function hasRole(role) {
  return Boolean(session()?.roles.includes(role));
}

export function onSessionChange(fn) {
  listeners.add(fn);
}

function changed(detail) {
  for (const fn of listeners) fn(session(), detail);
}

export async function signIn(name, role) {
  const sub = `${role}-${name.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-") || "demo"}`;
  const response = await fetch("/api/dev/token", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ sub, roles: [role], email: `${sub}@example.com`, name: name.trim() || sub }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    // Imported lazily: http.js imports this module.
    const { ApiProblem } = await import("./http.js");
    throw new ApiProblem(response.status, data);
  }
  const s = {
    token: data.accessToken,
    sub,
    name: name.trim() || sub,
    roles: [role],
    expiresAt: Date.now() + (Number(data.expiresIn) || 3600) * 1000 - 30_000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  changed({});
  return s;
}

export function signOut(detail = {}) {
  sessionStorage.removeItem(KEY);
  changed(detail);
}
