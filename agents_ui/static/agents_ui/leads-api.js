// The lead API over fetch: session cookie + CSRF header, JSON in and out, and one
// error type that carries what the page shows (409 refusals, 400 field messages).

import { cookie } from "./dom.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.describe(status, body));
    this.status = status;
    this.code = (body && body.code) || "";
    this.body = body;
  }

  // DRF answers {"detail": "..."}, {"field": ["..."]} or {"non_field_errors": [...]}.
  static describe(status, body) {
    if (body && typeof body.detail === "string") return body.detail;
    if (body && typeof body === "object") {
      const parts = [];
      for (const [field, value] of Object.entries(body)) {
        const text = Array.isArray(value) ? value.join(" ") : String(value);
        parts.push(field === "non_field_errors" ? text : `${field}: ${text}`);
      }
      if (parts.length) return parts.join(" ");
    }
    if (status === 0) return "The server could not be reached. Check the connection and retry.";
    return `The server answered ${status}.`;
  }
}

export class LeadsApi {
  constructor({ base, csrfToken }) {
    this.base = base;
    this.csrfToken = csrfToken;
    this.onSignedOut = null;
  }

  url(path = "", params = null) {
    const query = params ? params.toString() : "";
    return `${this.base}${path}${query ? `?${query}` : ""}`;
  }

  // DRF builds `next` as an absolute URL from the request; behind a proxy its
  // scheme can differ from the page's, so only the path and query are kept.
  relative(absolute) {
    const url = new URL(absolute, location.href);
    return url.pathname + url.search;
  }

  async request(url, { method = "GET", body, signal } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      // The cookie first: a login in another tab rotates the token.
      headers["X-CSRFToken"] = cookie("csrftoken") || this.csrfToken;
    }
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        signal,
      });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, null);
    }
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      data = await response.json().catch(() => null);
    }
    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (response.status === 403 && isSignedOut(data) && this.onSignedOut) this.onSignedOut();
      throw error;
    }
    return data;
  }

  list(params, signal) {
    return this.request(this.url("", params), { signal });
  }

  page(nextUrl, signal) {
    return this.request(this.relative(nextUrl), { signal });
  }

  stats(params, signal) {
    return this.request(this.url("stats/", params), { signal });
  }

  detail(id, signal) {
    return this.request(this.url(`${id}/`), { signal });
  }

  update(id, changes) {
    return this.request(this.url(`${id}/`), { method: "PATCH", body: changes });
  }

  addNote(id, text) {
    return this.request(this.url(`${id}/notes/`), { method: "POST", body: { text } });
  }

  exportUrl(params) {
    return this.url("export/", params);
  }

  personExport(person) {
    return this.request(this.url("person-export/"), { method: "POST", body: person });
  }

  personErase(person) {
    return this.request(this.url("person-erase/"), { method: "POST", body: person });
  }
}

// Session authentication answers 403 (not 401) once the session has ended.
function isSignedOut(body) {
  return Boolean(body && /credentials were not provided|CSRF/i.test(body.detail || ""));
}
