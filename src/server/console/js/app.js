// The console's frame: sign-in, the env banner, the page router (#/page?query).
import * as api from "/console/js/api.js";
import { clear, h } from "/console/js/dom.js";
import overview from "/console/js/pages/overview.js";
import frames from "/console/js/pages/frames.js";
import modules from "/console/js/pages/modules.js";
import decoders from "/console/js/pages/decoders.js";
import devices from "/console/js/pages/devices.js";
import files from "/console/js/pages/files.js";
import connectors from "/console/js/pages/connectors.js";

// In the order of the navigation bar.
const pages = { overview, frames, modules, decoders, devices, files, connectors };
const titles = {
  overview: "Overview", frames: "Frames", modules: "Modules", decoders: "Decoders", devices: "Devices", files: "Files",
  connectors: "Connectors",
};
const $ = (id) => document.getElementById(id);

// The signed-in scope, as the server reports it for the token: {tenant, env}.
let scope = null;
let leave = null;  // the current page's clean-up (stops its polling)

// The token's scope, read from the API itself (GET /v1/modules answers it).
async function whoIs(token) {
  const r = await api.call("GET", "/v1/modules?limit=1", undefined, undefined, token);
  if (!r.ok) return { error: r.status === 401 ? "this token is unknown or revoked" : r.error };
  return { tenant: r.data.tenant, env: r.data.env };
}

function showSignIn(error) {
  scope = null;
  if (leave) leave();
  leave = null;
  document.body.classList.remove("env-preprod", "env-prod");
  $("env-banner").hidden = true;
  $("nav").hidden = true;
  clear($("main"));
  $("signin").hidden = false;
  $("signin-error").textContent = error || "";
  $("token").focus();
}

function showScope() {
  const env = scope.env === "prod" ? "prod" : "preprod";
  document.body.classList.remove("env-preprod", "env-prod");
  document.body.classList.add("env-" + env);
  document.body.dataset.env = env;
  document.body.dataset.tenant = scope.tenant;
  $("env-label").textContent = env === "prod" ? "PROD" : "PREPROD";
  $("env-tenant").textContent = "tenant " + scope.tenant + (env === "prod" ? " · live production data" : " · validation data");
  document.title = (env === "prod" ? "PROD" : "preprod") + " · " + scope.tenant + " · telecollect";
  $("env-banner").hidden = false;
  $("nav").hidden = false;
  $("signin").hidden = true;
}

// "#/frames?status=failed" → {page: "frames", query: URLSearchParams}.
function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, q] = hash.split("?");
  return { page: pages[name] ? name : "overview", query: new URLSearchParams(q || "") };
}

function render() {
  if (!scope) return;
  if (leave) leave();
  leave = null;
  const { page, query } = route();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
  const main = clear($("main"));
  const root = h("div", { id: "page-" + page, class: "page", dataset: { page } });
  main.appendChild(root);
  const ctx = { scope, query, onLeave: (f) => { leave = f; } };
  Promise.resolve(pages[page](root, ctx)).catch((e) => {
    root.appendChild(h("p", { class: "msg-err" }, "This page failed: " + e.message));
  });
}

async function start() {
  for (const name of Object.keys(pages)) {
    $("nav").appendChild(h("a", { href: "#/" + name, dataset: { page: name } }, titles[name]));
  }
  api.whenUnauthorized((signedOut) => {
    api.forgetToken();
    showSignIn(signedOut ? "" : "The token was refused (unknown or revoked): sign in again.");
  });
  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const t = $("token").value.trim();
    const who = await whoIs(t);
    if (who.error) return showSignIn(who.error);
    api.setToken(t);
    $("token").value = "";
    scope = who;
    showScope();
    render();
  });
  $("sign-out").addEventListener("click", () => { api.forgetToken(); showSignIn(""); });
  window.addEventListener("hashchange", render);
  const t = api.token();
  if (!t) return showSignIn("");
  const who = await whoIs(t);
  if (who.error) { api.forgetToken(); return showSignIn(who.error); }
  scope = who;
  showScope();
  render();
}

start();
