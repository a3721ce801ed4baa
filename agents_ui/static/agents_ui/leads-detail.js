// The detail drawer of one lead (#<id> in the URL): contact, attribution, consent,
// the controls that work the lead (status, assignee, callback time), notes and the
// timeline. Every edit goes through the API and redraws from its answer.

import { h, region, safeUrl } from "./dom.js";
import { fmtExact, fmtRelative, fromLocalInput, toLocalInput, zoneLabel } from "./leads-format.js";
import { statusBadge } from "./leads-table.js";
import { timelineItem } from "./leads-timeline.js";

const INFLOW_LABELS = {
  referrer: "Referrer",
  landing: "Landing page",
  utm_source: "UTM source",
  utm_medium: "UTM medium",
  utm_campaign: "UTM campaign",
  utm_term: "UTM term",
  utm_content: "UTM content",
  keyword: "Search keyword",
};
const CONSENT_LABELS = { collection: "Collection and use", marketing: "Marketing" };

export class LeadDrawer {
  constructor({ config, api, zoneOf, onChanged, onClose, onPrivacy }) {
    this.config = config;
    this.api = api;
    this.zoneOf = zoneOf;
    this.onChanged = onChanged;
    this.onClose = onClose;
    this.onPrivacy = onPrivacy;
    this.el = region("drawer");
    this.body = region("drawer-body");
    this.lead = null;
    this.id = null;
    this.loadSeq = 0;
    this.statusLabel = Object.fromEntries(config.statuses.map((s) => [s.value, s.label]));
    this.sourceLabel = Object.fromEntries(config.sources.map((s) => [s.value, s.label]));
    this.siteName = Object.fromEntries(config.sites.map((s) => [s.id, s.name]));
  }

  get isOpen() {
    return !this.el.hidden;
  }

  async open(id, { focus = false } = {}) {
    const seq = ++this.loadSeq;
    if (this.id !== id) {
      this.id = id;
      this.lead = null;
      this.replace([
        this.header(null),
        h("p", { className: "drawer-note muted", role: "status" }, "Loading…"),
      ]);
      this.body.scrollTop = 0;
    }
    this.el.hidden = false;
    document.body.classList.add("drawer-open");
    if (focus) this.focus();
    try {
      const lead = await this.api.detail(id);
      if (seq !== this.loadSeq) return;
      this.show(lead);
      this.onChanged(lead);
    } catch (err) {
      if (seq !== this.loadSeq) return;
      const gone = err.status === 404;
      this.replace([
        this.header(null),
        h(
          "div",
          { className: "drawer-note", role: "alert" },
          h("h3", {}, gone ? "This lead does not exist" : "The lead could not be loaded"),
          h(
            "p",
            { className: "muted" },
            gone
              ? "It may have been erased, or it belongs to a site you do not work on."
              : err.message,
          ),
          gone
            ? null
            : h(
                "button",
                { type: "button", className: "btn btn-secondary", onclick: () => this.open(id) },
                "Retry",
              ),
        ),
      ]);
    }
  }

  focus() {
    const close = this.body.querySelector("[data-region=drawer-close]");
    if (close) close.focus();
  }

  close() {
    this.loadSeq += 1;
    this.id = null;
    this.lead = null;
    this.el.hidden = true;
    document.body.classList.remove("drawer-open");
    this.body.replaceChildren();
  }

  show(lead, focusKey = null) {
    this.lead = lead;
    const zone = this.zoneOf(lead.site);
    const scroll = this.body.scrollTop;
    this.replace(
      [
        this.header(lead),
        this.workCard(lead, zone),
        this.contactSection(lead),
        this.sourceSection(lead),
        this.consentSection(lead, zone),
        this.historySection(lead, zone),
        this.config.me.manager ? this.privacyFoot(lead) : null,
      ],
      focusKey,
    );
    this.body.scrollTop = scroll;
  }

  // Redraws keep the keyboard where it was: the control with the same name (or
  // region) gets the focus back. `focusKey` names it when the focus has already
  // gone (controls are disabled while saving).
  replace(nodes, focusKey = null) {
    const key = focusKey || focusKeyOf(this.body);
    this.body.replaceChildren(...nodes.filter(Boolean));
    if (!key) return;
    const again = this.body.querySelector(`[name="${key}"], [data-region="${key}"]`);
    if (again) again.focus();
  }

  header(lead) {
    const close = h(
      "button",
      {
        type: "button",
        className: "icon-btn drawer-close",
        dataset: { region: "drawer-close" },
        "aria-label": "Close lead",
        onclick: () => this.onClose(),
      },
      "✕",
    );
    if (!lead)
      return h(
        "header",
        { className: "drawer-head" },
        h("h2", { id: "drawer-title" }, "Lead"),
        close,
      );
    const zone = this.zoneOf(lead.site);
    return h(
      "header",
      { className: "drawer-head" },
      h(
        "div",
        { className: "drawer-title" },
        h(
          "div",
          { className: "drawer-ref" },
          h("span", { className: "mono" }, lead.reference),
          statusBadge(lead.status, this.statusLabel),
        ),
        h("h2", { id: "drawer-title", className: "lead-name", text: lead.name }),
        h(
          "p",
          { className: "muted drawer-sub" },
          `${this.sourceLabel[lead.source] || lead.source} · `,
          h(
            "time",
            { datetime: lead.created_at, title: fmtExact(lead.created_at, zone) },
            fmtRelative(lead.created_at, zone),
          ),
          this.config.sites.length > 1 ? ` · ${this.siteName[lead.site] || ""}` : "",
        ),
      ),
      close,
    );
  }

  // --- working the lead ------------------------------------------------------

  workCard(lead, zone) {
    const error = h("div", {
      className: "form-error",
      role: "alert",
      hidden: true,
      dataset: { region: "work-error" },
    });
    const status = h(
      "select",
      { name: "status", id: "lead-status" },
      [lead.status, ...(this.config.transitions[lead.status] || [])].map((value) =>
        h("option", { value, selected: value === lead.status }, this.statusLabel[value] || value),
      ),
    );
    status.addEventListener("change", () => this.save({ status: status.value }, error));
    const counselors = this.config.counselors.filter((c) => c.sites.includes(lead.site));
    const assignee = h(
      "select",
      { name: "assignee", id: "lead-assignee" },
      h("option", { value: "" }, "Unassigned"),
      counselors.map((c) =>
        h("option", { value: c.id }, c.id === this.config.me.id ? `${c.name} (me)` : c.name),
      ),
    );
    if (lead.assignee && !counselors.some((c) => c.id === lead.assignee.id)) {
      assignee.append(h("option", { value: lead.assignee.id }, lead.assignee.name));
    }
    assignee.value = lead.assignee ? String(lead.assignee.id) : "";
    assignee.addEventListener("change", () =>
      this.save({ assignee: assignee.value ? Number(assignee.value) : null }, error),
    );
    const meHere = counselors.some((c) => c.id === this.config.me.id);
    const mine = Boolean(lead.assignee) && lead.assignee.id === this.config.me.id;
    const takeIt =
      meHere && !mine
        ? h(
            "button",
            {
              type: "button",
              name: "assign-me",
              className: "link-btn",
              onclick: () => this.save({ assignee: this.config.me.id }, error),
            },
            "Assign to me",
          )
        : null;
    const current = toLocalInput(lead.callback_due_at, zone);
    const when = h("input", {
      type: "datetime-local",
      name: "callback",
      id: "lead-callback",
      value: current,
      "aria-describedby": "callback-zone",
    });
    const saveWhen = h(
      "button",
      { type: "submit", className: "btn btn-secondary btn-small", disabled: true },
      "Save",
    );
    when.addEventListener("input", () => {
      saveWhen.disabled = !when.value || when.value === current;
    });
    const clear = lead.callback_due_at
      ? h(
          "button",
          {
            type: "button",
            name: "clear-callback",
            className: "link-btn",
            onclick: () => this.save({ callback_at: null }, error),
          },
          "Clear",
        )
      : null;
    const callbackForm = h("form", { className: "callback-form" }, when, saveWhen, clear);
    callbackForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const iso = fromLocalInput(when.value, zone);
      if (iso) this.save({ callback_at: iso }, error);
    });
    const asap = lead.callback_due_at && !lead.callback_at;
    return h(
      "section",
      { className: "work-card", "aria-label": "Work on this lead" },
      error,
      h(
        "div",
        { className: "work-row" },
        h("label", { for: "lead-status" }, "Status"),
        h("div", { className: "work-control" }, status),
      ),
      h(
        "div",
        { className: "work-row" },
        h("label", { for: "lead-assignee" }, "Assignee"),
        h("div", { className: "work-control" }, assignee, takeIt),
      ),
      h(
        "div",
        { className: "work-row" },
        h("label", { for: "lead-callback" }, "Callback"),
        h(
          "div",
          { className: "work-control work-stack" },
          callbackForm,
          h(
            "span",
            { className: `hint ${lead.overdue ? "is-overdue" : ""}`, id: "callback-zone" },
            lead.overdue ? "Overdue · " : "",
            asap ? "Asked for as soon as possible · " : "",
            `Times in ${zoneLabel(zone)}`,
          ),
        ),
      ),
    );
  }

  async save(changes, errorEl) {
    const lead = this.lead;
    if (!lead) return;
    errorEl.hidden = true;
    const focusName = focusKeyOf(this.body);
    const controls = this.body.querySelectorAll(
      ".work-card select, .work-card input, .work-card button",
    );
    for (const el of controls) el.disabled = true;
    try {
      const fresh = await this.api.update(lead.id, changes);
      if (this.lead !== lead) return;
      this.show(fresh, focusName);
      this.onChanged(fresh, { counts: "status" in changes || "assignee" in changes });
    } catch (err) {
      if (this.lead !== lead) return;
      this.show(lead, focusName); // puts the controls back to the lead's real values
      const again = this.body.querySelector("[data-region=work-error]");
      again.textContent = err.status === 409 ? err.message : `Not saved: ${err.message}`;
      again.hidden = false;
    }
  }

  // --- what we know ----------------------------------------------------------

  contactSection(lead) {
    const facts = [];
    if (lead.phone) {
      facts.push([
        "Phone",
        h(
          "a",
          { href: `tel:${lead.phone}`, className: "mono", dataset: { region: "phone" } },
          lead.phone_display || lead.phone,
        ),
      ]);
    }
    if (lead.email) facts.push(["E-mail", h("a", { href: `mailto:${lead.email}` }, lead.email)]);
    for (const [name, value] of Object.entries(lead.fields || {})) {
      facts.push([name, String(value)]);
    }
    if (lead.language) facts.push(["Language", lead.language]);
    facts.push(["Marketing", lead.marketing_consent ? "Agreed to marketing" : "No marketing"]);
    return section(
      "Contact",
      factList(facts),
      lead.message ? h("blockquote", { className: "lead-message", text: lead.message }) : null,
    );
  }

  sourceSection(lead) {
    const { attribution } = lead;
    const facts = [["Source", this.sourceLabel[lead.source] || lead.source]];
    for (const [key, value] of Object.entries(attribution.inflow || {})) {
      const url = safeUrl(value);
      facts.push([
        INFLOW_LABELS[key] || key,
        url
          ? h(
              "a",
              { href: url, target: "_blank", rel: "noopener noreferrer", className: "url" },
              value,
            )
          : value,
      ]);
    }
    if (attribution.conversation) {
      facts.push([
        "Chat",
        h(
          "a",
          { href: this.config.consoleUrl, title: "Open the chat console" },
          `Conversation #${attribution.conversation}`,
        ),
      ]);
    }
    if (attribution.rule) facts.push(["Targeting rule", `#${attribution.rule}`]);
    if (attribution.visitor)
      facts.push(["Visitor", h("span", { className: "mono small" }, attribution.visitor)]);
    facts.push(["Submissions", String(lead.submissions)]);
    return section("Where it came from", factList(facts));
  }

  consentSection(lead, zone) {
    const items = lead.consents.map((c) =>
      h(
        "li",
        { className: `consent ${c.granted ? "is-granted" : "is-refused"}` },
        h("span", { className: "consent-mark", "aria-hidden": "true" }, c.granted ? "✓" : "—"),
        h(
          "span",
          { className: "consent-main" },
          h("strong", {}, CONSENT_LABELS[c.kind] || c.kind),
          c.granted ? " agreed" : " declined",
          h(
            "span",
            { className: "muted consent-meta" },
            `Notice ${c.notice_version} · `,
            h("time", { datetime: c.created_at }, fmtExact(c.created_at, zone)),
          ),
        ),
      ),
    );
    return section(
      "Consent",
      items.length
        ? h("ul", { className: "consents" }, items)
        : h("p", { className: "muted" }, "No consent recorded."),
    );
  }

  historySection(lead, zone) {
    const text = h("textarea", {
      name: "text",
      rows: 2,
      maxlength: 4000,
      required: true,
      "aria-label": "Note",
      placeholder: "Add a note for the team…",
    });
    const submit = h(
      "button",
      { type: "submit", className: "btn btn-primary btn-small" },
      "Add note",
    );
    const error = h("p", { className: "field-error small", role: "alert", hidden: true });
    const form = h(
      "form",
      { className: "note-form", dataset: { region: "note-form" } },
      text,
      h("div", { className: "note-actions" }, error, submit),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = text.value.trim();
      if (!value) return text.focus();
      submit.disabled = true;
      error.hidden = true;
      try {
        const note = await this.api.addNote(lead.id, value);
        if (this.lead !== lead) return;
        lead.timeline.push(note);
        text.value = "";
        timeline.prepend(timelineItem(note, { zone, labels: this }));
      } catch (err) {
        error.textContent = `Not added: ${err.message}`;
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    const timeline = h(
      "ol",
      { className: "timeline", dataset: { region: "timeline" } },
      [...lead.timeline].reverse().map((e) => timelineItem(e, { zone, labels: this })),
    );
    return section("Notes and history", form, timeline);
  }

  privacyFoot(lead) {
    return h(
      "footer",
      { className: "drawer-foot" },
      h(
        "button",
        {
          type: "button",
          className: "link-btn",
          onclick: () =>
            this.onPrivacy({
              site: lead.site,
              person: lead.phone_display || lead.phone || lead.email,
            }),
        },
        "Export or erase this person's data…",
      ),
    );
  }
}

function focusKeyOf(root) {
  const active = document.activeElement;
  if (!active || !root.contains(active)) return null;
  return active.getAttribute("name") || active.dataset.region || null;
}

function section(title, ...children) {
  return h(
    "section",
    { className: "drawer-section" },
    h("h3", { className: "side-title" }, title),
    ...children,
  );
}

function factList(facts) {
  return h(
    "dl",
    { className: "facts" },
    facts.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}
