// Staff sign-in with a demo identity (development tokens; devhost only).

import { h, add, field } from "../dom.js";
import { signIn } from "../session.js";
import { busy, notice } from "../ui.js";

export const title = "Staff sign-in";
export const roles = null;

export async function render(main, { params }) {
  const name = h("input", { name: "name", autocomplete: "username", required: true, value: "Dana" });
  const role = h(
    "select",
    { name: "role" },
    h("option", { value: "admin" }, "Admin: everything"),
    h("option", { value: "support" }, "Support: reviews, orders, refunds"),
  );
  const submit = h("button", { type: "submit" }, "Sign in");
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "inline", "aria-label": "Staff sign-in" },
    field("Your name", name),
    field("Role", role),
    submit,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(submit, out, "Sign-in", async () => {
      await signIn(name.value, role.value);
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
  name.focus();
}
