// Frames: the journal, live (polled every second), with filters; a frame's raw
// payload (hex), metadata, status, reason and values; selected frames, or every
// pending one, re-decoded.
import * as api from "/console/js/api.js";
import { clear, field, h, isoFromInput, message, pretty, when } from "/console/js/dom.js";

const POLL_MS = 1000;
const LIMIT = 200;

function valuesText(values) {
  if (!values) return "";
  return Object.entries(values).map(([k, v]) => k + "=" + v).join("  ");
}

export default async function frames(root, ctx) {
  const q = ctx.query;
  // The first page is asked for at once, while the page is being built (the filters start from the URL).
  const first = api.get(api.path("/v1/frames", {
    deviceid: q.get("deviceid") || "", devicetype: q.get("devicetype") || "", status: q.get("status") || "", limit: LIMIT }));
  const device = h("input", { class: "form-control form-control-sm", name: "deviceid", value: q.get("deviceid") || "" });
  const type = h("input", { class: "form-control form-control-sm", name: "devicetype", value: q.get("devicetype") || "" });
  const status = h("select", { class: "form-select form-select-sm", name: "status" },
    ["", "decoded", "pending", "failed"].map((s) => h("option", { value: s, selected: (q.get("status") || "") === s }, s || "any")));
  const from = h("input", { class: "form-control form-control-sm", type: "datetime-local", name: "from" });
  const to = h("input", { class: "form-control form-control-sm", type: "datetime-local", name: "to" });
  const live = h("input", { type: "checkbox", class: "form-check-input", name: "live", checked: true });
  const redecodeSelected = h("button", { type: "button", class: "btn btn-sm btn-outline-primary", id: "redecode-selected", disabled: true },
    "Re-decode selected");
  const redecodePending = h("button", { type: "button", class: "btn btn-sm btn-primary", id: "redecode-pending" },
    "Re-decode pending and failed");
  const result = h("div", { id: "redecode-result" });
  const count = h("span", { class: "muted", id: "frames-count" });
  const tbody = h("tbody", { id: "frames-body" });
  const detail = h("div", { id: "frame-detail", class: "card-box", hidden: true });
  const selected = new Set();
  let shown = [];       // frames on screen, newest first
  let openId = null;    // the frame whose detail is open

  root.append(
    h("h2", {}, "Frames"),
    h("div", { class: "filters" },
      field("Device id", device), field("Device type", type), field("Status", status),
      field("From (UTC)", from), field("To (UTC)", to),
      h("label", { class: "form-check" }, live, " live"),
      redecodeSelected, redecodePending, count),
    result,
    detail,
    h("div", { class: "table-wrap" },
      h("table", { class: "table table-sm table-hover data", id: "frames-table" },
        h("thead", {}, h("tr", {}, ["", "id", "received", "event time", "device", "device type", "source", "status", "reason", "values"]
          .map((c) => h("th", {}, c)))),
        tbody)));

  const query = () => ({
    deviceid: device.value.trim(), devicetype: type.value.trim(), status: status.value,
    from: isoFromInput(from.value), to: isoFromInput(to.value), limit: LIMIT,
  });

  function showDetail(f) {
    openId = f.id;
    clear(detail).hidden = false;
    detail.append(
      h("div", { class: "detail-head" },
        h("h3", {}, "Frame " + f.id + " · ", h("span", { class: "frame-device" }, f.deviceid)),
        h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", id: "close-detail" }, "Close")),
      h("div", { class: "row-gap" },
        h("div", {},
          h("p", {}, h("b", {}, "Status: "), h("span", { class: "status-" + f.status, id: "detail-status" }, f.status)),
          f.reason ? h("p", {}, h("b", {}, "Reason: "), h("span", { id: "detail-reason" }, f.reason)) : null,
          h("p", {}, h("b", {}, "Device type: "), f.devicetype || "(none)", "  ·  fPort ", f.fport ?? "none"),
          h("p", {}, h("b", {}, "Payload (hex)")), h("pre", { class: "box", id: "detail-payload" }, f.payload)),
        h("div", {},
          h("p", {}, h("b", {}, "Values")), h("pre", { class: "box", id: "detail-values" }, f.values ? pretty(f.values) : "none"),
          h("p", {}, h("b", {}, "Metadata")), h("pre", { class: "box" }, f.metadata ? pretty(f.metadata) : "none"))));
    detail.querySelector("#close-detail").addEventListener("click", () => { openId = null; detail.hidden = true; });
  }

  function row(f) {
    const box = h("input", { type: "checkbox", class: "form-check-input frame-select", checked: selected.has(f.id),
      "aria-label": "select frame " + f.id });
    box.addEventListener("click", (ev) => {
      ev.stopPropagation();
      if (box.checked) selected.add(f.id); else selected.delete(f.id);
      redecodeSelected.disabled = selected.size === 0;
    });
    const tr = h("tr", { class: "clickable" + (selected.has(f.id) ? " selected-row" : ""),
      dataset: { frameId: f.id, status: f.status, deviceid: f.deviceid } },
      h("td", {}, box), h("td", {}, f.id), h("td", {}, when(f.received_at)), h("td", {}, when(f.timestamp)),
      h("td", { class: "frame-device" }, f.deviceid), h("td", {}, f.devicetype), h("td", {}, f.source),
      h("td", { class: "status-" + f.status }, f.status), h("td", { class: "wrap" }, f.reason || ""),
      h("td", { class: "wrap frame-values" }, valuesText(f.values)));
    tr.addEventListener("click", () => showDetail(f));
    return tr;
  }

  function draw(list) {
    shown = list;
    const rows = list.map(row);
    clear(tbody).append(...rows);
    count.textContent = list.length === LIMIT ? `the newest ${LIMIT} frames` : list.length === 1 ? "1 frame" : list.length + " frames";
    const open = list.find((f) => f.id === openId);
    if (open) showDetail(open);
    // The page's first table on screen: bench/console.sh reads it (Performance API).
    if (!tbody.dataset.drawn) {
      tbody.dataset.drawn = "1";
      performance.mark("console:frames-drawn");
    }
  }

  let signature = "";
  let busy = false;
  async function load(force, pending) {
    if (busy) return;
    busy = true;
    try {
      const r = await (pending || api.get(api.path("/v1/frames", query())));
      if (!r.ok) {
        clear(result).appendChild(message("Frames: " + r.error, false));
        return;
      }
      // Redrawn only when something changed (a new frame, a new status).
      const sig = r.data.frames.map((f) => f.id + f.status).join(",");
      if (force || sig !== signature) {
        signature = sig;
        draw(r.data.frames);
      }
    } finally {
      busy = false;
    }
  }

  async function redecode(params, what) {
    clear(result).appendChild(h("p", { class: "muted" }, "Re-decoding " + what + "…"));
    const r = await api.call("POST", api.path("/v1/redecode", params));
    if (!r.ok) return { error: r.error };
    return r.data;
  }

  redecodeSelected.addEventListener("click", async () => {
    const total = { scanned: 0, decoded: 0, pending: 0, failed: 0, measurements: 0 };
    const chosen = shown.filter((f) => selected.has(f.id));
    for (const f of chosen) {
      // One frame: its device, its event time to the millisecond, whatever its status.
      const at = Date.parse(f.timestamp);
      const out = await redecode({ deviceid: f.deviceid, from: at, to: at + 1, status: "all" }, chosen.length + " frames");
      if (out.error) return clear(result).appendChild(message("Re-decode: " + out.error, false));
      for (const k of Object.keys(total)) total[k] += out[k] || 0;
    }
    selected.clear();
    redecodeSelected.disabled = true;
    clear(result).appendChild(message(`Re-decoded ${total.scanned} frames: ${total.decoded} decoded, ${total.pending} pending, ` +
      `${total.failed} failed, ${total.measurements} values stored.`, true));
    load(true);
  });
  redecodePending.addEventListener("click", async () => {
    const { deviceid, devicetype, from: f, to: t } = query();
    const out = await redecode({ deviceid, devicetype, from: f, to: t }, "pending and failed frames");
    if (out.error) return clear(result).appendChild(message("Re-decode: " + out.error, false));
    clear(result).appendChild(message(`Re-decoded ${out.scanned} frames: ${out.decoded} decoded, ${out.pending} still pending, ` +
      `${out.failed} failed, ${out.measurements} values stored.`, true));
    load(true);
  });
  for (const input of [device, type, status, from, to]) input.addEventListener("change", () => load(true));

  // As on the overview: no polling once left, even during the first load.
  let left = false;
  let timer = null;
  ctx.onLeave(() => { left = true; clearInterval(timer); });
  await load(true, first);
  if (!left) timer = setInterval(() => { if (live.checked) load(false); }, POLL_MS);
}
