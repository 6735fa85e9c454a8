// The API as the console calls it: the token from sessionStorage (this tab
// only; never in a URL, never logged) in an Authorization header.

const KEY = "telecollect.token";

export function token() {
  return sessionStorage.getItem(KEY);
}
export function setToken(t) {
  sessionStorage.setItem(KEY, t);
}
export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

// f(signedOut): called when a call finds no token (signedOut true) or the
// server refuses the token (false).
let onUnauthorized = () => {};
export function whenUnauthorized(f) {
  onUnauthorized = f;
}

// A path with its query from an object (empty values left out).
export function path(base, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? base + "?" + s : base;
}

// Calls the API; resolves to {status, ok, data (parsed JSON or text), error}.
// `body`: an object (sent as JSON), a string, a FormData or a Blob.
// Without a token (signed out, or the storage cleared under a page still
// running) nothing is sent: such a request could only be refused, and its 401
// would be taken for the refusal of a token. The sign-in is shown instead.
export async function call(method, url, body, contentType, tokenOverride) {
  const t = tokenOverride || token();
  if (!t) {
    onUnauthorized(true);
    return { status: 0, ok: false, data: null, error: "signed out" };
  }
  const headers = { Authorization: "Bearer " + t };
  let payload = body;
  if (body !== undefined && body !== null && !(body instanceof FormData) && !(body instanceof Blob) && typeof body !== "string") {
    payload = JSON.stringify(body);
    contentType = "application/json";
  }
  if (contentType) headers["Content-Type"] = contentType;
  let r;
  try {
    r = await fetch(url, { method, headers, body: payload, credentials: "omit", cache: "no-store" });
  } catch (e) {
    return { status: 0, ok: false, data: null, error: "the server cannot be reached" };
  }
  const text = await r.text();
  let data = text;
  if ((r.headers.get("Content-Type") || "").startsWith("application/json")) {
    try { data = JSON.parse(text); } catch (e) { /* left as text */ }
  }
  if (r.status === 401 && !tokenOverride) onUnauthorized(false);
  const error = r.ok ? "" : (data && data.error) ? data.error : ("HTTP " + r.status);
  return { status: r.status, ok: r.ok, data, error };
}

export const get = (url) => call("GET", url);
