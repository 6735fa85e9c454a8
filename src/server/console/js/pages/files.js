// Files: the file journal with each file's per-line report; a sample file
// dropped here is read as it would be imported (nothing stored): the report,
// the proposed profile (editable, downloadable, re-checked) and a preview of
// the values.
import * as api from "/console/js/api.js";
import { clear, download, field, h, message, table, when } from "/console/js/dom.js";

// A report's problems, one per line: where (line, field) and why.
function issues(list, cls) {
  return h("ul", { class: "problems" }, list.map((e) =>
    h("li", { class: cls, dataset: { line: e.line ?? 0 } },
      (e.part ? e.part + ": " : "") + (e.line ? "line " + e.line : "file") + (e.field ? ", " + e.field : "") + ": " + e.message)));
}

function reportView(rep) {
  const out = h("div", { class: "report" });
  out.appendChild(h("p", {}, `${rep.format || "?"} · ${rep.encoding || "?"}` + (rep.delimiter ? ` · delimiter ${rep.delimiter}` : "") +
    ` · ${rep.rows} rows, ${rep.readings} values for ${rep.modules} modules` + (rep.first ? `, ${when(rep.first)} to ${when(rep.last)}` : "")));
  if (rep.error_count > 0) {
    out.appendChild(h("p", { class: "msg-err" }, `${rep.error_count} rows in error` +
      (rep.error_count > rep.errors.length ? ` (the first ${rep.errors.length} below)` : "") + ":"));
    out.appendChild(issues(rep.errors, "report-error"));
  } else {
    out.appendChild(h("p", { class: "msg-ok" }, "No row in error."));
  }
  for (const [kind, w] of Object.entries(rep.warnings || {})) {
    out.appendChild(h("details", {}, h("summary", {}, `${w.count} × ${kind}`), issues(w.examples || [], "report-warning")));
  }
  return out;
}

export default async function files(root, ctx) {
  const q = ctx.query;
  const connector = h("input", { class: "form-control form-control-sm", name: "connector", value: q.get("connector") || "" });
  const journal = h("div", { id: "file-journal" });
  const detail = h("div", { id: "file-detail", class: "card-box", hidden: true });
  const input = h("input", { type: "file", class: "form-control form-control-sm", id: "sample-file", name: "file" });
  const zone = h("div", { class: "drop-zone", id: "drop-zone" }, h("p", {}, "Drop a sample file here, or choose one:"), input);
  const result = h("div", { id: "validate-result" });
  const jForm = h("form", { class: "filters" }, field("Connector", connector),
    h("button", { type: "submit", class: "btn btn-sm btn-outline-primary" }, "Show"));
  root.append(h("h2", {}, "Files"),
    h("div", { class: "card-box" }, h("h3", {}, "Check a sample file"),
      h("p", { class: "muted" }, "Read as it would be imported; nothing is stored. A profile is proposed from the sample."),
      zone, result),
    h("h3", {}, "Journal"), jForm, detail, journal);

  async function load() {
    const r = await api.get(api.path("/v1/files", { connector: connector.value.trim(), limit: 200, report: "true" }));
    clear(journal);
    if (!r.ok) return journal.appendChild(message("Files: " + r.error, false));
    const fs = r.data.files;
    if (fs.length === 0) return journal.appendChild(h("p", {}, "No file in the journal."));
    journal.appendChild(table(["at", "connector", "file", "status", "rows", "values", "errors", ""], fs.map((f) => {
      const open = h("button", { type: "button", class: "btn btn-sm btn-link p-0", disabled: !f.report }, "report");
      open.addEventListener("click", () => {
        clear(detail).hidden = false;
        detail.append(h("h3", {}, f.path.split("/").pop()), reportView(f.report));
      });
      return [when(f.at), f.connector || "(by hand)", h("td", { class: "wrap" }, f.path.split("/").pop()),
        h("td", { class: f.status === "rejected" || f.status === "retry" ? "bad" : "" }, f.status),
        String(f.rows), String(f.readings), h("td", { class: f.errors > 0 ? "bad" : "" }, String(f.errors)), open];
    }), (i) => ({ dataset: { file: fs[i].path.split("/").pop(), status: fs[i].status } })));
  }

  async function validate(file, profileText) {
    clear(result).appendChild(h("p", { class: "muted" }, "Reading " + file.name + "…"));
    const fd = new FormData();
    fd.append("file", file, file.name);
    if (profileText) fd.append("profile", new Blob([profileText], { type: "application/toml" }), "profile.toml");
    const r = await api.call("POST", "/v1/files/validate", fd);
    clear(result);
    if (!r.ok) return result.appendChild(message(file.name + ": " + r.error, false));
    const d = r.data;
    const rep = d.report;
    result.appendChild(h("p", { class: d.would_import ? "msg-ok" : "msg-err", id: "would-import" },
      d.would_import ? file.name + " would be imported." : file.name + " would be rejected as it is."));
    if ((d.notes || []).length) {
      result.appendChild(h("details", { class: "notes" }, h("summary", {}, d.sniffed ? "How the profile was found" : "Notes"),
        h("ul", { class: "muted small" }, d.notes.map((n) => h("li", {}, n)))));
    }
    const profile = h("textarea", { class: "code", id: "proposed-profile", name: "profile" });
    profile.value = d.profile;
    const again = h("button", { type: "button", class: "btn btn-sm btn-outline-primary" }, "Check again with this profile");
    const save = h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", id: "download-profile" }, "Download profile");
    again.addEventListener("click", () => validate(file, profile.value));
    save.addEventListener("click", () => download(file.name.replace(/\.[^.]*$/, "") + ".toml", profile.value, "application/toml"));
    const sample = rep.sample || [];
    result.append(h("div", { class: "row-gap" },
      h("div", {}, h("h3", {}, "Report"), reportView(rep)),
      h("div", {}, h("h3", {}, d.sniffed ? "Proposed profile" : "Profile"), profile, h("div", { class: "filters mt-1" }, again, save))),
    h("h3", {}, "Values it would store (first " + sample.length + ")"),
    table(["module", "time (UTC)", "local time", "value", "unit", "line"],
      sample.map((s) => [s.module, when(s.ts), s.local || "", String(s.value), s.unit || "", String(s.line || "")]),
      () => ({ class: "preview-row" })));
  }

  jForm.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  input.addEventListener("change", () => { if (input.files[0]) validate(input.files[0]); });
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    if (ev.dataTransfer.files[0]) validate(ev.dataTransfer.files[0]);
  });
  await load();
}
