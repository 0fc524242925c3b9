// The back office's three SVG charts, drawn by hand (no chart library for three shapes):
// a histogram (fraud scores), a line with a shaded interval (demand forecast) and intervals around
// a zero line (experiment lift with its 95 % CI). Each is a <figure> whose SVG has a title and a
// description, followed by the same numbers as a table, so the chart is never the only way to read them.

import { h, uid, table } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const W = 480; // viewBox width: text stays legible when the chart shrinks to a phone's width

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function svgFrame(title, description, height) {
  const titleId = uid("chart-title");
  const descId = uid("chart-desc");
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${height}`,
    role: "img",
    "aria-labelledby": titleId,
    "aria-describedby": descId,
    class: "chart",
    preserveAspectRatio: "xMidYMid meet",
  });
  svg.append(s("title", { id: titleId }, title), s("desc", { id: descId }, description));
  return svg;
}

function figure(svg, caption, dataTable) {
  return h(
    "figure",
    { class: "chart-figure" },
    svg,
    h("figcaption", {}, caption),
    h("details", {}, h("summary", {}, "The numbers behind the chart"), dataTable),
  );
}

const fmt = (x, d = 2) => (Number.isFinite(x) ? Number(x).toFixed(d) : "—");

/** Nice upper end for a 0..1 axis: the smallest of 0.05, 0.1, 0.2, 0.5, 1 that holds `v`. */
function niceTop(v) {
  return [0.05, 0.1, 0.2, 0.5, 1].find((c) => v <= c) ?? 1;
}

/**
 * Counts of `values` (scores in 0..1) in `bins` equal bins, with vertical lines at the decision
 * cut-offs. The axis ends just past the largest score or cut-off: fraud scores crowd near zero,
 * and a 0..1 axis would draw them as one bar.
 */
export function histogram(values, { bins = 10, cutoffs = [], title, label = "score" } = {}) {
  const top = niceTop(Math.max(...values, ...cutoffs.map((c) => c.at)) * 1.05);
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v / top) * bins)))] += 1;
  const H = 240;
  const pad = { l: 44, r: 12, t: 14, b: 40 };
  const max = Math.max(1, ...counts);
  const x = (v) => pad.l + (v / top) * (W - pad.l - pad.r);
  const y = (c) => H - pad.b - (c / max) * (H - pad.t - pad.b);
  const ranges = counts.map((_, i) => [(i / bins) * top, ((i + 1) / bins) * top]);
  const busiest = counts.indexOf(max);
  const d = top < 0.1 ? 3 : 2;
  const desc =
    `${values.length} orders, scores from ${fmt(Math.min(...values), d)} to ${fmt(Math.max(...values), d)}; ` +
    `the most (${max}) between ${fmt(ranges[busiest][0], d)} and ${fmt(ranges[busiest][1], d)}.` +
    cutoffs.map((c) => ` ${c.label[0].toUpperCase()}${c.label.slice(1)} ${fmt(c.at, d)}: ${values.filter((v) => v >= c.at).length} orders.`).join("");
  const svg = svgFrame(title, desc, H);
  svg.append(s("line", { x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b, class: "axis" }));
  counts.forEach((c, i) => {
    const [lo, hi] = ranges[i];
    svg.append(
      s("rect", { x: x(lo) + 1, y: y(c), width: Math.max(1, x(hi) - x(lo) - 2), height: H - pad.b - y(c), class: "bar" },
        s("title", {}, `${fmt(lo, d)}–${fmt(hi, d)}: ${c}`)),
    );
  });
  for (const tick of [0, top / 2, top]) {
    svg.append(s("text", { x: x(tick), y: H - pad.b + 16, class: "tick", "text-anchor": tick ? (tick === top ? "end" : "middle") : "start" }, fmt(tick, d)));
  }
  svg.append(s("text", { x: pad.l - 6, y: y(max) + 4, class: "tick", "text-anchor": "end" }, String(max)));
  svg.append(s("text", { x: pad.l - 6, y: H - pad.b, class: "tick", "text-anchor": "end" }, "0"));
  svg.append(s("text", { x: (W + pad.l) / 2, y: H - 6, class: "axis-label", "text-anchor": "middle" }, label));
  cutoffs.forEach((c, i) => {
    const right = x(c.at) > W * 0.7;
    svg.append(s("line", { x1: x(c.at), y1: pad.t, x2: x(c.at), y2: H - pad.b, class: `cutoff cutoff-${i}` }));
    svg.append(s("text", { x: x(c.at) + (right ? -4 : 4), y: pad.t + 14 + i * 18, class: "cutoff-label", "text-anchor": right ? "end" : "start" },
      `${c.label} ${fmt(c.at, d)}`));
  });
  const rows = counts.map((c, i) => [`${fmt(ranges[i][0], d)}–${fmt(ranges[i][1], d)}`, String(c)]);
  return figure(svg, desc, table(`${title}: counts per ${label} range`, [`${label} range`, "orders"], rows));
}

/** A daily forecast line with its lower/upper band, plus an optional horizontal reference line. */
export function bandChart({ mean, lower, upper, startDate, title, reference }) {
  const H = 260;
  const pad = { l: 48, r: 12, t: 14, b: 40 };
  const n = mean.length;
  const top = Math.max(1, ...upper, ...mean, reference ? reference.at : 0);
  const x = (i) => pad.l + (n <= 1 ? 0 : (i / (n - 1)) * (W - pad.l - pad.r));
  const y = (v) => H - pad.b - (v / top) * (H - pad.t - pad.b);
  const days = mean.map((_, i) => {
    const d = new Date(`${startDate}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + i);
    return d.toISOString().slice(0, 10);
  });
  const total = mean.reduce((a, b) => a + b, 0);
  const desc =
    `${n} days from ${days[0]} to ${days[n - 1]}: ${fmt(total, 1)} units expected in all, ` +
    `between ${fmt(Math.min(...lower), 1)} and ${fmt(Math.max(...upper), 1)} a day at the interval's edges.` +
    (reference ? ` ${reference.label}: ${fmt(reference.at, 1)}.` : "");
  const svg = svgFrame(title, desc, H);
  const band =
    upper.map((v, i) => `${i ? "L" : "M"}${x(i)},${y(v)}`).join(" ") +
    " " +
    lower.map((_, k) => n - 1 - k).map((i) => `L${x(i)},${y(lower[i])}`).join(" ") +
    " Z";
  svg.append(s("path", { d: band, class: "band" }));
  svg.append(s("path", { d: mean.map((v, i) => `${i ? "L" : "M"}${x(i)},${y(v)}`).join(" "), class: "line" }));
  svg.append(s("line", { x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b, class: "axis" }));
  svg.append(s("text", { x: pad.l - 6, y: y(top) + 4, class: "tick", "text-anchor": "end" }, fmt(top, 1)));
  svg.append(s("text", { x: pad.l - 6, y: H - pad.b, class: "tick", "text-anchor": "end" }, "0"));
  svg.append(s("text", { x: pad.l, y: H - pad.b + 16, class: "tick" }, days[0]));
  svg.append(s("text", { x: W - pad.r, y: H - pad.b + 16, class: "tick", "text-anchor": "end" }, days[n - 1]));
  svg.append(s("text", { x: (W + pad.l) / 2, y: H - 6, class: "axis-label", "text-anchor": "middle" }, "units per day"));
  if (reference) {
    svg.append(s("line", { x1: pad.l, y1: y(reference.at), x2: W - pad.r, y2: y(reference.at), class: "cutoff cutoff-0" }));
  }
  const rows = mean.map((v, i) => [days[i], fmt(v, 2), fmt(lower[i], 2), fmt(upper[i], 2)]);
  return figure(svg, desc, table(`${title}: daily values`, ["day", "expected", "lower", "upper"], rows));
}

/** One row per item: a point and its interval, around a dashed zero line (lift = 0: no effect). */
export function intervalChart(rows, { title, unit = "%", scale = 100 }) {
  const rowH = 36;
  const pad = { l: 110, r: 16, t: 14, b: 40 };
  const H = pad.t + pad.b + rowH * Math.max(1, rows.length);
  const edges = rows.flatMap((r) => [r.lo, r.hi, r.value]).filter(Number.isFinite);
  const widest = Math.max(0.01, ...edges.map(Math.abs)) * 1.05;
  const span = [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10].find((c) => widest <= c) ?? widest;
  const x = (v) => pad.l + ((v + span) / (2 * span)) * (W - pad.l - pad.r);
  const said = rows.map((r) =>
    !Number.isFinite(r.value)
      ? `${r.label}: no estimate yet`
      : !Number.isFinite(r.lo) || !Number.isFinite(r.hi)
        ? `${r.label}: ${fmt(r.value * scale, 1)}${unit}, no interval yet`
        : `${r.label}: ${fmt(r.value * scale, 1)}${unit}, 95 % CI ${fmt(r.lo * scale, 1)} to ${fmt(r.hi * scale, 1)}${unit}` +
          (r.lo > 0 ? ", above zero" : r.hi < 0 ? ", below zero" : ", includes zero"),
  );
  const desc = said.join(". ") + ".";
  const svg = svgFrame(title, desc, H);
  svg.append(s("line", { x1: x(0), y1: pad.t, x2: x(0), y2: H - pad.b, class: "zero" }));
  rows.forEach((r, i) => {
    const cy = pad.t + rowH * i + rowH / 2;
    svg.append(s("text", { x: pad.l - 8, y: cy + 4, class: "tick", "text-anchor": "end" }, r.label));
    if (!Number.isFinite(r.value)) return;
    if (Number.isFinite(r.lo) && Number.isFinite(r.hi)) {
      svg.append(s("line", { x1: x(r.lo), y1: cy, x2: x(r.hi), y2: cy, class: "interval" }));
    }
    svg.append(s("circle", { cx: x(r.value), cy, r: 6, class: "point" }, s("title", {}, said[i])));
  });
  for (const [v, anchor] of [[-span, "start"], [0, "middle"], [span, "end"]]) {
    svg.append(s("text", { x: x(v), y: H - pad.b + 16, class: "tick", "text-anchor": anchor }, `${v > 0 ? "+" : ""}${fmt(v * scale, 0)}${unit}`));
  }
  svg.append(s("text", { x: (W + pad.l) / 2, y: H - 4, class: "axis-label", "text-anchor": "middle" }, "lift against control"));
  const data = rows.map((r) => [r.label, fmt(r.value * scale, 2), fmt(r.lo * scale, 2), fmt(r.hi * scale, 2)]);
  return figure(svg, desc, table(`${title}: values`, ["variant", `lift (${unit})`, `CI low (${unit})`, `CI high (${unit})`], data));
}
