// Building the page from data, as text only: every value goes in through
// textContent (a text node), never through innerHTML, so that a device id such
// as <img src=x onerror=alert(1)> shows as those characters.

// h("td", {class: "x", dataset: {id: 3}}, "text", child, ...): an element.
// Attributes are set one by one (never "style" nor "on…": the CSP forbids
// inline styles and scripts); children that are not nodes become text.
export function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k === "class") e.className = v;
    else if (k.startsWith("on") || k === "style") throw new Error("refused attribute " + k);
    else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden" || k === "selected") e[k] = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  append(e, children);
  return e;
}

export function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clear(e) {
  while (e.firstChild) e.removeChild(e.firstChild);
  return e;
}

// A table of `rows` (arrays of cells: text or nodes) under `head` (column names).
export function table(head, rows, rowAttrs) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "table table-sm table-hover data" },
      h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
      h("tbody", {}, rows.map((r, i) => h("tr", rowAttrs ? rowAttrs(i) : {}, r.map((c) => c instanceof Node && c.tagName === "TD" ? c : h("td", {}, c)))))));
}

// A message line: ok (green) or error (red), as text.
export function message(text, ok) {
  return h("p", { class: ok ? "msg-ok" : "msg-err", role: ok ? "status" : "alert" }, text);
}

// "2024-01-01T00:00:00.000Z" shown as "2024-01-01 00:00:00.000Z".
export function when(iso) {
  return iso ? iso.replace("T", " ") : "";
}

// A <input type="datetime-local"> value (taken as UTC) to ISO-8601, or "".
export function isoFromInput(v) {
  return v ? new Date(v + (v.length === 16 ? ":00" : "") + "Z").toISOString() : "";
}

// A labelled input for a filter bar.
export function field(label, input) {
  return h("label", {}, label, input);
}

// Formats a JSON value for a <pre> (as text).
export function pretty(v) {
  return JSON.stringify(v, null, 2);
}

// Offers `text` as a file download (a blob URL: nothing leaves the browser).
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type: type || "text/plain" }));
  const a = h("a", { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
