// The customer's account: name, shipping addresses (add, make default, remove) and saved cards.
import { del, get, patch, post, put } from "../lib/api.js";
import { busy, formData, html, problemHtml, render, showProblem } from "../lib/ui.js";
import { requireCustomer } from "./common.js";

export default async function account(main) {
  if (!requireCustomer(main, "manage your account")) return;
  const draw = async () => {
    const [me, cards] = await Promise.all([get("/me"), get("/payments/tokens").catch(() => ({ items: [] }))]);
    render(
      main,
      html`<h1>Your account</h1>
        <section aria-labelledby="profile-h" class="panel"><h2 id="profile-h">Profile</h2>
          <p>Signed in as <strong>${me.email || me.id}</strong> (user id <code>${me.id}</code>).</p>
          <form id="profile-form" class="row">
            <div><label for="p-name">Display name</label><input id="p-name" name="displayName" value="${me.displayName || ""}" maxlength="100" autocomplete="name"></div>
            <div><button type="submit">Save name</button></div>
          </form><div id="profile-problem"></div>
        </section>
        <section aria-labelledby="addresses-h"><h2 id="addresses-h">Shipping addresses</h2>
          ${me.addresses.length
            ? html`<ul class="cards-list" data-testid="addresses">${me.addresses.map(
                (a) => html`<li class="card">${a.line1}${a.line2 ? `, ${a.line2}` : ""}, ${a.postalCode} ${a.city}${a.region ? `, ${a.region}` : ""}, ${a.country}
                  ${a.isDefault ? html`<span class="badge badge-ok">Default</span>` : html`<button type="button" class="link" data-default="${a.id}">Make default</button>`}
                  <button type="button" class="link" data-remove-address="${a.id}">Remove<span class="visually-hidden"> ${a.line1}</span></button></li>`,
              )}</ul>`
            : html`<p>No saved addresses yet.</p>`}
          <form id="address-form" class="panel" novalidate>
            <h3>Add an address</h3>
            <div class="row">
              <div><label for="n-line1">Street and number</label><input id="n-line1" name="line1" autocomplete="address-line1" required></div>
              <div><label for="n-line2">Flat, floor <span class="hint">(optional)</span></label><input id="n-line2" name="line2" autocomplete="address-line2"></div>
              <div><label for="n-city">City</label><input id="n-city" name="city" autocomplete="address-level2" required></div>
              <div><label for="n-postal">Postal code</label><input id="n-postal" name="postalCode" autocomplete="postal-code" required></div>
              <div><label for="n-country">Country <span class="hint">(2 letters, e.g. DE)</span></label><input id="n-country" name="country" maxlength="2" autocomplete="country" required></div>
            </div>
            <label><input type="checkbox" name="isDefault" value="yes"> Use as my default address</label>
            <div id="address-problem" aria-live="assertive"></div>
            <button type="submit" id="save-address">Save address</button>
          </form>
        </section>
        <section aria-labelledby="cards-h"><h2 id="cards-h">Saved cards</h2>
          ${cards.items.length
            ? html`<ul class="cards-list">${cards.items.map(
                (c) => html`<li class="card">${c.brand} ending ${c.last4}, expires ${c.expMonth}/${c.expYear} <button type="button" class="link" data-remove-card="${c.token}">Remove<span class="visually-hidden"> card ending ${c.last4}</span></button></li>`,
              )}</ul>`
            : html`<p>No saved cards. A card you pay with at checkout is saved here.</p>`}
          <div id="cards-problem"></div>
        </section>`,
    );
    main.querySelector("#profile-form").addEventListener("submit", (e) => {
      e.preventDefault();
      busy(e.target, async () => {
        try {
          await patch("/me", { displayName: main.querySelector("#p-name").value.trim() });
          await draw();
        } catch (err) {
          showProblem("#profile-problem", err);
        }
      });
    });
    main.querySelector("#address-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const data = formData(e.target);
      const body = { ...data, isDefault: data.isDefault === "yes" };
      if (body.country) body.country = body.country.toUpperCase();
      busy(e.target, async () => {
        try {
          await post("/me/addresses", body);
          await draw();
        } catch (err) {
          showProblem("#address-problem", err);
        }
      });
    });
    main.querySelectorAll("[data-remove-address]").forEach((b) =>
      b.addEventListener("click", async () => {
        try {
          await del(`/me/addresses/${encodeURIComponent(b.dataset.removeAddress)}`);
          await draw();
        } catch (err) {
          showProblem("#address-problem", err);
        }
      }),
    );
    main.querySelectorAll("[data-default]").forEach((b) =>
      b.addEventListener("click", async () => {
        const a = me.addresses.find((x) => x.id === b.dataset.default);
        const { id, ...rest } = a;
        try {
          await put(`/me/addresses/${encodeURIComponent(id)}`, { ...rest, isDefault: true });
          await draw();
        } catch (err) {
          showProblem("#address-problem", err);
        }
      }),
    );
    main.querySelectorAll("[data-remove-card]").forEach((b) =>
      b.addEventListener("click", async () => {
        try {
          await del(`/payments/tokens/${encodeURIComponent(b.dataset.removeCard)}`);
          await draw();
        } catch (err) {
          render(main.querySelector("#cards-problem"), problemHtml(err));
        }
      }),
    );
  };
  await draw();
}
