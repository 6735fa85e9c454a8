// Decoders: the device types that apply to the token's tenant and env, their
// uploaded versions (activate, roll back to the shared decoder), try a payload,
// upload a spec (and its JavaScript) whose vectors must pass, aliases.
import * as api from "/console/js/api.js";
import { clear, field, h, message, pretty, table } from "/console/js/dom.js";

// An upload's refusal, one failing vector per item: the API's error lists
// them on lines "  test[i] payload …: why" after a first summary line.
function problems(error) {
  const lines = error.split("\n");
  return h("div", { id: "upload-problems" },
    h("p", { class: "msg-err" }, lines[0]),
    lines.length > 1 ? h("ul", { class: "problems" },
      lines.slice(1).map((l) => h("li", { class: "failing-vector" }, l.trim()))) : null);
}

function readFile(input) {
  const f = input.files[0];
  return f ? f.text() : Promise.resolve("");
}

export default async function decoders(root, ctx) {
  const env = ctx.scope.env;
  const types = h("div", { id: "devicetypes" });
  const versions = h("div", { id: "versions", class: "card-box", hidden: true });
  root.append(h("h2", {}, "Decoders"),
    h("p", { class: "muted" }, `What decodes the frames of tenant ${ctx.scope.tenant} in ${env}: a version uploaded for ` +
      `${env} (uploaded: yes), else the shared decoder. Versions uploaded for the other env are seen with its token.`),
    types, versions);

  // Try a payload.
  const tType = h("input", { class: "form-control form-control-sm", name: "devicetype", list: "devicetype-names" });
  const tHex = h("input", { class: "form-control form-control-sm", name: "payload", placeholder: "hex, e.g. cbf60b0d…" });
  const tPort = h("input", { class: "form-control form-control-sm", name: "fport", type: "number", min: 0, max: 255, value: "" });
  const tDevice = h("input", { class: "form-control form-control-sm", name: "deviceid", placeholder: "optional" });
  const tOut = h("div", { id: "try-result" });
  const tryForm = h("form", { class: "filters", id: "try-form" }, field("Device type", tType), field("Payload (hex)", tHex),
    field("fPort", tPort), field("Device id", tDevice), h("button", { type: "submit", class: "btn btn-sm btn-primary" }, "Decode"));
  root.append(h("div", { class: "card-box" }, h("h3", {}, "Try a payload"), tryForm, tOut));

  // Upload a version.
  const uType = h("input", { class: "form-control form-control-sm", name: "devicetype", list: "devicetype-names" });
  const uSpec = h("textarea", { class: "code", name: "spec", id: "upload-spec",
    placeholder: "the spec (TOML) with its [[test]] vectors; or choose a file" });
  const uSpecFile = h("input", { type: "file", class: "form-control form-control-sm", name: "spec-file", accept: ".toml,text/plain" });
  const uScript = h("input", { type: "file", class: "form-control form-control-sm", name: "script", accept: ".js,text/javascript" });
  const uActivate = h("input", { type: "checkbox", class: "form-check-input", name: "activate" });
  const uOut = h("div", { id: "upload-result" });
  const uploadForm = h("form", { id: "upload-form" },
    h("div", { class: "filters" }, field("Device type", uType), field("Spec file", uSpecFile), field("JavaScript (optional)", uScript),
      h("label", { class: "form-check" }, uActivate, " activate once its vectors pass")),
    uSpec, h("button", { type: "submit", class: "btn btn-sm btn-primary mt-1" }, "Upload for " + env));
  root.append(h("div", { class: "card-box" }, h("h3", {}, "Upload a version"), uploadForm, uOut));

  // Aliases.
  const aliases = h("div", { id: "aliases" });
  const aName = h("input", { class: "form-control form-control-sm", name: "alias" });
  const aType = h("input", { class: "form-control form-control-sm", name: "alias-devicetype", list: "devicetype-names" });
  const aOut = h("div", { id: "alias-result" });
  const aliasForm = h("form", { class: "filters" }, field("Name the platform sends", aName), field("Device type", aType),
    h("button", { type: "submit", class: "btn btn-sm btn-outline-primary" }, "Set alias"));
  root.append(h("div", { class: "card-box" }, h("h3", {}, "Aliases"), aliases, aliasForm, aOut));
  const names = h("datalist", { id: "devicetype-names" });
  root.append(names);

  async function loadTypes() {
    const r = await api.get("/v1/devicetypes");
    clear(types);
    if (!r.ok) return types.appendChild(message("Device types: " + r.error, false));
    const list = r.data.devicetypes;
    clear(names).append(...list.map((t) => h("option", { value: t.devicetype })));
    const rows = list.map((t) => {
      const open = h("button", { type: "button", class: "btn btn-sm btn-link p-0" }, "versions");
      open.addEventListener("click", () => loadVersions(t.devicetype));
      return [t.devicetype, t.version, t.kind, t.uploaded ? "yes" : "shared", String(t.tests), t.description, open];
    });
    types.appendChild(table(["device type", "version", "kind", "uploaded", "vectors", "description", ""], rows,
      (i) => ({ dataset: { devicetype: list[i].devicetype } })));
  }

  async function loadVersions(type) {
    const r = await api.get("/v1/devicetypes/" + encodeURIComponent(type) + "/versions");
    clear(versions).hidden = false;
    versions.dataset.devicetype = type;
    versions.appendChild(h("h3", {}, "Versions of ", type, " for " + env));
    if (!r.ok) return versions.appendChild(message(r.error, false));
    const d = r.data;
    versions.appendChild(h("p", {}, "Shared decoder: ", d.shared ? `${d.shared.version} (${d.shared.kind})` : "none"));
    const out = h("div", { id: "activate-result" });
    const act = async (url) => {
      const a = await api.call("POST", url, {});
      if (!a.ok) return clear(out).appendChild(message(a.error, false));
      await loadVersions(type);
      await loadTypes();
      versions.appendChild(message(a.data.active ? "Version " + a.data.active + " is active." : "Back to the shared decoder.", true));
    };
    const rows = d.versions.map((v) => {
      const b = h("button", { type: "button", class: "btn btn-sm btn-outline-primary activate-version", disabled: v.active },
        v.active ? "active" : "activate");
      b.addEventListener("click", () => act(`/v1/devicetypes/${encodeURIComponent(type)}/versions/${encodeURIComponent(v.version)}/activate`));
      return [v.version, v.uploaded_at.replace("T", " "), v.active ? "active since " + v.active_since.replace("T", " ") : "", b];
    });
    if (rows.length) {
      versions.appendChild(table(["version", "uploaded", "active", ""], rows, (i) => ({ dataset: { version: d.versions[i].version } })));
    } else {
      versions.appendChild(h("p", {}, "No version uploaded for " + env + "."));
    }
    if (d.versions.some((v) => v.active)) {
      const back = h("button", { type: "button", class: "btn btn-sm btn-outline-danger", id: "deactivate" }, "Roll back to the shared decoder");
      back.addEventListener("click", () => act(`/v1/devicetypes/${encodeURIComponent(type)}/deactivate`));
      versions.appendChild(back);
    }
    versions.appendChild(out);
  }

  async function loadAliases() {
    const r = await api.get("/v1/devicetype-aliases");
    clear(aliases);
    if (!r.ok) return aliases.appendChild(message(r.error, false));
    if (r.data.aliases.length === 0) return aliases.appendChild(h("p", { class: "muted" }, "No alias."));
    aliases.appendChild(table(["name", "device type", ""], r.data.aliases.map((a) => {
      const del = h("button", { type: "button", class: "btn btn-sm btn-outline-danger" }, "remove");
      del.addEventListener("click", async () => {
        const d = await api.call("DELETE", "/v1/devicetype-aliases/" + encodeURIComponent(a.alias));
        clear(aOut).appendChild(message(d.ok ? "Removed." : d.error, d.ok));
        loadAliases();
      });
      return [a.alias, a.devicetype, del];
    })));
  }

  tryForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { payload: tHex.value.trim() };
    if (tPort.value !== "") body.fport = Number(tPort.value);
    if (tDevice.value.trim()) body.deviceid = tDevice.value.trim();
    const r = await api.call("POST", "/v1/devicetypes/" + encodeURIComponent(tType.value.trim()) + "/decode", body);
    clear(tOut);
    if (r.status === 422 && r.data && r.data.errors) {
      tOut.appendChild(h("p", { class: "msg-err" }, "The decoder refuses this payload:"));
      tOut.appendChild(h("ul", { class: "problems" }, r.data.errors.map((e) => h("li", {}, typeof e === "string" ? e : pretty(e)))));
      return;
    }
    if (!r.ok) return tOut.appendChild(message(r.error, false));
    const ms = r.data.measurements || [];
    tOut.append(h("p", { class: "msg-ok" }, `Decoded: ${ms.length} values.`),
      table(["module", "value", "unit"], ms.map((m) => [m.module ?? m.field ?? "", String(m.value), m.unit ?? ""]),
        (i) => ({ class: "try-value", dataset: { module: ms[i].module ?? ms[i].field ?? "" } })),
      h("details", {}, h("summary", {}, "decoder output (data)"), h("pre", { class: "box" }, pretty(r.data.data))));
  });

  uSpecFile.addEventListener("change", async () => { uSpec.value = await readFile(uSpecFile); });
  uploadForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const type = uType.value.trim();
    clear(uOut);
    if (!type) return uOut.appendChild(message("Name the device type the spec is for.", false));
    const fd = new FormData();
    fd.append("spec", uSpec.value);
    const script = await readFile(uScript);
    if (script) fd.append("script", script);
    const r = await api.call("POST", api.path("/v1/devicetypes/" + encodeURIComponent(type) + "/versions",
      { activate: uActivate.checked ? "true" : "" }), fd);
    if (!r.ok) return uOut.appendChild(problems(r.error));
    uOut.appendChild(message(`Version ${r.data.version} of ${r.data.devicetype} (${r.data.kind}) stored for ${env}: ` +
      `${r.data.vectors} vectors pass` + (r.data.active ? "; it is active." : "; not active yet."), true));
    await loadTypes();
    await loadVersions(r.data.devicetype);
  });
  aliasForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await api.call("PUT", "/v1/devicetype-aliases/" + encodeURIComponent(aName.value.trim()), { devicetype: aType.value.trim() });
    clear(aOut).appendChild(message(r.ok ? `${r.data.alias} now names ${r.data.devicetype}.` : r.error, r.ok));
    loadAliases();
  });

  await Promise.all([loadTypes(), loadAliases()]);
  if (ctx.query.get("type")) await loadVersions(ctx.query.get("type"));
}
