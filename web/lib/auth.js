// Sign-in for the demo front ends: development tokens from devhost (`POST /api/dev/token`, served
// only in development mode; 404 in Azure, where a real identity provider issues the tokens).
//
// The session (token, subject, roles, expiry) lives in sessionStorage: one tab, gone when it
// closes, and the storefront and the back office keep theirs apart. Tokens are never logged.
import { post, useToken } from "./api.js";

// Demo identities. demo-shopper-0001 has seeded browsing and purchase history, so its
// "for you" recommendations are personal from the first visit.
export const PERSONAS = Object.freeze([
  { key: "customer", label: "Dana (customer)", sub: "demo-shopper-0001", roles: ["customer"], name: "Dana Shopper", email: "dana.shopper@example.com" },
  { key: "customer2", label: "Sam (new customer)", sub: "demo-newcomer-0001", roles: ["customer"], name: "Sam Newcomer", email: "sam.newcomer@example.com" },
  { key: "support", label: "Riley (support)", sub: "demo-support-0001", roles: ["support"], name: "Riley Support", email: "riley.support@example.com" },
  { key: "admin", label: "Alex (admin)", sub: "demo-admin-0001", roles: ["admin"], name: "Alex Admin", email: "alex.admin@example.com" },
]);

const scope = () => (typeof location !== "undefined" && location.pathname.startsWith("/admin") ? "admin" : "store");
const KEY = () => `sc.session.${scope()}`;
const listeners = new Set();

function load() {
  try {
    const raw = sessionStorage.getItem(KEY());
    if (!raw) return null;
    const s = JSON.parse(raw);
    if (!s || !s.token || !s.expiresAt || Date.now() > s.expiresAt - 30_000) {
      sessionStorage.removeItem(KEY());
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

/** The current session `{token, sub, roles, name, email, expiresAt}` or null. */
export function session() {
  return load();
}

export const isSignedIn = () => session() !== null;
export const hasRole = (...roles) => {
  const s = session();
  return !!s && s.roles.some((r) => roles.includes(r));
};

useToken(() => session()?.token || null);

function notify() {
  for (const fn of listeners) fn(session());
}

/** Called with the new session (or null) after every sign-in and sign-out. Returns an unsubscriber. */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Sign in as a persona (a PERSONAS entry or its key). Throws ApiError (e.g. 404 outside development). */
export async function signIn(persona) {
  const p = typeof persona === "string" ? PERSONAS.find((x) => x.key === persona) : persona;
  if (!p) throw new Error(`unknown persona ${persona}`);
  const body = { sub: p.sub, roles: [...p.roles], name: p.name, email: p.email };
  const minted = await post("/dev/token", body, { token: null });
  const s = {
    token: minted.accessToken,
    sub: p.sub,
    roles: [...p.roles],
    name: p.name,
    email: p.email,
    persona: p.key,
    expiresAt: Date.now() + Number(minted.expiresIn || 3600) * 1000,
  };
  sessionStorage.setItem(KEY(), JSON.stringify(s));
  notify();
  return s;
}

export function signOut() {
  sessionStorage.removeItem(KEY());
  notify();
}
