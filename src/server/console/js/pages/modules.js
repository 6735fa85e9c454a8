// Modules: search by id prefix, plot one module or several over a range with
// the API's step and aggregation (zoom: drag; double-click resets), the unit
// on the axis, gaps visible; CSV download of what is plotted.
import * as api from "/console/js/api.js";
import { clear, download, field, h, isoFromInput, message, when } from "/console/js/dom.js";
import { plot } from "/console/js/plot.js";

const AGGS = ["avg", "min", "max", "sum", "last", "count"];

// "10m" → 600000; "" → 0 (raw points). Only the console's shorthand: the API checks the real thing.
function stepMs(step) {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(step.trim());
  if (!m) return 0;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] || "s"];
}

export default async function modules(root, ctx) {
  const q = ctx.query;
  const prefix = h("input", { class: "form-control form-control-sm", name: "prefix", value: q.get("prefix") || "",
    placeholder: "module id starts with…" });
  const search = h("button", { type: "submit", class: "btn btn-sm btn-outline-primary" }, "Search");
  const from = h("input", { class: "form-control form-control-sm", type: "datetime-local", name: "from" });
  const to = h("input", { class: "form-control form-control-sm", type: "datetime-local", name: "to" });
  const step = h("input", { class: "form-control form-control-sm", name: "step", value: q.get("step") || "",
    placeholder: "raw, or 10m, 1h, 1d" });
  const agg = h("select", { class: "form-select form-select-sm", name: "agg" }, AGGS.map((a) => h("option", { value: a }, a)));
  const plotButton = h("button", { type: "button", class: "btn btn-sm btn-primary", id: "plot-button", disabled: true }, "Plot");
  const csvButton = h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", id: "csv-button", disabled: true },
    "Download CSV");
  const resetZoom = h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", id: "reset-zoom", disabled: true },
    "Reset zoom");
  const list = h("div", { id: "module-list" });
  const status = h("div", { id: "plot-status" });
  const chart = h("div", { id: "module-plot", class: "plot", hidden: true });
  const legend = h("div", { id: "plot-legend", class: "plot-legend muted" });
  const chosen = new Set(q.getAll("module"));
  let plotted = null;  // {series, graph}

  const form = h("form", { class: "filters" }, field("Module", prefix), search);
  root.append(h("h2", {}, "Modules"), form, list,
    h("div", { class: "filters" }, field("From (UTC)", from), field("To (UTC)", to), field("Step", step), field("Aggregation", agg),
      plotButton, resetZoom, csvButton),
    status, legend, chart,
    h("p", { class: "muted" }, "Drag across the plot to zoom, double-click (or Reset zoom) to go back. " +
      "A break in a line is a gap in the data."));

  async function find() {
    const wanted = prefix.value.trim();
    const r = await api.get(api.path("/v1/modules", { prefix: wanted, limit: 200 }));
    clear(list);
    list.dataset.prefix = wanted;
    if (!r.ok) return list.appendChild(message("Modules: " + r.error, false));
    if (r.data.modules.length === 0) return list.appendChild(h("p", {}, "No module matches."));
    const rows = r.data.modules.map((m) => {
      const box = h("input", { type: "checkbox", class: "form-check-input module-select", checked: chosen.has(m.id),
        "aria-label": "plot " + m.id });
      box.addEventListener("change", () => {
        if (box.checked) chosen.add(m.id); else chosen.delete(m.id);
        plotButton.disabled = chosen.size === 0;
      });
      return h("tr", { dataset: { module: m.id } }, h("td", {}, box), h("td", { class: "wrap" }, m.id), h("td", {}, m.unit),
        h("td", {}, when(m.first_seen)));
    });
    list.appendChild(h("div", { class: "table-wrap list-box" }, h("table", { class: "table table-sm data" },
      h("thead", {}, h("tr", {}, ["", "module", "unit", "first seen"].map((c) => h("th", {}, c)))), h("tbody", {}, rows))));
    if (r.data.modules.length === 200) list.appendChild(h("p", { class: "muted" }, "The first 200: narrow the search."));

    plotButton.disabled = chosen.size === 0;
  }

  async function draw() {
    const ids = [...chosen];
    clear(status).appendChild(h("p", { class: "muted" }, "Loading " + ids.length + " series…"));
    const t0 = performance.now();
    const s = step.value.trim();
    const answers = await Promise.all(ids.map((id) => api.get(api.path("/v1/modules/" + encodeURIComponent(id) + "/measurements", {
      from: isoFromInput(from.value), to: isoFromInput(to.value), step: s, agg: s ? agg.value : "", limit: 1000000 }))));
    const fetchMs = performance.now() - t0;
    performance.measure("console:plot-fetch", { start: t0, duration: fetchMs });
    const failed = answers.find((r) => !r.ok);
    if (failed) return clear(status).appendChild(message("Measurements: " + failed.error, false));
    const units = new Map();
    for (const row of list.querySelectorAll("tr[data-module]")) units.set(row.dataset.module, row.children[2].textContent);
    const series = answers.map((r, i) => ({
      name: ids[i], unit: r.data.unit || units.get(ids[i]) || "",
      points: r.data.points.map((p) => [Date.parse(p.ts), p.value]),
    }));
    const total = series.reduce((n, x) => n + x.points.length, 0);
    chart.hidden = false;
    if (plotted) plotted.graph.destroy();
    if (total === 0) {
      chart.hidden = true;
      plotted = null;
      return clear(status).appendChild(h("p", {}, "No values in this range."));
    }
    const graph = await plot(chart, legend, series, stepMs(s));
    plotted = { series, graph };
    chart.dataset.fetchMs = fetchMs.toFixed(1);
    csvButton.disabled = false;
    resetZoom.disabled = false;
    clear(status).appendChild(h("p", { class: "muted", id: "plot-summary" },
      `${total} points in ${series.length} series (fetched in ${fetchMs.toFixed(0)} ms, drawn in ${chart.dataset.drawMs} ms).`));
  }

  function csv() {
    const { series } = plotted;
    const at = new Map();
    series.forEach((s, k) => {
      for (const [t, v] of s.points) {
        if (!at.has(t)) at.set(t, new Array(series.length).fill(""));
        at.get(t)[k] = v;
      }
    });
    const quote = (x) => (/[",\n]/.test(x) ? '"' + x.replace(/"/g, '""') + '"' : x);
    const lines = ["timestamp," + series.map((s) => quote(s.name + (s.unit ? " (" + s.unit + ")" : ""))).join(",")];
    for (const t of [...at.keys()].sort((a, b) => a - b)) lines.push(new Date(t).toISOString() + "," + at.get(t).join(","));
    download(series.length === 1 ? series[0].name + ".csv" : "modules.csv", lines.join("\n") + "\n", "text/csv");
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); find(); });
  plotButton.addEventListener("click", draw);
  csvButton.addEventListener("click", csv);
  resetZoom.addEventListener("click", () => plotted && plotted.graph.resetZoom());
  ctx.onLeave(() => { if (plotted) plotted.graph.destroy(); });
  await find();
  if (q.get("plot") === "1" && chosen.size > 0) await draw();
}
