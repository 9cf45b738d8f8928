// The admin API client: bearer token, JSON errors, ETag versions.
const TOKEN = "boxoffice.admin.token";

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `request failed (${status})`);
    this.status = status;
    this.code = body.error || "error";
    this.body = body;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN),
  set: (t) => sessionStorage.setItem(TOKEN, t),
  clear: () => sessionStorage.removeItem(TOKEN),
};

// onUnauthorized is called when the API says the token is missing or
// expired (401) or lacks the admin role (403 forbidden).
let onDenied = () => {};
export function setDeniedHandler(fn) { onDenied = fn; }

// api sends a request under /admin/api. opts: body (JSON value), csv
// (text body), version (If-Match). Returns { data, version }.
export async function api(method, path, opts = {}) {
  const headers = {};
  const t = token.get();
  if (t) headers.Authorization = "Bearer " + t;
  let body;
  if (opts.csv !== undefined) {
    headers["Content-Type"] = "text/csv";
    body = opts.csv;
  } else if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  if (opts.version) headers["If-Match"] = `"${opts.version}"`;
  let res;
  try {
    res = await fetch("/admin/api" + path, { method, headers, body, cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, { error: "network", message: "cannot reach the server: " + e.message });
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const err = new ApiError(res.status, data && typeof data === "object" ? data : { message: text.slice(0, 200) });
    err.retryAfter = Number(res.headers.get("Retry-After")) || 0;
    if (t && (res.status === 401 || (res.status === 403 && err.code === "forbidden"))) onDenied(err);
    throw err;
  }
  const tag = res.headers.get("ETag");
  const version = tag ? Number(tag.replace(/^W\//, "").replaceAll('"', "")) : undefined;
  return { data, version };
}

// qs builds a query string from the set values of params.
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, v);
  const s = p.toString();
  return s ? "?" + s : "";
}
