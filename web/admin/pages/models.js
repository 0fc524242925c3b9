// The model registry: each model's champion (the live version), earlier champions, every version
// with its metrics and cut-offs, and retraining (202 + our own status route, polled until it ends).

import { h, table, when, badge, fill, sleep } from "../dom.js";
import { api } from "../http.js";
import { busy, notice } from "../ui.js";

export const title = "Model registry";
export const roles = ["admin"];

const ENDED = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

function metrics(m) {
  const entries = Object.entries(m || {});
  if (!entries.length) return "—";
  return h("ul", { class: "metrics" }, entries.map(([k, v]) => h("li", {}, `${k}: ${Number.isInteger(v) ? v : Number(v).toFixed(4)}`)));
}

function thresholds(t) {
  if (!t) return "—";
  return Object.entries(t).filter(([, v]) => typeof v !== "object").map(([k, v]) => `${k} ${typeof v !== "number" ? v : Number.isInteger(v) ? v : v.toFixed(3)}`).join(", ");
}

/** Poll a job's status route until it ends; `onStatus` sees each status. */
export async function pollJob(url, onStatus, { intervalMs = 2000, timeoutMs = 15 * 60_000 } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { data } = await api(url);
    onStatus(data);
    if (ENDED.has(data.runtimeStatus) || Date.now() > until) return data;
    await sleep(intervalMs);
  }
}

function modelSection(model, reload, out) {
  const retrain = h("button", { type: "button" }, `Retrain ${model.name}`);
  retrain.addEventListener("click", () =>
    busy(retrain, out, `Retraining ${model.name}`, async () => {
      const { data } = await api(`/models/${encodeURIComponent(model.name)}/retrain`, { method: "POST" });
      const line = h("p", { role: "status" });
      out.append(line);
      const final = await pollJob(data.statusQueryGetUri, (s) =>
        fill(line, `Retraining ${model.name} (${s.instanceId}): `, badge(s.runtimeStatus)));
      if (final.runtimeStatus === "Completed") {
        await reload();
        const promoted = final.output?.evaluation?.promoted;
        const version = final.output?.version ? `: version ${final.output.version}` : "";
        const verdict = promoted === true ? ", now the champion" : promoted === false ? ", not better than the champion (kept)" : "";
        return notice(`Retraining of ${model.name} completed${version}${verdict}.`);
      }
      throw new Error(`Retraining of ${model.name} ended ${final.runtimeStatus}${final.output ? `: ${JSON.stringify(final.output)}` : ""}`);
    }));
  const rows = model.versions.map((v) => [
    h("span", { class: "mono" }, v.version),
    v.live ? badge("champion") : model.previousVersions.includes(v.version) ? "earlier champion" : "",
    when(v.createdAt),
    v.source || "—",
    metrics(v.metrics),
    thresholds(v.thresholds),
    v.labelledRows ?? "—",
  ]);
  return h(
    "section",
    { class: "panel", "aria-labelledby": `model-${model.name}` },
    h("h2", { id: `model-${model.name}` }, model.name),
    h("dl", { class: "facts" },
      h("dt", {}, "Champion"), h("dd", { class: "mono", "data-fact": "champion" }, model.liveVersion || "none yet"),
      h("dt", {}, "Earlier champions"), h("dd", { class: "mono" }, model.previousVersions.join(", ") || "none")),
    h("div", { class: "actions" }, retrain),
    table(`Versions of ${model.name}, newest first`, ["version", "role", "created", "source", "metrics", "cut-offs", "labelled rows"], rows,
      { empty: "No versions registered." }),
  );
}

export async function render(main) {
  main.append(h("p", { class: "lead" }, "Retraining runs as a background job; a new version becomes champion only if it beats the current one."));
  // Job progress and results live outside the sections a reload redraws.
  const out = h("div", { class: "results", "aria-live": "polite" });
  const holder = h("div");
  main.append(out, holder);
  const reload = async () => {
    const { data } = await api("/models");
    fill(holder, data.items.length ? data.items.map((m) => modelSection(m, reload, out)) : h("p", { class: "empty" }, "No models registered yet."));
  };
  await reload();
}
