// Overview: one row per way in (push sources, file connectors, API connectors),
// from the newest frames, the file journal and the connectors' runs. Anything
// red links to its detail.
import * as api from "/console/js/api.js";
import { clear, h, table, when } from "/console/js/dom.js";

const FRAMES = 1000;  // the newest frames looked at
const MINUTES = 10;   // frames per minute: over the last ten

function bad(n, href) {
  return n > 0 ? h("a", { class: "bad", href }, String(n)) : "0";
}

function pushRows(frames) {
  const now = Date.now();
  const by = new Map();
  for (const f of frames) {
    const s = by.get(f.source) || { recent: 0, last: "", failed: 0, pending: 0 };
    if (now - Date.parse(f.received_at) < MINUTES * 60000) s.recent++;
    if (f.received_at > s.last) s.last = f.received_at;
    if (f.status === "failed") s.failed++;
    if (f.status === "no-decoder") s.pending++;
    by.set(f.source, s);
  }
  return [...by.entries()].sort().map(([source, s]) => [
    "push", source, (s.recent / MINUTES).toFixed(1), when(s.last),
    bad(s.failed, "#/frames?status=failed"), bad(s.pending, "#/frames?status=pending"), "",
  ]);
}

function fileRows(files, known) {
  const by = new Map();
  for (const f of files) {
    const name = f.connector || "(imported by hand)";
    const s = by.get(name) || { last: "", rejected: 0, count: 0 };
    s.count++;
    if (f.at > s.last) s.last = f.at;
    if (f.status === "rejected" || f.status === "retry") s.rejected++;
    by.set(name, s);
  }
  return [...by.entries()].filter(([name]) => !known.has(name)).sort().map(([name, s]) => [
    "files", name, "", when(s.last), bad(s.rejected, "#/files?connector=" + encodeURIComponent(name)), "", "",
  ]);
}

function connectorRows(connectors) {
  return connectors.map((c) => {
    const last = (c.runs || [])[0];
    const failed = (c.runs || []).filter((r) => r.status === "failed").length;
    return [c.kind === "api" ? "API" : "files", c.name, "", last ? when(last.started) : "never",
      c.kind === "files" ? bad(c.files_rejected || 0, "#/files?connector=" + encodeURIComponent(c.name)) : "",
      "", bad(failed, "#/connectors?name=" + encodeURIComponent(c.name))];
  });
}

export default async function overview(root, ctx) {
  root.appendChild(h("h2", {}, "Overview"));
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  root.appendChild(body);
  const load = async () => {
    const [fr, fi, co] = await Promise.all([
      api.get(api.path("/v1/frames", { limit: FRAMES })),
      api.get(api.path("/v1/files", { limit: 1000 })),
      api.get("/v1/connectors"),
    ]);
    const connectors = co.ok ? co.data.connectors : [];
    const known = new Set(connectors.map((c) => c.name));
    const rows = [
      ...pushRows(fr.ok ? fr.data.frames : []),
      ...connectorRows(connectors),
      ...fileRows(fi.ok ? fi.data.files : [], known),
    ];
    clear(body);
    if (!fr.ok) body.appendChild(h("p", { class: "msg-err" }, "Frames: " + fr.error));
    body.appendChild(h("p", { class: "muted" },
      `Push figures are taken from the newest ${FRAMES} frames; frames per minute over the last ${MINUTES} minutes. ` +
      "Files and runs from the file journal and the connectors' last runs."));
    if (rows.length === 0) {
      body.appendChild(h("p", {}, "Nothing has arrived yet for this tenant and env."));
    } else {
      body.appendChild(table(["way in", "name", "frames/min", "last arrival", "failures / rejected files", "pending decode",
        "failed runs"], rows, (i) => ({ dataset: { way: rows[i][0], name: rows[i][1] } })));
    }
  };
  // Left before the first load answered: no polling (and this page's clean-up
  // registered first, so that it never replaces the next page's).
  let left = false;
  let timer = null;
  ctx.onLeave(() => { left = true; clearInterval(timer); });
  await load();
  if (!left) timer = setInterval(load, 5000);
}
