// Entry point of the lead list (/console/leads/): filters in the query string, the
// table with cursor pages, counts per status, the detail drawer (#<id>) and, for
// managers, the CSV export and the privacy dialog.

import { $, exposeForDebugging, h, region } from "./dom.js";
import { LeadsApi } from "./leads-api.js";
import { LeadDrawer } from "./leads-detail.js";
import { validZone } from "./leads-format.js";
import { FilterBar, apiParams, filtersQuery, isFiltered, readFilters } from "./leads-filters.js";
import { PrivacyDialog } from "./leads-privacy.js";
import { LeadTable } from "./leads-table.js";

const config = JSON.parse(document.getElementById("leads-config").textContent);
const api = new LeadsApi({ base: config.api, csrfToken: config.csrfToken });
const zones = new Map(config.sites.map((site) => [site.id, validZone(site.time_zone)]));
const fallbackZone = config.sites.length ? zones.get(config.sites[0].id) : "UTC";
const zoneOf = (siteId) => zones.get(Number(siteId)) || fallbackZone;

let filters = readFilters();
let nextUrl = null;
let total = null;
let listSeq = 0;
let listAbort = null;

region("me-name").textContent = config.me.name;
region("me-role").textContent = config.me.manager ? "Manager" : "Counselor";

const bar = new FilterBar({ config, onChange: setFilters });
const table = new LeadTable({
  config,
  zoneOf,
  onRetry: () => load(),
  onMore: () => loadMore(),
  onClear: () => setFilters({ ...readFilters(""), status: filters.status }, { push: true }),
});
const drawer = new LeadDrawer({
  config,
  api,
  zoneOf,
  onChanged(lead, { counts = false } = {}) {
    table.update(lead);
    if (counts) refreshCounts();
  },
  onClose: closeDrawer,
  onPrivacy: (person) => privacy && privacy.open(person),
});
const privacy = config.me.manager
  ? new PrivacyDialog({
      config,
      api,
      onErased() {
        load();
        if (drawer.id) drawer.open(drawer.id);
      },
    })
  : null;

api.onSignedOut = () => {
  const banner = region("banner");
  const next = encodeURIComponent(location.pathname + location.search + location.hash);
  banner.replaceChildren(
    h("span", {}, "Your session has ended, so nothing can be loaded or saved. "),
    h("a", { href: `${config.loginUrl}?next=${next}` }, "Sign in again"),
  );
  banner.hidden = false;
};

// --- filters and the URL ---------------------------------------------------

function zoneForFilters() {
  return filters.site ? zoneOf(filters.site) : fallbackZone;
}

function params(withStatus = true) {
  return apiParams(filters, { me: config.me.id, zone: zoneForFilters(), withStatus });
}

// Typing in the search box replaces the history entry; other changes add one.
function setFilters(next, { push }) {
  if (filtersQuery(next) === filtersQuery(filters)) return;
  filters = next;
  const url = location.pathname + filtersQuery(filters) + location.hash;
  history[push ? "pushState" : "replaceState"](null, "", url);
  applyFilters();
}

function applyFilters() {
  bar.show(filters);
  const link = region("export");
  if (link) link.href = api.exportUrl(params());
  load();
}

// --- the list --------------------------------------------------------------

async function load() {
  if (listAbort) listAbort.abort();
  listAbort = new AbortController();
  const { signal } = listAbort;
  const seq = ++listSeq;
  table.loading(true);
  table.showMore(false);
  try {
    const [page, stats] = await Promise.all([
      api.list(params(), signal),
      api.stats(params(false), signal).catch((err) => {
        if (err.name === "AbortError") throw err;
        return null; // the list is still worth showing without its counts
      }),
    ]);
    if (seq !== listSeq) return;
    nextUrl = page.next;
    table.setRows(page.results);
    table.select(drawer.id);
    total = bar.showCounts(stats);
    if (page.results.length) table.hideState();
    else showEmpty();
    table.showMore(Boolean(nextUrl));
    summarize();
  } catch (err) {
    if (err.name === "AbortError" || seq !== listSeq) return;
    nextUrl = null;
    table.setRows([]);
    table.showError(err.message);
    region("summary").textContent = "";
  } finally {
    if (seq === listSeq) table.loading(false);
  }
}

async function loadMore() {
  if (!nextUrl) return;
  const seq = listSeq;
  table.showMore(true, true);
  try {
    const page = await api.page(nextUrl, listAbort ? listAbort.signal : undefined);
    if (seq !== listSeq) return;
    nextUrl = page.next;
    table.setRows(page.results, { append: true });
    table.select(drawer.id);
    summarize();
  } catch (err) {
    if (err.name === "AbortError" || seq !== listSeq) return;
    toast(`More leads could not be loaded: ${err.message}`, "error");
  } finally {
    if (seq === listSeq) table.showMore(Boolean(nextUrl));
  }
}

async function refreshCounts() {
  try {
    total = bar.showCounts(await api.stats(params(false)));
    summarize();
  } catch (err) {
    /* the counts stay as they were */
  }
}

function showEmpty() {
  const status = config.statuses.find((s) => s.value === filters.status);
  table.showEmpty({
    filtered: isFiltered(filters),
    title: isFiltered(filters)
      ? "No leads match these filters"
      : status
        ? `No ${status.label.toLowerCase()} leads`
        : "No leads here yet",
  });
}

function summarize() {
  const shown = table.rows.length;
  const el = region("summary");
  if (!shown) el.textContent = "";
  else if (total !== null && total > shown) el.textContent = `Showing ${shown} of ${total}`;
  else el.textContent = `${shown} lead${shown === 1 ? "" : "s"}`;
}

// --- the drawer and the hash -------------------------------------------------

function hashId() {
  const match = /^#(\d+)$/.exec(location.hash);
  return match ? Number(match[1]) : null;
}

function syncDrawer({ focus = false } = {}) {
  const id = hashId();
  if (id) {
    if (id !== drawer.id) drawer.open(id, { focus });
    else if (focus) drawer.focus();
    table.select(id);
  } else if (drawer.isOpen) {
    const was = drawer.id;
    drawer.close();
    table.select(null);
    table.focusRow(was);
  }
}

function closeDrawer() {
  history.pushState(null, "", location.pathname + location.search);
  syncDrawer();
}

window.addEventListener("popstate", () => {
  const next = readFilters();
  if (filtersQuery(next) !== filtersQuery(filters)) {
    filters = next;
    applyFilters();
  }
  syncDrawer();
});
window.addEventListener("hashchange", () => syncDrawer({ focus: true }));

// --- small things ------------------------------------------------------------

function toast(text, kind = "info") {
  const el = h(
    "div",
    { className: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("span", { className: "toast-text", text }),
    h(
      "button",
      {
        type: "button",
        className: "toast-close",
        "aria-label": "Dismiss",
        onclick: () => el.remove(),
      },
      "×",
    ),
  );
  region("toasts").append(el);
  setTimeout(() => el.remove(), 8000);
}

const privacyButton = $("[data-action=privacy]");
if (privacyButton)
  privacyButton.addEventListener("click", () => privacy.open({ site: filters.site }));

// Escape closes the drawer (a dialog above it closes first, by itself).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.defaultPrevented || !drawer.isOpen) return;
  if (document.querySelector("dialog[open]")) return;
  event.preventDefault();
  closeDrawer();
});

// "/" jumps to the search box, as in most list pages.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  event.preventDefault();
  region("filters").elements.q.focus();
});
setInterval(() => table.tick(), 30_000);

applyFilters();
syncDrawer();
// For the browser's console, under DEBUG only.
exposeForDebugging(
  "leadsApp",
  {
    api,
    table,
    drawer,
    get filters() {
      return filters;
    },
  },
  config,
);
