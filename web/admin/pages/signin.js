// Staff sign-in with a demo identity (development tokens; devhost only).

import { h, add, field } from "../dom.js";
import { signIn, STAFF } from "../session.js";
import { busy, notice } from "../ui.js";

export const title = "Staff sign-in";
export const roles = null;

export async function render(main, { params }) {
  const who = h(
    "select",
    { name: "persona" },
    STAFF.map((p) => h("option", { value: p.key }, `${p.label}: ${p.roles.includes("admin") ? "everything" : "reviews, orders, refunds"}`)),
  );
  const submit = h("button", { type: "submit" }, "Sign in");
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "inline", "aria-label": "Staff sign-in" }, field("Sign in as", who), submit);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(submit, out, "Sign-in", async () => {
      await signIn(who.value);
      const back = params.get("next");
      location.hash = back && back !== "sign-in" ? `#/${back}` : "#/reviews";
    });
  });
  add(
    main,
    params.get("expired") ? notice("Your session ended; sign in again.") : null,
    h(
      "p",
      { class: "lead" },
      "A demo staff identity: devhost issues a development token for it (POST /api/dev/token). ",
      "In Azure, staff sign in with Microsoft Entra ID instead.",
    ),
    form,
    out,
  );
  who.focus();
}
