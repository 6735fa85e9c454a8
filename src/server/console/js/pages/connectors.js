// Connectors: the scope's file drops, API pulls and MQTT subscriptions; the
// status and last runs of the first two with their errors, run one now, "try" an
// API connector over a range (nothing stored) with a plot of what would be
// stored; the live state of a subscription (polled).
import * as api from "/console/js/api.js";
import { clear, field, h, isoFromInput, message, table, when } from "/console/js/dom.js";
import { plot } from "/console/js/plot.js";

const RUN_WAIT_MS = 120000;  // how long "Run now" watches for the run's end
const MQTT_POLL_MS = 3000;   // how often a subscription's state is read again

const KIND = { api: "· API pull", files: "· file drop", mqtt: "· MQTT subscription" };

// A subscription's state (GET /v1/connectors `state`, docs/mqtt.md#status), as text.
function mqttState(s) {
  if (!s) return h("div", { class: "mqtt-state", dataset: { state: "unknown" } },
    h("p", { class: "muted" }, "No state yet: no server has subscribed (is `telecollect serve` running with this connector?)."));
  const good = s.state === "connected";
  return h("div", { class: "mqtt-state", dataset: { state: s.state, messages: String(s.messages) } },
    h("p", {}, "State: ", h("span", { class: good ? "status-decoded mqtt-state-name" : "bad mqtt-state-name" }, s.state),
      s.since ? ` since ${when(s.since)}` : "", s.holder ? ` · on ${s.holder}` : "", " · broker ", s.broker),
    h("p", {}, "Messages committed: ", h("span", { class: "mqtt-messages" }, String(s.messages)),
      " · last message: ", h("span", { class: "mqtt-last-message" }, s.last_message ? when(s.last_message) : "none yet"),
      ` · rejected: ${s.rejected} · reconnections: ${s.reconnects}`),
    s.last_error ? h("p", { class: "bad wrap mqtt-last-error" }, "Last error: ", s.last_error) : null);
}

function runRows(c) {
  return (c.runs || []).map((r) => {
    const what = c.kind === "api"
      ? `${r.windows} windows, ${r.windows_failed} failed, ${r.requests} requests, ${r.readings} values`
      : `${r.files_imported} imported, ${r.files_rejected} rejected, ${r.files_skipped} skipped, ${r.rows} rows ` +
        `(${r.row_errors} in error), ${r.readings} values`;
    return [when(r.started), r.finished ? when(r.finished) : "running",
      h("td", { class: r.status === "ok" ? "status-decoded" : r.status === "running" ? "" : "bad" }, r.status),
      what, h("td", { class: "wrap run-message" }, r.message)];
  });
}

function tryView(c, scopeEnv) {
  const from = h("input", { class: "form-control form-control-sm", type: "datetime-local", name: "from", required: true });
  const to = h("input", { class: "form-control form-control-sm", type: "datetime-local", name: "to" });
  const meter = h("input", { class: "form-control form-control-sm", name: "meter", placeholder: "all" });
  const out = h("div", { class: "try-result" });
  const chart = h("div", { class: "plot try-plot", hidden: true });
  const legend = h("div", { class: "plot-legend muted" });
  const form = h("form", { class: "filters try-form" }, field("From (UTC)", from), field("To (UTC)", to), field("Meter", meter),
    h("button", { type: "submit", class: "btn btn-sm btn-primary" }, "Try (nothing stored)"));
  let graph = null;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(out).appendChild(h("p", { class: "muted" }, "Fetching from the vendor…"));
    const r = await api.call("POST", api.path("/v1/connectors/" + encodeURIComponent(c.name) + "/try",
      { from: isoFromInput(from.value), to: isoFromInput(to.value), meter: meter.value.trim(), points: "true" }), "");
    clear(out);
    if (!r.ok) return out.appendChild(message(r.error, false));
    const d = r.data;
    if (d.message) out.appendChild(message(d.message, false));
    out.appendChild(table(["meter", "from", "to", "pages", "values", "error"], d.windows.map((w) =>
      [w.meter, when(w.from), when(w.to), String(w.pages), String(w.report.readings), h("td", { class: "wrap bad" }, w.error)]),
    (i) => ({ class: "try-window", dataset: { failed: d.windows[i].error ? "true" : "false" } })));
    const series = new Map();
    for (const w of d.windows) {
      for (const p of w.points || []) {
        if (!series.has(p.module)) series.set(p.module, { name: p.module, unit: p.unit, points: [] });
        series.get(p.module).points.push([Date.parse(p.ts), p.value]);
      }
    }
    const list = [...series.values()];
    for (const s of list) s.points.sort((a, b) => a[0] - b[0]);
    if (graph) graph.destroy();
    graph = null;
    if (list.length === 0) {
      chart.hidden = true;
      out.appendChild(h("p", {}, "Nothing would be stored for this range."));
      return;
    }
    chart.hidden = false;
    graph = await plot(chart, legend, list, 0);
    out.appendChild(h("p", { class: "muted" }, `${chart.dataset.points} values would be stored in ${scopeEnv} (not stored: a try).`));
  });
  return h("div", {}, h("h3", {}, "Try"), form, out, legend, chart);
}

export default async function connectors(root, ctx) {
  const list = h("div", { id: "connector-list" });
  root.append(h("h2", {}, "Connectors"), h("p", { class: "muted" },
    `The file drops, API pulls and MQTT subscriptions of tenant ${ctx.scope.tenant} in ${ctx.scope.env}, with their last ` +
    "runs or their state."), list);
  const watchers = [];

  async function load() {
    const r = await api.get("/v1/connectors");
    clear(list);
    if (!r.ok) return list.appendChild(message("Connectors: " + r.error, false));
    const cs = r.data.connectors;
    if (cs.length === 0) return list.appendChild(h("p", {}, "No connector for this tenant and env (docs/files.md, docs/pull.md, docs/mqtt.md)."));
    for (const c of cs) {
      if (c.kind === "mqtt") {
        list.appendChild(h("div", { class: "card-box connector", dataset: { connector: c.name, kind: c.kind } },
          h("div", { class: "detail-head" }, h("h3", {}, c.name, " ", h("span", { class: "muted" }, KIND.mqtt))),
          h("p", {}, "Source: ", c.source, c.enabled ? "" : " · disabled",
            " · subscribed while the server runs (no runs, nothing to run now)"),
          mqttState(c.state)));
        continue;
      }
      const last = (c.runs || [])[0];
      const status = last ? last.status : "never run";
      const runOut = h("div", { class: "run-result" });
      const run = h("button", { type: "button", class: "btn btn-sm btn-outline-primary run-now" }, "Run now");
      run.addEventListener("click", () => runNow(c, last ? last.id : 0, runOut, run));
      list.appendChild(h("div", { class: "card-box connector", dataset: { connector: c.name, kind: c.kind, status } },
        h("div", { class: "detail-head" },
          h("h3", {}, c.name, " ", h("span", { class: "muted" }, KIND[c.kind] || "")),
          run),
        h("p", {}, "Source: ", c.source, " · schedule: ", c.schedule || "by hand only", c.enabled ? "" : " · disabled",
          " · last run: ", h("span", { class: status === "ok" ? "status-decoded" : "bad" }, status)),
        runOut,
        (c.runs || []).length ? table(["started", "finished", "status", "what", "message"], runRows(c),
          (i) => ({ class: "run", dataset: { status: c.runs[i].status } })) : h("p", { class: "muted" }, "No run yet."),
        c.kind === "api" ? tryView(c, ctx.scope.env) : null));
    }
    if (cs.some((c) => c.kind === "mqtt") && !mqttTimer) {
      mqttTimer = setInterval(refreshMqtt, MQTT_POLL_MS);
      watchers.push(mqttTimer);
    }
    const wanted = ctx.query.get("name");
    const el = wanted && [...list.querySelectorAll(".connector")].find((e) => e.dataset.connector === wanted);
    if (el) el.scrollIntoView();
  }

  // Only the subscriptions' state is redrawn: a try under way elsewhere on the page is left alone.
  let mqttTimer = null;
  async function refreshMqtt() {
    const r = await api.get("/v1/connectors");
    if (!r.ok) return;
    for (const c of r.data.connectors.filter((x) => x.kind === "mqtt")) {
      const card = [...list.querySelectorAll(".connector")].find((e) => e.dataset.connector === c.name);
      const old = card && card.querySelector(".mqtt-state");
      if (old) old.replaceWith(mqttState(c.state));
    }
  }

  async function runNow(c, lastId, out, button) {
    button.disabled = true;
    const r = await api.call("POST", "/v1/connectors/" + encodeURIComponent(c.name) + "/run", "");
    if (!r.ok) {
      button.disabled = false;
      return clear(out).appendChild(message(r.error, false));
    }
    clear(out).appendChild(h("p", { class: "muted" }, "Queued; waiting for the run to end…"));
    const t0 = Date.now();
    const timer = setInterval(async () => {
      const l = await api.get("/v1/connectors");
      const now = l.ok ? l.data.connectors.find((x) => x.name === c.name) : null;
      const run = now && (now.runs || [])[0];
      if (run && run.id > lastId && run.finished) {
        clearInterval(timer);
        await load();
      } else if (Date.now() - t0 > RUN_WAIT_MS) {
        clearInterval(timer);
        clear(out).appendChild(message("No finished run yet: reload the page later.", false));
        button.disabled = false;
      }
    }, 1000);
    watchers.push(timer);
  }

  ctx.onLeave(() => watchers.forEach(clearInterval));
  await load();
}
