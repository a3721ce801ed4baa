// "Live visitors" in the console's left column: who is on the counselor's sites now
// (GET /api/visitors/live/, targeting/live_api.py), refreshed every 10 s while the
// page is visible. A row opens a drawer with the visitor's journey (journey.js) and
// an "Invite to chat" form (POST /api/visitors/<public id>/invite/). Everything from
// the visitor is set as text.

import { cookie, h, linkStylesheet, pathOf, region, won } from "./dom.js";
import { JourneyPanel } from "./journey.js";

const REFRESH_MS = 10000;
const INVITED_MS = 2 * 60 * 1000; // the invite button stays "Invited" this long
const INVITED_KEY = "console.visitors.invited";
const COLLAPSED_KEY = "console.visitors.collapsed";

// Device icons as small inline SVG paths on a 16×16 grid (no emoji font needed).
const SVG_NS = "http://www.w3.org/2000/svg";
const DEVICE = {
  desktop: { label: "Desktop", paths: ["M2 3h12v8H2z", "M6 14h4", "M8 11v3"] },
  tablet: { label: "Tablet", paths: ["M3 1.5h10v13H3z", "M7 12.5h2"] },
  mobile: { label: "Mobile", paths: ["M5 1.5h6v13H5z", "M7.5 12.5h1"] },
};

function deviceIcon(kind) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "13");
  svg.setAttribute("height", "13");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "lv-device-icon");
  for (const d of (DEVICE[kind] || DEVICE.desktop).paths) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

// Under an hour m:ss, then h:mm.
export function fmtOnSite(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  if (s >= 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}`;
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function pageLabel(page) {
  if (!page) return "";
  return page.title || (page.url ? pathOf(page.url) : "");
}

function cartText(cart) {
  if (!cart || !cart.items) return "";
  const value = cart.value ? ` · ${won(cart.value)}` : "";
  return `Cart: ${cart.items} item${cart.items === 1 ? "" : "s"}${value}`;
}

function readInvited() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(INVITED_KEY) || "{}");
    const now = Date.now();
    return new Map(Object.entries(saved).filter(([, at]) => now - at < INVITED_MS));
  } catch (err) {
    return new Map();
  }
}

export class LiveVisitors {
  constructor({ toast } = {}) {
    linkStylesheet(new URL("./visitors.css", import.meta.url).href);
    this.toast = toast || (() => {});
    this.listEl = region("visitors");
    this.section = region("visitors-section");
    this.toggleBtn = document.querySelector("[data-action=toggle-visitors]");
    this.body = region("visitors-body");
    this.visitors = [];
    this.fetchedAt = 0;
    this.loaded = false;
    this.failed = false;
    this.request = 0;
    this.timer = null;
    this.selected = null; // public id shown in the drawer
    this.invited = readInvited(); // public id -> when invited (ms)
    this.inviting = new Set();
    this.journey = new JourneyPanel();
    // The chat view's own journey keeps data-region="journey" to itself.
    this.journey.el.dataset.region = "visitor-journey";
    this.buildDrawer();

    let collapsed = false;
    try {
      collapsed = localStorage.getItem(COLLAPSED_KEY) === "1";
    } catch (err) {
      /* storage blocked: expanded */
    }
    this.setCollapsed(collapsed);
    this.toggleBtn.addEventListener("click", () => this.setCollapsed(!this.collapsed, true));
    this.listEl.addEventListener("click", (event) => {
      const row = event.target.closest("[data-visitor]");
      if (row) this.open(row.dataset.visitor === this.selected ? null : row.dataset.visitor);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.selected && !document.querySelector("dialog[open]")) {
        this.open(null);
      }
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.load();
    });
  }

  start() {
    this.load();
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (document.visibilityState === "visible") this.load();
    }, REFRESH_MS);
    setInterval(() => this.tick(), 1000);
  }

  setCollapsed(collapsed, save = false) {
    this.collapsed = collapsed;
    this.toggleBtn.setAttribute("aria-expanded", String(!collapsed));
    this.body.hidden = collapsed;
    this.section.classList.toggle("is-collapsed", collapsed);
    if (save) {
      try {
        localStorage.setItem(COLLAPSED_KEY, collapsed ? "1" : "0");
      } catch (err) {
        /* not kept */
      }
    }
  }

  async load() {
    const ticket = ++this.request;
    let data = null;
    try {
      const response = await fetch("/api/visitors/live/", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (response.ok) data = await response.json();
    } catch (err) {
      data = null;
    }
    if (ticket !== this.request) return; // a later one won
    if (data && Array.isArray(data.visitors)) {
      // One row per visitor: several tabs are several sessions; the latest first.
      const seen = new Set();
      this.visitors = data.visitors.filter((v) => {
        if (seen.has(v.visitor)) return false;
        seen.add(v.visitor);
        return true;
      });
      this.fetchedAt = Date.now();
      this.loaded = true;
      this.failed = false;
    } else {
      this.failed = !this.loaded; // keep the last list over a failed refresh
    }
    this.render();
  }

  // Seconds on the site now: the server's figure plus the time since it answered.
  onSite(visitor, now = Date.now()) {
    return (visitor.time_on_site_seconds || 0) + (now - this.fetchedAt) / 1000;
  }

  isInvited(publicId, now = Date.now()) {
    const at = this.invited.get(publicId);
    return at !== undefined && now - at < INVITED_MS;
  }

  render() {
    region("visitors-count").textContent = String(this.visitors.length);
    const empty = region("visitors-empty");
    empty.textContent = this.failed ? "Live visitors could not be loaded." : this.loaded ? "No visitors right now" : "Loading…";
    empty.hidden = this.visitors.length > 0;
    const key = JSON.stringify([
      this.selected,
      this.visitors.map((v) => [v.visitor, v.name, pageLabel(v.page), v.page && v.page.url, v.source, v.device, v.cart]),
    ]);
    if (key !== this.listKey) {
      this.listKey = key;
      const focused = document.activeElement && this.listEl.contains(document.activeElement)
        ? document.activeElement.dataset.visitor
        : null;
      this.listEl.replaceChildren(...this.visitors.map((v) => this.row(v)));
      if (focused) {
        const again = this.listEl.querySelector(`[data-visitor="${CSS.escape(focused)}"]`);
        if (again) again.focus();
      }
    }
    this.tick();
    this.renderDrawer();
  }

  row(v) {
    const device = DEVICE[v.device] || { label: v.device || "" };
    const selected = v.visitor === this.selected;
    const page = pageLabel(v.page) || "—";
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          className: selected ? "visitor-item is-selected" : "visitor-item",
          "aria-expanded": String(selected),
          "aria-controls": "visitor-drawer",
          dataset: { visitor: v.visitor },
        },
        h(
          "span",
          { className: "item-line" },
          h("span", { className: "item-name", text: v.name || "Visitor" }),
          h("span", {
            className: "lv-time",
            title: "Time on site",
            dataset: { onSite: v.visitor },
            text: fmtOnSite(this.onSite(v)),
          }),
        ),
        h("span", {
          className: "lv-page",
          text: page,
          title: (v.page && v.page.url) || "",
          dataset: { category: (v.page && v.page.category) || "" },
        }),
        h(
          "span",
          { className: "lv-meta" },
          h("span", { className: "lv-source", text: v.source || "direct", title: "Source" }),
          h(
            "span",
            { className: `lv-device lv-device-${v.device || "unknown"}`, title: device.label },
            DEVICE[v.device] ? deviceIcon(v.device) : null,
            h("span", { className: "lv-device-label", text: device.label }),
          ),
          v.cart && v.cart.items ? h("span", { className: "lv-cart", text: cartText(v.cart) }) : null,
          this.isInvited(v.visitor) ? h("span", { className: "lv-invited", text: "Invited" }) : null,
        ),
      ),
    );
  }

  // Times on site move every second; an invitation's 2 minutes run out.
  tick() {
    const now = Date.now();
    const byId = new Map(this.visitors.map((v) => [v.visitor, v]));
    for (const el of this.listEl.querySelectorAll("[data-on-site]")) {
      const v = byId.get(el.dataset.onSite);
      if (v) {
        const text = fmtOnSite(this.onSite(v, now));
        if (el.textContent !== text) el.textContent = text;
      }
    }
    let expired = false;
    for (const [id, at] of this.invited) {
      if (now - at >= INVITED_MS) {
        this.invited.delete(id);
        expired = true;
      }
    }
    if (expired) {
      this.saveInvited();
      this.listKey = null;
      this.render();
    }
  }

  saveInvited() {
    try {
      sessionStorage.setItem(INVITED_KEY, JSON.stringify(Object.fromEntries(this.invited)));
    } catch (err) {
      /* not kept across reloads */
    }
  }

  // --- the drawer ---------------------------------------------------------

  buildDrawer() {
    this.drawerTitle = h("h2", { className: "lv-drawer-title", id: "visitor-drawer-title" });
    this.drawerMeta = h("p", { className: "lv-drawer-meta" });
    this.messageInput = h("textarea", {
      rows: "2",
      maxlength: "500",
      placeholder: "Can I help you with anything?",
      "aria-label": "Invitation message (optional)",
      dataset: { region: "invite-message" },
    });
    this.inviteBtn = h("button", {
      type: "submit",
      className: "btn btn-primary btn-small",
      dataset: { action: "invite" },
    });
    this.inviteNote = h("p", { className: "lv-invite-note", role: "status", "aria-live": "polite" });
    this.inviteForm = h(
      "form",
      { className: "lv-invite", autocomplete: "off" },
      h("label", { className: "field" }, h("span", { text: "Message (optional)" }), this.messageInput),
      h("div", { className: "lv-invite-row" }, this.inviteBtn, this.inviteNote),
    );
    this.inviteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.invite();
    });
    this.drawer = h(
      "aside",
      {
        className: "lv-drawer",
        id: "visitor-drawer",
        "aria-labelledby": "visitor-drawer-title",
        dataset: { region: "visitor-drawer" },
        hidden: true,
      },
      h(
        "header",
        { className: "lv-drawer-head" },
        h("div", { className: "lv-drawer-heading" }, this.drawerTitle, this.drawerMeta),
        h("button", {
          type: "button",
          className: "icon-btn lv-close",
          "aria-label": "Close",
          text: "×",
          onclick: () => this.open(null),
        }),
      ),
      this.inviteForm,
      this.journey.el,
    );
    document.querySelector("[data-region=app]").append(this.drawer);
  }

  open(publicId) {
    if (publicId !== this.selected) {
      this.messageInput.value = "";
      this.inviteNote.textContent = "";
    }
    this.selected = publicId || null;
    this.journey.show(this.selected);
    this.render();
    if (this.selected) this.messageInput.focus({ preventScroll: true });
  }

  renderDrawer() {
    const v = this.visitors.find((x) => x.visitor === this.selected);
    this.drawer.hidden = !this.selected;
    if (!this.selected) return;
    this.drawerTitle.textContent = v ? v.name || "Visitor" : "Visitor";
    const device = v ? (DEVICE[v.device] || { label: v.device }).label : "";
    this.drawerMeta.textContent = v
      ? [pageLabel(v.page), v.source, device].filter(Boolean).join(" · ")
      : "No longer on the site.";
    const invited = this.isInvited(this.selected);
    const busy = this.inviting.has(this.selected);
    this.inviteBtn.textContent = invited ? "Invited" : busy ? "Inviting…" : "Invite to chat";
    this.inviteBtn.disabled = invited || busy || !v;
    this.messageInput.disabled = invited || busy || !v;
  }

  async invite() {
    const publicId = this.selected;
    if (!publicId || this.isInvited(publicId) || this.inviting.has(publicId)) return;
    const message = this.messageInput.value.trim();
    this.inviting.add(publicId);
    this.inviteNote.textContent = "";
    this.renderDrawer();
    let error = null;
    try {
      const response = await fetch(`/api/visitors/${encodeURIComponent(publicId)}/invite/`, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRFToken": cookie("csrftoken"),
        },
        body: JSON.stringify(message ? { message } : {}),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        error =
          (body && (body.detail || (body.message && [].concat(body.message).join(" ")))) ||
          `The server answered ${response.status}.`;
      }
    } catch (err) {
      error = "The server could not be reached.";
    }
    this.inviting.delete(publicId);
    if (error) {
      if (publicId === this.selected) this.inviteNote.textContent = `Not sent: ${error}`;
      this.toast(`Invitation not sent: ${error}`, "error");
    } else {
      this.invited.set(publicId, Date.now());
      this.saveInvited();
      if (publicId === this.selected) this.inviteNote.textContent = "The visitor sees your invitation.";
      this.listKey = null;
      this.journey.load();
    }
    this.render();
  }
}
