// The visitor's journey in the chat's visitor panel: GET
// /api/visitors/<public id>/journey/ (targeting/journey.py) when a chat is selected,
// then again while it stays selected: every 3 s while the visitor is live (a socket
// open: new pages, cart and offers show up without reselecting the chat), every 20 s
// otherwise; the current page's time ticks every second in between. One element,
// kept across the panel's rebuilds; everything from the visitor is set as text.

import { fmtDateTime, h, linkStylesheet, pathOf, won } from "./dom.js";

const REFRESH_MS = 20000;
const LIVE_REFRESH_MS = 3000;
const TICK_MS = 1000;
const SHOWN_PAGES = 12;

const OFFER_KIND = {
  chat_invite: "Chat invitation",
  banner: "Banner",
  coupon: "Coupon",
  callback: "Callback offer",
  survey: "Survey",
};
const OFFER_STATE = {
  shown: "shown",
  accepted: "accepted",
  rejected: "rejected",
  ignored: "ignored",
  held_out: "held out",
};
const EVENT_TEXT = {
  cart_add: (e) => `Added ${e.product || "an item"}${e.qty > 1 ? ` × ${e.qty}` : ""}`,
  cart_remove: (e) => `Removed ${e.product || "an item"}`,
  checkout: (e) => `Checkout: ${e.step || "?"}`,
  purchase: (e) => `Bought${e.order ? ` ${e.order}` : ""}${e.amount ? ` · ${won(e.amount)}` : ""}`,
};

export function fmtDwell(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch (err) {
    return "";
  }
}

function section(title, ...children) {
  return h("div", { className: "j-block" }, h("h4", { className: "j-head", text: title }), ...children);
}

function facts(rows) {
  const shown = rows.filter(([, v]) => v);
  if (!shown.length) return null;
  return h(
    "dl",
    { className: "facts j-facts" },
    shown.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: String(v), title: String(v) })]),
  );
}

export class JourneyPanel {
  constructor() {
    // Its own look: the console's template links console.css and conversation.css.
    linkStylesheet(new URL("./journey.css", import.meta.url).href);
    this.el = h("section", { className: "journey", "aria-label": "Journey", dataset: { region: "journey" } });
    this.publicId = null;
    this.data = null;
    this.failed = false;
    this.timer = null;
    this.request = 0;
    this.loadedAt = 0;
    // The current page's dwell, counted on between refreshes.
    setInterval(() => this.tick(), TICK_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.publicId) this.load();
    });
  }

  // The selected chat's visitor (null: none selected).
  show(publicId) {
    publicId = publicId ? String(publicId) : null;
    if (publicId === this.publicId) return;
    this.publicId = publicId;
    this.data = null;
    this.failed = false;
    clearTimeout(this.timer);
    this.timer = null;
    this.render();
    if (!publicId) return;
    this.load();
  }

  // The next refresh: soon while the visitor is live, slowly otherwise; a hidden
  // page waits (visibilitychange loads at once when it shows again).
  schedule() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.publicId) return;
    const delay = this.data && this.data.live ? LIVE_REFRESH_MS : REFRESH_MS;
    this.timer = setTimeout(() => {
      if (document.visibilityState === "visible") this.load();
      else this.schedule();
    }, delay);
  }

  tick() {
    if (!this.data || !this.data.live) return;
    const dwell = this.el.querySelector(".j-page.is-current .j-dwell");
    const base = dwell ? Number(dwell.dataset.seconds) : NaN;
    if (!Number.isFinite(base)) return;
    dwell.textContent = fmtDwell(base + (performance.now() - this.loadedAt) / 1000);
  }

  async load() {
    const publicId = this.publicId;
    const ticket = ++this.request;
    let data = null;
    try {
      const response = await fetch(`/api/visitors/${encodeURIComponent(publicId)}/journey/`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) data = await response.json();
    } catch (err) {
      data = null;
    }
    if (ticket !== this.request || publicId !== this.publicId) return; // a later one won
    if (data) {
      this.data = data;
      this.failed = false;
      this.loadedAt = performance.now();
    } else {
      this.failed = !this.data; // keep what we had over a failed refresh
    }
    this.render();
    this.schedule();
  }

  render() {
    const d = this.data;
    const title = h(
      "h3",
      { className: "side-title j-title" },
      "Journey",
      d && d.live ? h("span", { className: "j-live", text: "Live" }) : null,
    );
    if (!this.publicId) {
      this.el.replaceChildren();
      return;
    }
    if (!d) {
      this.el.replaceChildren(
        title,
        h("p", { className: "side-empty", text: this.failed ? "The journey could not be loaded." : "Loading…" }),
      );
      return;
    }
    const visits = d.visits || [];
    const visit = visits[0] || null;
    const count = d.visits_count || visits.length;
    const meta = [
      `${count} visit${count === 1 ? "" : "s"}`,
      d.first_visit_at && count > 1 ? `first ${fmtDateTime(d.first_visit_at)}` : null,
      d.user_id ? `user ${d.user_id}` : null,
    ].filter(Boolean);
    // replaceChildren() would write the nulls of absent sections as "null".
    const parts = [
      title,
      h("p", { className: "j-meta", text: meta.join(" · ") }),
      visit ? this.renderVisit(visit) : h("p", { className: "side-empty", text: "No visit recorded yet." }),
      visit ? this.renderPages(visit) : null,
      this.renderCart(d.cart),
      visit ? this.renderSearches(visit) : null,
      visit ? this.renderEvents(visit) : null,
      this.renderCrm(d.crm),
      this.renderOffers(d.offers || []),
      this.renderConversations(d.conversations || []),
    ];
    this.el.replaceChildren(...parts.filter(Boolean));
  }

  renderVisit(visit) {
    const inflow = visit.inflow || {};
    const source =
      inflow.utm_source ||
      (inflow.referrer ? hostOf(inflow.referrer) || inflow.referrer : null) ||
      "Direct";
    const campaign = [inflow.utm_campaign, inflow.utm_medium].filter(Boolean).join(" · ");
    return section(
      "This visit",
      facts([
        ["Started", fmtDateTime(visit.started_at)],
        ["Source", source],
        ["Campaign", campaign],
        ["Keyword", inflow.keyword],
        ["Landing", inflow.landing ? pathOf(inflow.landing) : null],
        ["Device", visit.device],
      ]),
    );
  }

  renderPages(visit) {
    const pages = visit.pages || [];
    if (!pages.length) return null;
    const shown = pages.slice(-SHOWN_PAGES).reverse(); // the latest first
    const more = pages.length - shown.length;
    const list = h(
      "ol",
      { className: "j-pages" },
      shown.map((p, i) => {
        const current = i === 0 && this.data.live;
        const label = p.title || pathOf(p.url);
        const tags = [p.category, p.product].filter(Boolean);
        return h(
          "li",
          { className: current ? "j-page is-current" : "j-page", dataset: { category: p.category || "" } },
          h(
            "div",
            { className: "j-page-main" },
            h("span", { className: "j-page-title", text: label, title: p.url || "" }),
            tags.length ? h("span", { className: "j-tags", text: tags.join(" · ") }) : null,
          ),
          h("span", {
            className: "j-dwell",
            text: fmtDwell(p.dwell_seconds),
            title: current ? "On this page now" : "Time on page",
            dataset: current && p.dwell_seconds != null ? { seconds: String(p.dwell_seconds) } : {},
          }),
        );
      }),
    );
    const head = `Pages (${pages.length})`;
    return section(head, list, more > 0 ? h("p", { className: "j-more", text: `${more} earlier` }) : null);
  }

  renderCart(cart) {
    if (!cart || !(cart.items || []).length) return null;
    return section(
      `Cart · ${won(cart.value)}`,
      h(
        "ul",
        { className: "j-list" },
        cart.items.map((i) =>
          h(
            "li",
            {},
            h("span", { text: `${i.product || "Item"}${i.qty > 1 ? ` × ${i.qty}` : ""}` }),
            h("span", { className: "j-num", text: won((i.price || 0) * (i.qty || 1)) }),
          ),
        ),
      ),
    );
  }

  renderSearches(visit) {
    const searches = (visit.events || []).filter((e) => e.kind === "search" && e.query);
    if (!searches.length) return null;
    return section(
      "Searches",
      h(
        "div",
        { className: "j-chips" },
        searches.slice(-5).reverse().map((e) => h("span", { className: "j-chip", text: e.query })),
      ),
    );
  }

  renderEvents(visit) {
    const events = (visit.events || []).filter((e) => EVENT_TEXT[e.kind]).slice(-5).reverse();
    if (!events.length) return null;
    return section(
      "Shopping",
      h("ul", { className: "j-list" }, events.map((e) => h("li", { text: EVENT_TEXT[e.kind](e) }))),
    );
  }

  renderCrm(crm) {
    const entries = Object.entries(crm || {});
    if (!entries.length) return null;
    return section(
      "CRM",
      facts(
        entries.map(([k, v]) => [k, typeof v === "boolean" ? (v ? "yes" : "no") : v == null ? "" : String(v)]),
      ),
    );
  }

  renderOffers(offers) {
    if (!offers.length) return null;
    return section(
      "Offers",
      h(
        "ul",
        { className: "j-list" },
        offers.map((o) =>
          h(
            "li",
            {},
            h("span", { text: `${o.rule} · ${OFFER_KIND[o.kind] || o.kind}` }),
            h("span", { className: `j-state s-${o.state}`, text: OFFER_STATE[o.state] || o.state }),
          ),
        ),
      ),
    );
  }

  renderConversations(conversations) {
    if (!conversations.length) return null;
    return section(
      "Conversations",
      h(
        "ul",
        { className: "j-list" },
        conversations.map((c) =>
          h(
            "li",
            {},
            h("span", { text: `#${c.id} · ${fmtDateTime(c.created_at)}` }),
            h("span", { className: "j-num", text: c.status }),
          ),
        ),
      ),
    );
  }
}
