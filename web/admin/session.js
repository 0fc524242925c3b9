// Staff sign-in: the shared web/lib/auth.js (development tokens from devhost's POST /api/dev/token;
// the session in sessionStorage, kept apart from the storefront's because the path is /admin).
// The back office offers the staff personas only and remembers why a session ended.

import { PERSONAS, session as current, hasRole as libHasRole, onChange, signIn as libSignIn, signOut as libSignOut } from "../lib/auth.js";

// Admin first: the default choice opens every page.
export const STAFF = PERSONAS.filter((p) => p.roles.includes("admin") || p.roles.includes("support"))
  .sort((a, b) => Number(b.roles.includes("admin")) - Number(a.roles.includes("admin")));

let reason = {};

export function session() {
  return current();
}

export function hasRole(role) {
  return libHasRole(role);
}

/** fn(session | null, {expired?}) after every sign-in and sign-out. */
export function onSessionChange(fn) {
  onChange((s) => fn(s, reason));
}

/** Sign in as a staff persona key ("admin", "support"). Throws ApiError (404 outside development). */
export async function signIn(key) {
  if (!STAFF.some((p) => p.key === key)) throw new Error(`not a staff persona: ${key}`);
  reason = {};
  return libSignIn(key);
}

export function signOut(detail = {}) {
  reason = detail;
  libSignOut();
}
