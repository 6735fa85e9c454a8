// Plots series with dygraphs (Debian's libjs-dygraphs, loaded as a classic
// script: window.Dygraph). Gaps are shown as breaks in the line: a NaN is put
// where consecutive points are further apart than the step (or, for raw
// points, than three times the usual interval). The drawing time is measured
// with the Performance API and left on the element (data-draw-ms), with the
// number of points drawn (data-points) and of gaps (data-gaps).

let loading = null;
function loadDygraph() {
  if (window.Dygraph) return Promise.resolve(window.Dygraph);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = "/console/vendor/dygraph.min.js";
      s.onload = () => {
        // Its legend writes HTML with inline style attributes, which the CSP refuses: plot.js
        // draws its own legend, as text.
        window.Dygraph.PLUGINS = window.Dygraph.PLUGINS.filter((p) => p !== window.Dygraph.Plugins.Legend);
        resolve(window.Dygraph);
      };
      s.onerror = () => reject(new Error("the plotting library did not load"));
      document.head.appendChild(s);
    });
  }
  return loading;
}

function usualInterval(times) {
  const d = [];
  for (let i = 1; i < times.length && d.length < 1000; i++) d.push(times[i] - times[i - 1]);
  d.sort((a, b) => a - b);
  return d.length ? d[Math.floor(d.length / 2)] : 0;
}

// series: [{name, unit, points: [[ms, value], ...] sorted}], stepMs (0: raw).
// Returns the rows for dygraphs ([ms, v1, v2, ...]), merged by time (each
// series sorted: a k-way merge, no map). A series without a value at a row's
// time has null there (connected over: connectSeparatedPoints); a gap in a
// series is a NaN row just after the point before it (a break in the line).
export function mergeSeries(series, stepMs) {
  const n = series.length;
  const gaps = series.map((s) => (stepMs > 0 ? stepMs * 1.5 : usualInterval(s.points.map((p) => p[0])) * 3));
  const at = new Array(n).fill(0);
  const rows = [];
  const pending = new Array(n).fill(-1);  // a gap to mark after this time, per series
  for (;;) {
    let t = Infinity;
    for (let k = 0; k < n; k++) {
      const p = series[k].points;
      if (at[k] < p.length && p[at[k]][0] < t) t = p[at[k]][0];
      if (pending[k] >= 0 && pending[k] < t) t = pending[k];
    }
    if (t === Infinity) break;
    const row = new Array(n + 1).fill(null);
    row[0] = t;  // epoch ms: the x axis is told it is time (no Date object per row)
    for (let k = 0; k < n; k++) {
      if (pending[k] === t) {
        row[k + 1] = NaN;
        pending[k] = -1;
        continue;
      }
      const p = series[k].points;
      const i = at[k];
      if (i < p.length && p[i][0] === t) {
        row[k + 1] = p[i][1];
        at[k] = i + 1;
        if (i + 1 < p.length && gaps[k] > 0 && p[i + 1][0] - t > gaps[k]) pending[k] = t + 1;
      }
    }
    rows.push(row);
  }
  return rows;
}

// Dygraphs writes axis labels as HTML: a unit from the data goes in escaped.
function escaped(text) {
  const d = document.createElement("div");
  d.textContent = text;
  return d.innerHTML;
}

// Draws `series` into `el`, the values under the pointer into `legend` (as
// text); resolves to the Dygraph.
export async function plot(el, legend, series, stepMs) {
  const Dygraph = await loadDygraph();
  const t0 = performance.now();
  const rows = mergeSeries(series, stepMs);
  const units = [...new Set(series.map((s) => s.unit || ""))];
  const seriesOpts = {};
  series.forEach((s) => { if (units.length > 1 && (s.unit || "") === units[1]) seriesOpts[s.name] = { axis: "y2" }; });
  const label = (u) => escaped(u ? u : "(no unit)");
  const showLegend = (g, x, points) => {
    while (legend.firstChild) legend.removeChild(legend.firstChild);
    if (x === undefined) return;
    legend.appendChild(document.createTextNode(new Date(x).toISOString().replace("T", " ") + "  "));
    const colors = g.getColors();
    for (const p of points) {
      const k = series.findIndex((s) => s.name === p.name);
      const span = document.createElement("span");
      span.className = "legend-item";
      span.style.color = colors[k];  // CSSOM, not an attribute: the CSP allows it
      span.textContent = p.name + ": " + p.yval + (series[k].unit ? " " + series[k].unit : "");
      legend.appendChild(span);
    }
  };
  const g = new Dygraph(el, rows, {
    labels: ["time", ...series.map((s) => s.name)],
    ylabel: label(units[0]),
    y2label: units.length > 1 ? label(units[1]) : undefined,
    series: seriesOpts,
    axes: Object.assign({ x: { ticker: Dygraph.dateTicker, axisLabelFormatter: Dygraph.dateAxisLabelFormatter } },
      units.length > 1 ? { y2: { independentTicks: true } } : {}),
    connectSeparatedPoints: true,  // a null is another series' time; a gap is NaN
    drawGapEdgePoints: true,
    labelsUTC: true,
    animatedZooms: false,
    highlightCallback: (ev, x, points) => showLegend(g, x, points),
    unhighlightCallback: () => showLegend(g, undefined, []),
    showRoller: false,
  });
  const ms = performance.now() - t0;
  performance.measure("console:plot-draw", { start: t0, duration: ms });
  el.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
  el.dataset.series = String(series.length);
  el.dataset.drawMs = ms.toFixed(1);
  el.dataset.units = units.join(",");
  el.dataset.gaps = String(rows.reduce((n, r) => n + r.slice(1).filter((v) => Number.isNaN(v)).length, 0));
  return g;
}
