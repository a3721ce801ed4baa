// Small DOM helpers. Strings always become text nodes: nothing a visitor or a
// colleague typed is ever parsed as HTML.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function region(name) {
  return document.querySelector(`[data-region="${name}"]`);
}

// Only http(s) links and images from messages; anything else (javascript:, data:)
// is dropped rather than escaped.
export function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (err) {
    return null;
  }
}

// Times staff see are in the site's time zone, labelled with it ("14:05 GMT+9"), not
// in the browser's (docs/architecture.md, "Times staff see"). The console's config
// names the zone; until it is set, or for a zone this browser does not know, UTC.
let timeFormat;
let dateTimeFormat;

export function setTimeZone(zone) {
  const make = (options) => {
    try {
      return new Intl.DateTimeFormat("en-US", { ...options, timeZone: zone || "UTC" });
    } catch (err) {
      return new Intl.DateTimeFormat("en-US", { ...options, timeZone: "UTC" });
    }
  };
  const clock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
  timeFormat = make(clock);
  dateTimeFormat = make({ year: "numeric", month: "short", day: "numeric", ...clock });
  return timeFormat.resolvedOptions().timeZone;
}
setTimeZone("UTC");

// "14:05 GMT+9"
export function fmtTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : timeFormat.format(date);
}

// "Nov 24, 2026, 14:05 GMT+9"
export function fmtDateTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "—" : dateTimeFormat.format(date);
}

export function fmtDuration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
}

export function since(iso, now = Date.now()) {
  if (!iso) return "";
  const start = new Date(iso).getTime();
  return Number.isNaN(start) ? "" : fmtDuration(now - start);
}

export function initials(name) {
  const parts = String(name || "?")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] || "?").slice(0, 2);
  return letters.toUpperCase();
}

export function newClientId() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  // randomUUID needs a secure context; getRandomValues does not.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A cookie's value, "" when unset (the CSRF token: a login in another tab rotates it,
// so it is read at each request).
export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

// Amounts from the shops' tracking are won: "₩12,900"; "" for anything not a number.
export function won(value) {
  const n = Number(value);
  return Number.isFinite(n) ? `₩${n.toLocaleString("en-US", { maximumFractionDigits: 0 })}` : "";
}

// "/bags?page=2" of a page address; the text as it came when it is no URL.
export function pathOf(url) {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch (err) {
    return String(url || "");
  }
}

// A stylesheet next to the calling module, linked once (views that come and go
// bring their own look; `href` is absolute, from `new URL(..., import.meta.url)`).
export function linkStylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href }));
}

// The page's handles (store, socket, ...) on `window` for the browser's console and
// the browser tests, only when the server runs with DEBUG (config.debug).
export function exposeForDebugging(name, handles, config) {
  if (config && config.debug) window[name] = handles;
}
