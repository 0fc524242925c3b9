// Tiny SVG charts for the back office: a line with an optional interval band (demand forecast),
// bars with optional error bars (experiment lift with its 95% interval) and a histogram (fraud
// score distribution). Each returns markup (a raw() value for ui.html) with role="img" and a
// text description, so the numbers are available without seeing the picture; callers that need
// exact figures show a table beside it.
import { escapeHtml as esc, raw } from "./ui.js";

const W = 640;
const H = 260;
const PAD = { top: 16, right: 16, bottom: 36, left: 52 };

function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const fmt = (v) => (Math.abs(v) >= 1000 ? v.toLocaleString(undefined, { maximumFractionDigits: 0 }) : String(Number(v.toPrecision(4))));

function frame(title, description, body, { width = W, height = H } = {}) {
  const id = `c${Math.random().toString(36).slice(2, 9)}`;
  return raw(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}t ${id}d" preserveAspectRatio="xMidYMid meet">` +
      `<title id="${id}t">${esc(title)}</title><desc id="${id}d">${esc(description)}</desc>${body}</svg>`,
  );
}

function yAxis(y, ticks, x0, x1) {
  return ticks
    .map((t) => `<g class="tick"><line x1="${x0}" x2="${x1}" y1="${y(t)}" y2="${y(t)}" class="grid"/><text x="${x0 - 6}" y="${y(t) + 4}" text-anchor="end">${esc(fmt(t))}</text></g>`)
    .join("");
}

/**
 * lineChart({title, points: [{x: label, y, lo?, hi?}], yLabel?, description?})
 * The band between lo and hi is drawn when present (e.g. an 80% or 95% forecast interval).
 */
export function lineChart({ title, points, yLabel = "", description = "" }) {
  const pts = (points || []).filter((p) => Number.isFinite(Number(p.y)));
  if (!pts.length) return frame(title, "no data", `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">No data</text>`);
  const vals = pts.flatMap((p) => [Number(p.y), Number(p.lo ?? p.y), Number(p.hi ?? p.y)]).filter(Number.isFinite);
  const lo = Math.min(0, ...vals);
  const hi = Math.max(...vals) || 1;
  const x = scale(0, Math.max(pts.length - 1, 1), PAD.left, W - PAD.right);
  const y = scale(lo, hi, H - PAD.bottom, PAD.top);
  const hasBand = pts.some((p) => p.lo !== undefined && p.hi !== undefined);
  let band = "";
  if (hasBand) {
    const upper = pts.map((p, i) => `${x(i)},${y(Number(p.hi ?? p.y))}`);
    const lower = pts.map((p, i) => `${x(i)},${y(Number(p.lo ?? p.y))}`).reverse();
    band = `<polygon class="band" points="${[...upper, ...lower].join(" ")}"/>`;
  }
  const line = `<polyline class="line" fill="none" points="${pts.map((p, i) => `${x(i)},${y(Number(p.y))}`).join(" ")}"/>`;
  const every = Math.max(1, Math.ceil(pts.length / 8));
  const xLabels = pts
    .map((p, i) => (i % every === 0 || i === pts.length - 1 ? `<text x="${x(i)}" y="${H - PAD.bottom + 18}" text-anchor="middle">${esc(p.x)}</text>` : ""))
    .join("");
  const desc =
    description ||
    `${pts.length} points from ${pts[0].x} to ${pts[pts.length - 1].x}; values ${fmt(Math.min(...pts.map((p) => Number(p.y))))} to ${fmt(Math.max(...pts.map((p) => Number(p.y))))}${hasBand ? ", with an interval band" : ""}.`;
  const axisTitle = yLabel ? `<text class="axis-title" x="12" y="${PAD.top + 4}" >${esc(yLabel)}</text>` : "";
  return frame(title, desc, yAxis(y, niceTicks(lo, hi), PAD.left, W - PAD.right) + band + line + xLabels + axisTitle);
}

/**
 * barChart({title, bars: [{label, value, lo?, hi?, tone?}], description?, zeroLine?})
 * Error bars from lo to hi when given (e.g. lift with its 95% confidence interval). Negative
 * values grow down from zero.
 */
export function barChart({ title, bars, description = "", valueFormat = fmt }) {
  const bs = (bars || []).filter((b) => Number.isFinite(Number(b.value)));
  if (!bs.length) return frame(title, "no data", `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">No data</text>`);
  const vals = bs.flatMap((b) => [Number(b.value), Number(b.lo ?? b.value), Number(b.hi ?? b.value)]).filter(Number.isFinite);
  const lo = Math.min(0, ...vals);
  const hi = Math.max(0, ...vals) || 1;
  const y = scale(lo, hi, H - PAD.bottom, PAD.top);
  const slot = (W - PAD.left - PAD.right) / bs.length;
  const bw = Math.max(4, Math.min(56, slot * 0.6));
  const body = bs
    .map((b, i) => {
      const cx = PAD.left + slot * (i + 0.5);
      const v = Number(b.value);
      const top = Math.min(y(v), y(0));
      const h = Math.max(1, Math.abs(y(v) - y(0)));
      const err =
        b.lo !== undefined && b.hi !== undefined
          ? `<line class="err" x1="${cx}" x2="${cx}" y1="${y(Number(b.lo))}" y2="${y(Number(b.hi))}"/><line class="err" x1="${cx - 6}" x2="${cx + 6}" y1="${y(Number(b.lo))}" y2="${y(Number(b.lo))}"/><line class="err" x1="${cx - 6}" x2="${cx + 6}" y1="${y(Number(b.hi))}" y2="${y(Number(b.hi))}"/>`
          : "";
      return (
        `<g class="bar ${b.tone ? `tone-${esc(b.tone)}` : ""}"><rect x="${cx - bw / 2}" y="${top}" width="${bw}" height="${h}"><title>${esc(b.label)}: ${esc(valueFormat(v))}</title></rect>${err}` +
        `<text x="${cx}" y="${H - PAD.bottom + 18}" text-anchor="middle">${esc(b.label)}</text></g>`
      );
    })
    .join("");
  const zero = `<line class="zero" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0)}" y2="${y(0)}"/>`;
  const desc =
    description ||
    bs.map((b) => `${b.label}: ${valueFormat(Number(b.value))}${b.lo !== undefined ? ` (${valueFormat(Number(b.lo))} to ${valueFormat(Number(b.hi))})` : ""}`).join("; ");
  return frame(title, desc, yAxis(y, niceTicks(lo, hi), PAD.left, W - PAD.right) + zero + body);
}

/** histogram({title, values: [numbers], bins = 10, min = 0, max = 1}) — e.g. fraud scores. */
export function histogram({ title, values, bins = 10, min = 0, max = 1, description = "" }) {
  const counts = new Array(bins).fill(0);
  for (const v of values || []) {
    const n = Number(v);
    if (!Number.isFinite(n)) continue;
    const i = Math.min(bins - 1, Math.max(0, Math.floor(((n - min) / (max - min || 1)) * bins)));
    counts[i] += 1;
  }
  const step = (max - min) / bins;
  const bars = counts.map((c, i) => ({ label: `${fmt(min + i * step)}`, value: c }));
  return barChart({
    title,
    bars,
    description: description || `${(values || []).length} values in ${bins} bins from ${fmt(min)} to ${fmt(max)}: ${counts.join(", ")}.`,
  });
}
