// Devices: the registry of the token's tenant and env (device id → device
// type, label, module naming); edit one; import a CSV, every bad line named.
import * as api from "/console/js/api.js";
import { clear, field, h, message, table } from "/console/js/dom.js";

export default async function devices(root, ctx) {
  const prefix = h("input", { class: "form-control form-control-sm", name: "prefix", placeholder: "device id starts with…" });
  const list = h("div", { id: "device-list" });
  const eId = h("input", { class: "form-control form-control-sm", name: "deviceid", required: true });
  const eType = h("input", { class: "form-control form-control-sm", name: "devicetype" });
  const eLabel = h("input", { class: "form-control form-control-sm", name: "label" });
  const eModule = h("input", { class: "form-control form-control-sm", name: "module", placeholder: "{deviceid}.{field}" });
  const eOut = h("div", { id: "device-result" });
  const csv = h("textarea", { class: "code", name: "csv", id: "device-csv",
    placeholder: "deviceid;devicetype;label;module\n70B3D5E75E001122;netvox-r718a;Room 12;" });
  const csvFile = h("input", { type: "file", class: "form-control form-control-sm", name: "csv-file", accept: ".csv,text/csv,text/plain" });
  const cOut = h("div", { id: "import-result" });
  const searchForm = h("form", { class: "filters" }, field("Device", prefix),
    h("button", { type: "submit", class: "btn btn-sm btn-outline-primary" }, "Search"));
  const editForm = h("form", { class: "filters", id: "device-form" }, field("Device id", eId), field("Device type", eType),
    field("Label", eLabel), field("Module naming", eModule), h("button", { type: "submit", class: "btn btn-sm btn-primary" }, "Save"));
  const importForm = h("form", { id: "import-form" }, h("div", { class: "filters" }, field("CSV file", csvFile)), csv,
    h("button", { type: "submit", class: "btn btn-sm btn-primary mt-1" }, "Import"));
  root.append(h("h2", {}, "Devices"), searchForm, list,
    h("div", { class: "card-box" }, h("h3", {}, "Add or edit a device"), editForm, eOut),
    h("div", { class: "card-box" }, h("h3", {}, "Import a CSV"),
      h("p", { class: "muted" }, "Columns deviceid, devicetype, label, module (separator , or ;). A file with a bad line imports nothing: " +
        "every bad line is listed."), importForm, cOut));

  async function load() {
    const r = await api.get(api.path("/v1/devices", { prefix: prefix.value.trim(), limit: 1000 }));
    clear(list);
    if (!r.ok) return list.appendChild(message("Devices: " + r.error, false));
    const ds = r.data.devices;
    if (ds.length === 0) return list.appendChild(h("p", {}, "No device registered" + (prefix.value ? " with this prefix." : " yet.")));
    list.appendChild(table(["device id", "device type", "label", "module naming", ""], ds.map((d) => {
      const edit = h("button", { type: "button", class: "btn btn-sm btn-link p-0" }, "edit");
      edit.addEventListener("click", () => {
        eId.value = d.deviceid; eType.value = d.devicetype; eLabel.value = d.label; eModule.value = d.module;
        eType.focus();
      });
      return [d.deviceid, d.devicetype, d.label, d.module, edit];
    }), (i) => ({ dataset: { deviceid: ds[i].deviceid } })));
    if (ds.length === 1000) list.appendChild(h("p", { class: "muted" }, "The first 1000: narrow the search."));
  }

  searchForm.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  editForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await api.call("PUT", "/v1/devices/" + encodeURIComponent(eId.value.trim()),
      { devicetype: eType.value.trim(), label: eLabel.value.trim(), module: eModule.value.trim() });
    clear(eOut).appendChild(message(r.ok ? "Saved." : r.error, r.ok));
    if (r.ok) load();
  });
  csvFile.addEventListener("change", async () => { if (csvFile.files[0]) csv.value = await csvFile.files[0].text(); });
  importForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await api.call("POST", "/v1/devices", csv.value, "text/csv");
    clear(cOut);
    if (r.ok) {
      cOut.appendChild(message(`${r.data.updated} devices imported.`, true));
      return load();
    }
    const lines = r.error.split("\n");
    cOut.append(h("p", { class: "msg-err" }, lines[0]),
      lines.length > 1 ? h("ul", { class: "problems" }, lines.slice(1).map((l) => h("li", { class: "csv-error" }, l))) : null);
  });
  await load();
}
