// The lead table: rows, "Load more", the empty / loading / error states, and
// keyboard moves between rows (each row's reference is a link to #<id>).

import { $, h, region } from "./dom.js";
import { fmtExact, fmtPhone, fmtRelative, fmtShort } from "./leads-format.js";

export class LeadTable {
  constructor({ config, zoneOf, onRetry, onMore, onClear }) {
    this.config = config;
    this.zoneOf = zoneOf;
    this.body = region("rows");
    this.state = region("table-state");
    this.more = $("[data-action=more]");
    this.wrap = region("table-wrap");
    this.rows = [];
    this.selectedId = null;
    this.statusLabel = Object.fromEntries(config.statuses.map((s) => [s.value, s.label]));
    this.sourceLabel = Object.fromEntries(config.sources.map((s) => [s.value, s.label]));
    this.more.addEventListener("click", onMore);
    this.state.addEventListener("click", (event) => {
      if (event.target.closest("[data-action=retry]")) onRetry();
      if (event.target.closest("[data-action=clear]")) onClear();
    });
    // A click anywhere on a row opens it, like its reference link.
    this.body.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      const row = event.target.closest("tr[data-id]");
      if (row) location.hash = row.dataset.id;
    });
    this.body.addEventListener("keydown", (event) => this.onKey(event));
  }

  onKey(event) {
    const row = event.target.closest("tr[data-id]");
    if (!row) return;
    const step = { ArrowDown: "nextElementSibling", ArrowUp: "previousElementSibling" }[event.key];
    if (!step) return;
    event.preventDefault();
    const next = row[step];
    if (next && next.dataset.id) $("a.ref", next).focus();
  }

  setRows(rows, { append = false } = {}) {
    this.rows = append ? this.rows.concat(rows) : rows;
    const items = rows.map((lead) => this.row(lead));
    if (append) this.body.append(...items);
    else this.body.replaceChildren(...items);
  }

  // A row changed (its detail was edited or reloaded): redraw it in place.
  update(lead) {
    const index = this.rows.findIndex((r) => r.id === lead.id);
    if (index < 0) return;
    this.rows[index] = lead;
    const old = this.body.querySelector(`tr[data-id="${lead.id}"]`);
    if (!old) return;
    const hadFocus = old.contains(document.activeElement);
    const fresh = this.row(lead);
    old.replaceWith(fresh);
    if (hadFocus) $("a.ref", fresh).focus();
  }

  remove(ids) {
    const gone = new Set(ids);
    this.rows = this.rows.filter((r) => !gone.has(r.id));
    for (const id of gone) {
      const el = this.body.querySelector(`tr[data-id="${id}"]`);
      if (el) el.remove();
    }
  }

  select(id) {
    this.selectedId = id;
    for (const tr of this.body.children) {
      const on = Number(tr.dataset.id) === id;
      tr.classList.toggle("is-selected", on);
      if (on) tr.setAttribute("aria-current", "true");
      else tr.removeAttribute("aria-current");
    }
  }

  focusRow(id) {
    const link = this.body.querySelector(`tr[data-id="${id}"] a.ref`);
    if (link) link.focus();
  }

  row(lead) {
    const zone = this.zoneOf(lead.site);
    const open = ["new", "contacted", "qualified"].includes(lead.status);
    const late = open && lead.callback_due_at && new Date(lead.callback_due_at) < Date.now();
    const due = lead.overdue ? "is-overdue" : late ? "is-late" : open ? "" : "is-closed";
    return h(
      "tr",
      {
        dataset: { id: lead.id, status: lead.status },
        className: lead.id === this.selectedId ? "is-selected" : null,
        "aria-current": lead.id === this.selectedId ? "true" : null,
      },
      h("td", {}, h("a", { className: "ref", href: `#${lead.id}` }, lead.reference)),
      h(
        "td",
        { className: "nowrap" },
        h("time", {
          datetime: lead.created_at,
          title: fmtExact(lead.created_at, zone),
          dataset: { rel: lead.created_at, zone },
          text: fmtRelative(lead.created_at, zone),
        }),
      ),
      h("td", { className: "name-cell" }, h("span", { className: "lead-name", text: lead.name })),
      h("td", { className: "nowrap mono col-phone" }, fmtPhone(lead.phone) || lead.email),
      h(
        "td",
        { className: "source-cell col-source" },
        this.sourceLabel[lead.source] || lead.source,
      ),
      h("td", {}, statusBadge(lead.status, this.statusLabel)),
      h(
        "td",
        { className: lead.assignee ? "" : "muted" },
        lead.assignee ? lead.assignee.name : "Unassigned",
      ),
      h(
        "td",
        { className: `nowrap due ${due}` },
        lead.callback_due_at
          ? h("time", {
              datetime: lead.callback_due_at,
              title: `${fmtExact(lead.callback_due_at, zone)}${lead.callback_at ? "" : " (as soon as possible)"}`,
              text: fmtShort(lead.callback_due_at, zone),
            })
          : "—",
        lead.overdue ? h("span", { className: "due-flag" }, "Overdue") : null,
      ),
      h("td", { className: "num col-subm" }, String(lead.submissions)),
    );
  }

  loading(on) {
    this.wrap.setAttribute("aria-busy", String(on));
    this.wrap.classList.toggle("is-loading", on);
  }

  showMore(hasNext, busy = false) {
    this.more.hidden = !hasNext;
    this.more.disabled = busy;
    this.more.textContent = busy ? "Loading…" : "Load more";
  }

  showEmpty({ filtered, title }) {
    this.state.hidden = false;
    this.state.className = "table-state";
    this.state.replaceChildren(
      h("div", { className: "empty-art", "aria-hidden": "true" }),
      h("h2", {}, title),
      h(
        "p",
        { className: "muted" },
        filtered
          ? "Try another status, a wider date range or a shorter search."
          : "Callback requests from the widget and the in-chat forms appear here.",
      ),
      filtered
        ? h(
            "button",
            { type: "button", className: "btn btn-secondary", dataset: { action: "clear" } },
            "Clear filters",
          )
        : null,
    );
  }

  showError(message) {
    this.state.hidden = false;
    this.state.className = "table-state is-error";
    this.state.replaceChildren(
      h("h2", {}, "The leads could not be loaded"),
      h("p", { className: "muted", text: message }),
      h(
        "button",
        { type: "button", className: "btn btn-secondary", dataset: { action: "retry" } },
        "Retry",
      ),
    );
  }

  hideState() {
    this.state.hidden = true;
    this.state.replaceChildren();
  }

  // Relative times move on without rebuilding the rows.
  tick() {
    const now = Date.now();
    for (const el of this.body.querySelectorAll("time[data-rel]")) {
      el.textContent = fmtRelative(el.dataset.rel, el.dataset.zone, now);
    }
  }
}

export function statusBadge(status, labels) {
  return h("span", { className: "badge", dataset: { status } }, labels[status] || status);
}
