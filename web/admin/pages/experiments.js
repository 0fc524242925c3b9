// A/B experiments on recommendations: results per variant (rate, relative lift with its 95 %
// interval, p-value), the sample-ratio check, the lift drawn around zero; start and stop.
// The API has no list of experiments, so the page opens one by name and remembers recent names.

import { h, add, field, table, pct, num, when, badge, fill } from "../dom.js";
import { api } from "../http.js";
import { intervalChart } from "../charts.js";
import { busy, notice } from "../ui.js";

export const title = "Experiments";
export const roles = ["admin"];

const RECENT = "sc-admin-experiments";
const STRATEGIES = ["hybrid", "collaborative", "content", "popular"];

function recent() {
  try {
    return JSON.parse(localStorage.getItem(RECENT) || "[]");
  } catch {
    return [];
  }
}

function remember(name) {
  localStorage.setItem(RECENT, JSON.stringify([name, ...recent().filter((n) => n !== name)].slice(0, 8)));
}

export async function render(main, { rest }) {
  const name = h("input", { name: "name", required: true, autocomplete: "off", class: "mono", value: rest[0] ? decodeURIComponent(rest[0]) : "" });
  const open = h("button", { type: "submit" }, "Show results");
  const lookup = h("form", { class: "inline", "aria-label": "Open an experiment" }, field("Experiment name", name), open);
  lookup.addEventListener("submit", (ev) => {
    ev.preventDefault();
    location.hash = `#/experiments/${encodeURIComponent(name.value.trim())}`;
  });
  const names = recent();
  add(
    main,
    lookup,
    names.length
      ? h("nav", { "aria-label": "Recent experiments" }, h("ul", { class: "recent" }, names.map((n) => h("li", {}, h("a", { href: `#/experiments/${encodeURIComponent(n)}` }, n)))))
      : null,
  );
  const results = h("section", { "aria-label": "Results" });
  main.append(results, startForm());
  if (rest[0]) await showResults(results, decodeURIComponent(rest[0]));
}

async function showResults(into, name) {
  const { data: x } = await api(`/experiments/${encodeURIComponent(name)}`);
  remember(name);
  const control = x.variants.find((v) => v.name === "control");
  const total = x.variants.reduce((sum, v) => sum + v.weight, 0) || 1;  // weights are relative
  const rows = x.variants.map((v) => [
    v.name,
    `${num((v.weight / total) * 100, 0)} %`,
    String(v.exposures),
    String(v.conversions),
    pct(v.rate, 2),
    v.name === "control" ? "baseline" : v.lift === null ? "—" : `${v.lift > 0 ? "+" : ""}${num(v.lift * 100, 1)} %`,
    v.ci95 ? `${num(v.ci95[0] * 100, 1)} % to ${num(v.ci95[1] * 100, 1)} %` : "—",
    v.pValue === null ? "—" : num(v.pValue, 4),
  ]);
  const stop = h("button", { type: "button", class: "danger" }, "Stop the experiment");
  const out = h("div", { "aria-live": "polite" });
  stop.addEventListener("click", () =>
    busy(stop, out, "Stopping", async () => {
      await api(`/experiments/${encodeURIComponent(name)}/stop`, { method: "POST" });
      fill(into);
      await showResults(into, name);
    }));
  const treated = x.variants.filter((v) => v.name !== "control");
  fill(
    into,
    h("h2", { id: "res-h" }, `Results of ${x.name}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Status"), h("dd", {}, badge(x.status)),
      h("dt", {}, "Started"), h("dd", {}, when(x.createdAt)),
      x.stoppedAt ? [h("dt", {}, "Stopped"), h("dd", {}, when(x.stoppedAt))] : null,
      h("dt", {}, "Control rate"), h("dd", {}, control ? pct(control.rate, 2) : "—"),
      h("dt", {}, "Sample ratio"), h("dd", {}, x.srm.ok
        ? `as planned (χ² ${num(x.srm.chi2, 2)}, p ${num(x.srm.pValue, 3)})`
        : `MISMATCH: the split differs from the weights (χ² ${num(x.srm.chi2, 2)}, p ${num(x.srm.pValue, 4)}); do not trust the lift`)),
    x.status === "running" ? h("div", { class: "actions" }, stop) : null,
    out,
    table(`Variants of ${x.name}`, ["variant", "weight", "exposures", "conversions", "rate", "lift", "95 % CI of lift", "p-value"], rows),
    treated.length
      ? intervalChart(
          treated.map((v) => ({ label: v.name, value: v.lift, lo: v.ci95?.[0], hi: v.ci95?.[1] })),
          { title: `Lift over control with 95 % confidence intervals (${x.name})` },
        )
      : null,
  );
}

function startForm() {
  const name = h("input", { name: "newName", required: true, autocomplete: "off", pattern: "[a-z0-9][a-z0-9_\\-]{0,63}", class: "mono" });
  const strategy = h("select", { name: "strategy" },
    STRATEGIES.filter((s) => s !== "hybrid").map((s) => h("option", { value: s }, s)),
    // Same as control: an A/A test checks the split and the statistics before a real one.
    h("option", { value: "hybrid" }, "hybrid (A/A test: same as control)"));
  const share = h("input", { name: "share", type: "number", min: "1", max: "99", step: "1", value: "50", required: true });
  const go = h("button", { type: "submit" }, "Start experiment");
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "inline", "aria-label": "Start an experiment" },
    field("Name", name, "lower case, digits, - and _"), field("Treatment strategy", strategy, "control keeps hybrid"),
    field("Treatment share (%)", share), go);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, out, "Starting the experiment", async () => {
      const w = Number(share.value) / 100;
      await api("/experiments", {
        method: "POST",
        body: {
          name: name.value.trim(),
          target: "recommendations",
          variants: [
            { name: "control", weight: 1 - w, config: { strategy: "hybrid" } },
            { name: strategy.value, weight: w, config: { strategy: strategy.value } },
          ],
        },
      });
      remember(name.value.trim());
      location.hash = `#/experiments/${encodeURIComponent(name.value.trim())}`;
      return notice(`Experiment ${name.value.trim()} started.`);
    });
  });
  return h("section", { class: "panel", "aria-labelledby": "new-h" }, h("h2", { id: "new-h" }, "Start an experiment"),
    h("p", { class: "lead" }, "One experiment runs per target at a time; stop the running one first."), form, out);
}
