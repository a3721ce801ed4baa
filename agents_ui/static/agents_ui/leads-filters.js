// The filters: their state lives in the page's query string (shareable, the back
// button works), and is turned into the API's query for the list, the counts and
// the CSV export.

import { $, h, region } from "./dom.js";
import { dayStart } from "./leads-format.js";

export const OPEN = ["new", "contacted", "qualified"];
const TABS = [
  { value: "open", label: "All open" },
  { value: "new" },
  { value: "contacted" },
  { value: "qualified" },
  { value: "won" },
  { value: "lost" },
  { value: "all", label: "All" },
];
const DEFAULTS = {
  status: "open",
  site: "",
  source: "",
  assignee: "",
  overdue: false,
  from: "",
  to: "",
  q: "",
};
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function readFilters(search = location.search) {
  const params = new URLSearchParams(search);
  const pick = (name) => (params.get(name) || "").trim();
  const status = pick("status");
  return {
    status: TABS.some((tab) => tab.value === status) ? status : "open",
    site: /^\d+$/.test(pick("site")) ? pick("site") : "",
    source: pick("source"),
    assignee: /^(\d+|me|none)$/.test(pick("assignee")) ? pick("assignee") : "",
    overdue: pick("overdue") === "1",
    from: DATE.test(pick("from")) ? pick("from") : "",
    to: DATE.test(pick("to")) ? pick("to") : "",
    q: pick("q").slice(0, 100),
  };
}

export function filtersQuery(filters) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value === DEFAULTS[key]) continue;
    params.set(key, value === true ? "1" : value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function isFiltered(filters) {
  return Object.entries(filters).some(
    ([key, value]) => key !== "status" && value !== DEFAULTS[key],
  );
}

// The API's query. `withStatus: false` is for the counts of the tabs, which must
// not be narrowed by the tab itself.
export function apiParams(filters, { me, zone, withStatus = true }) {
  const params = new URLSearchParams();
  if (filters.site) params.set("site", filters.site);
  if (withStatus && filters.status !== "all") {
    for (const status of filters.status === "open" ? OPEN : [filters.status]) {
      params.append("status", status);
    }
  }
  if (filters.source) params.set("source", filters.source);
  if (filters.assignee) params.set("assignee", filters.assignee === "me" ? me : filters.assignee);
  if (filters.overdue) params.set("overdue", "true");
  if (filters.from) params.set("created_after", dayStart(filters.from, zone));
  // "to" is inclusive on the page: before the next day's midnight.
  if (filters.to) params.set("created_before", dayStart(filters.to, zone, 1));
  if (filters.q) params.set("q", filters.q);
  return params;
}

export class FilterBar {
  constructor({ config, onChange }) {
    this.config = config;
    this.onChange = onChange;
    this.form = region("filters");
    this.tabsEl = region("tabs");
    this.labels = Object.fromEntries(config.statuses.map((s) => [s.value, s.label]));
    this.searchTimer = null;
    this.fillOptions();
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.flushSearch();
    });
    this.form.addEventListener("change", (event) => {
      if (event.target.name === "q") return;
      this.onChange(this.read(), { push: true });
    });
    const search = this.form.elements.q;
    search.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.flushSearch(), 300);
    });
    search.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && search.value) {
        event.stopPropagation();
        search.value = "";
        this.flushSearch();
      }
    });
    this.tabsEl.addEventListener("click", (event) => {
      const tab = event.target.closest("[data-status]");
      if (tab) this.onChange({ ...this.read(), status: tab.dataset.status }, { push: true });
    });
    $("[data-action=clear-filters]").addEventListener("click", () => {
      this.onChange({ ...DEFAULTS, status: this.current.status }, { push: true });
    });
  }

  flushSearch() {
    clearTimeout(this.searchTimer);
    const filters = this.read();
    if (filters.q !== this.current.q) this.onChange(filters, { push: false });
  }

  fillOptions() {
    const { sites, sources } = this.config;
    const siteSelect = this.form.elements.site;
    siteSelect.append(...sites.map((site) => h("option", { value: site.id }, site.name)));
    region("site-filter").hidden = sites.length < 2;
    this.form.elements.source.append(
      ...sources.map((source) => h("option", { value: source.value }, source.label)),
    );
    this.tabsEl.replaceChildren(
      ...TABS.map((tab) =>
        h(
          "button",
          {
            type: "button",
            className: "tab",
            dataset: { status: tab.value },
            "aria-pressed": "false",
          },
          h("span", { className: "tab-label" }, tab.label || this.labels[tab.value]),
          h("span", { className: "tab-count", dataset: { count: tab.value } }),
        ),
      ),
    );
  }

  // The assignee choices follow the site filter: counselors of that site.
  fillAssignees(site) {
    const select = this.form.elements.assignee;
    const counselors = this.config.counselors.filter(
      (c) => !site || c.sites.includes(Number(site)),
    );
    const key = counselors.map((c) => c.id).join(",");
    if (key === this.assigneeKey) return;
    this.assigneeKey = key;
    select.replaceChildren(
      h("option", { value: "" }, "Anyone"),
      h("option", { value: "me" }, "Me"),
      h("option", { value: "none" }, "Unassigned"),
      h(
        "optgroup",
        { label: "Counselors" },
        counselors.map((c) => h("option", { value: c.id }, c.name)),
      ),
    );
  }

  read() {
    const els = this.form.elements;
    return {
      ...this.current,
      site: els.site.value,
      source: els.source.value,
      assignee: els.assignee.value,
      overdue: els.overdue.checked,
      from: els.from.value,
      to: els.to.value,
      q: els.q.value.trim().slice(0, 100),
    };
  }

  // Puts the state into the controls (on load and on back/forward).
  show(filters) {
    this.current = filters;
    const els = this.form.elements;
    this.fillAssignees(filters.site);
    els.site.value = filters.site;
    els.source.value = filters.source;
    els.assignee.value = filters.assignee;
    // An id no longer among the options (e.g. from an old link) still filters.
    if (els.assignee.value !== filters.assignee) {
      els.assignee.append(
        h("option", { value: filters.assignee }, `Counselor #${filters.assignee}`),
      );
      els.assignee.value = filters.assignee;
    }
    els.overdue.checked = filters.overdue;
    els.from.value = filters.from;
    els.to.value = filters.to;
    els.to.min = filters.from;
    els.from.max = filters.to;
    if (document.activeElement !== els.q) els.q.value = filters.q;
    for (const tab of this.tabsEl.children) {
      tab.setAttribute("aria-pressed", String(tab.dataset.status === filters.status));
    }
    $("[data-action=clear-filters]").hidden = !isFiltered(filters);
  }

  showCounts(stats) {
    const by = (stats && stats.by_status) || {};
    const count = (status) => {
      if (status === "open") return OPEN.reduce((n, s) => n + (by[s] || 0), 0);
      if (status === "all") return Object.values(by).reduce((n, v) => n + v, 0);
      return by[status] || 0;
    };
    for (const el of this.tabsEl.querySelectorAll("[data-count]")) {
      el.textContent = stats ? String(count(el.dataset.count)) : "";
    }
    const overdue = region("overdue-count");
    overdue.textContent = stats ? String(stats.overdue) : "";
    overdue.hidden = !stats || !stats.overdue;
    return stats ? count(this.current.status) : null;
  }
}
