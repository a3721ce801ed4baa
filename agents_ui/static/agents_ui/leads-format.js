// Times in a site's time zone (not the browser's), relative times, and the few
// conversions the lead page needs between wall-clock inputs and UTC instants.

const formatters = new Map();

function formatter(key, options, locale = undefined) {
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(locale, options));
  return formatters.get(key);
}

// A zone the browser knows, or UTC (a site's zone is free text in the admin).
export function validZone(zone) {
  try {
    formatter(`zone:${zone}`, { timeZone: zone, timeZoneName: "short" });
    return zone;
  } catch (err) {
    return "UTC";
  }
}

function parse(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

// "24 Nov 2026, 10:00 GMT+9": the exact time, with the zone it is written in.
export function fmtExact(iso, zone) {
  const date = parse(iso);
  if (!date) return "—";
  return formatter(`exact:${zone}`, {
    timeZone: zone,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).format(date);
}

// "Nov 24, 10:00 GMT+9" (the year only when it is not this year's): labelled, like
// every time staff see.
export function fmtShort(iso, zone) {
  const date = parse(iso);
  if (!date) return "—";
  const thisYear = partsIn(new Date(), zone).year === partsIn(date, zone).year;
  return formatter(`short:${zone}:${thisYear}`, {
    timeZone: zone,
    year: thisYear ? undefined : "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).format(date);
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
];

// "just now", "5 minutes ago", "in 2 hours", "yesterday"; a date past a week.
export function fmtRelative(iso, zone, now = Date.now()) {
  const date = parse(iso);
  if (!date) return "—";
  let value = (date.getTime() - now) / 1000;
  if (Math.abs(value) < 45) return "just now";
  for (const [size, unit] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return fmtShort(iso, zone);
}

export function zoneLabel(zone) {
  const name = formatter(`zone:${zone}`, { timeZone: zone, timeZoneName: "short" })
    .formatToParts(new Date())
    .find((part) => part.type === "timeZoneName");
  return name ? `${zone} (${name.value})` : zone;
}

// --- wall clock in a zone <-> instants ---------------------------------------

// Numeric wall-clock parts of an instant in the zone ("en-US": plain digits).
function partsIn(date, zone) {
  const fmt = formatter(
    `parts:${zone}`,
    {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    },
    "en-US",
  );
  const parts = {};
  for (const part of fmt.formatToParts(date)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  parts.hour %= 24;
  return parts;
}

function offsetMs(date, zone) {
  const p = partsIn(date, zone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - (date.getTime() - date.getMilliseconds());
}

// The instant at which the clocks of `zone` show the given wall time. Twice, since
// the offset of the first guess can differ across a daylight-saving change.
function zonedInstant(year, month, day, hour, minute, zone) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - offsetMs(new Date(wall), zone);
  const second = wall - offsetMs(new Date(first), zone);
  return new Date(second);
}

const pad = (n) => String(n).padStart(2, "0");

// An ISO instant as a datetime-local value in the zone: "2026-11-24T10:00".
export function toLocalInput(iso, zone) {
  const date = parse(iso);
  if (!date) return "";
  const p = partsIn(date, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

// A datetime-local value read in the zone, as an ISO instant (UTC).
export function fromLocalInput(value, zone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number);
  return zonedInstant(y, mo, d, h, mi, zone).toISOString();
}

// Midnight starting a date ("2026-11-24") in the zone; `plusDays` moves it.
export function dayStart(value, zone, plusDays = 0) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  if (!match) return null;
  const [, y, mo, d] = match.map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d + plusDays));
  return zonedInstant(
    day.getUTCFullYear(),
    day.getUTCMonth() + 1,
    day.getUTCDate(),
    0,
    0,
    zone,
  ).toISOString();
}

// --- phone numbers ----------------------------------------------------------
// Rows carry E.164 only; Korean numbers are shown the way counselors dial them
// (the detail has the server's own `phone_display`).

export function fmtPhone(e164) {
  if (!e164) return "";
  const kr = /^\+82(\d{8,10})$/.exec(e164);
  if (!kr) return e164;
  const national = `0${kr[1]}`;
  if (national.startsWith("02")) {
    const rest = national.slice(2);
    return `02-${rest.slice(0, rest.length - 4)}-${rest.slice(-4)}`;
  }
  const head = national.slice(0, 3);
  const rest = national.slice(3);
  return `${head}-${rest.slice(0, rest.length - 4)}-${rest.slice(-4)}`;
}
