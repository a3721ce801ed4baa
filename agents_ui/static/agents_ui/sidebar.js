// Left column: the queue of my sites and my chats.

import { fmtTime, h, initials, region, since } from "./dom.js";
import { preview } from "./store.js";

const STATUS_LABEL = {
  active: "Active",
  waiting: "Visitor away",
  queued: "Queued",
  closed: "Closed",
};

export class Sidebar {
  constructor({ store, session, alerts }) {
    this.store = store;
    this.session = session;
    this.alerts = alerts;
    this.queueEl = region("queue");
    this.chatsEl = region("chats");
    this.flashed = new Set();
    this.queueEl.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action=accept]");
      if (button) session.accept(Number(button.dataset.conversation));
    });
    this.chatsEl.addEventListener("click", (event) => {
      const item = event.target.closest("[data-chat]");
      if (item) session.select(Number(item.dataset.chat));
    });
  }

  render() {
    const focused =
      document.activeElement && document.activeElement.dataset
        ? document.activeElement.dataset.focusKey
        : null;
    this.renderQueue();
    this.renderChats();
    if (focused) {
      const again = document.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  renderQueue() {
    const entries = this.store.sortedQueue();
    // Rebuilding only on real change keeps a click that lands mid-update working.
    const key = JSON.stringify([
      this.session.ready,
      entries.map((e) => [
        e.conv.id,
        e.conv.visitor.name,
        e.conv.queued_at,
        e.preview,
        Boolean(e.accepting),
      ]),
    ]);
    if (key === this.queueKey) return;
    this.queueKey = key;
    region("queue-count").textContent = String(entries.length);
    region("queue-empty").hidden = entries.length > 0;
    this.queueEl.replaceChildren(...entries.map((entry) => this.queueItem(entry)));
  }

  queueItem({ conv, preview: text, accepting }) {
    const name = conv.visitor.name;
    return h(
      "li",
      { className: "queue-item", dataset: { conversation: conv.id } },
      h("div", { className: "avatar avatar-queue", "aria-hidden": "true" }, initials(name)),
      h(
        "div",
        { className: "item-main" },
        h(
          "div",
          { className: "item-line" },
          h("span", { className: "item-name", text: name }),
          h(
            "span",
            { className: "wait", title: "Waiting for", dataset: { since: conv.queued_at || "" } },
            since(conv.queued_at),
          ),
        ),
        h("div", { className: "item-preview", text: text || `Waiting on ${conv.site.name}` }),
      ),
      h(
        "button",
        {
          type: "button",
          className: "btn btn-primary btn-small",
          disabled: accepting || !this.session.ready,
          dataset: { action: "accept", conversation: conv.id, focusKey: `accept-${conv.id}` },
          "aria-label": `Accept chat with ${name}`,
        },
        accepting ? "Accepting…" : "Accept",
      ),
    );
  }

  renderChats() {
    const chats = this.store.sortedChats();
    const key = JSON.stringify([
      this.store.selectedId,
      chats.map((c) => {
        const last = c.lastMessage();
        return [
          c.id,
          c.status,
          c.visitorName,
          c.returned,
          c.unread,
          c.visitorTyping,
          last ? [last.seq, last.body] : null,
        ];
      }),
    ]);
    if (key === this.chatsKey) return;
    this.chatsKey = key;
    const open = chats.filter((c) => c.isOpen).length;
    region("chats-count").textContent = String(open);
    region("chats-empty").hidden = chats.length > 0;
    this.chatsEl.replaceChildren(...chats.map((chat) => this.chatItem(chat)));
    // A returned visitor flashes once per return; the highlight stays until seen.
    for (const chat of chats) {
      if (chat.returned && !this.flashed.has(chat.id)) {
        this.flashed.add(chat.id);
        this.alerts.flash(this.chatsEl.querySelector(`[data-chat="${chat.id}"]`));
      } else if (!chat.returned) {
        this.flashed.delete(chat.id);
      }
    }
  }

  chatItem(chat) {
    const last = chat.lastMessage();
    const selected = chat.id === this.store.selectedId;
    const unread = selected ? 0 : chat.unread;
    const classes = ["chat-item"];
    if (selected) classes.push("is-selected");
    if (chat.returned) classes.push("is-returned");
    if (unread) classes.push("has-unread");
    if (!chat.isOpen) classes.push("is-closed");
    let status = STATUS_LABEL[chat.status] || chat.status;
    if (chat.returned) status = "Visitor is back";
    else if (chat.visitorTyping) status = "Typing…";
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          className: classes.join(" "),
          "aria-current": selected ? "true" : null,
          dataset: { chat: chat.id, status: chat.status, focusKey: `chat-${chat.id}` },
        },
        h(
          "span",
          { className: "avatar", "aria-hidden": "true" },
          initials(chat.visitorName),
          h("span", { className: `presence presence-${chat.status}` }),
        ),
        h(
          "span",
          { className: "item-main" },
          h(
            "span",
            { className: "item-line" },
            h("span", { className: "item-name", text: chat.visitorName }),
            h(
              "span",
              { className: "item-time" },
              fmtTime(last ? last.created_at : chat.conv.assigned_at),
            ),
          ),
          h(
            "span",
            { className: "item-line" },
            h("span", {
              className: "item-preview",
              text: last ? preview(last) : "No messages yet",
            }),
            unread
              ? h("span", { className: "unread", "aria-label": `${unread} unread` }, String(unread))
              : null,
          ),
          h("span", {
            className: `item-status status-${chat.returned ? "returned" : chat.status}`,
            text: status,
          }),
        ),
      ),
    );
  }

  // Wait times move every second without rebuilding the lists.
  tick() {
    const now = Date.now();
    for (const el of this.queueEl.querySelectorAll("[data-since]")) {
      el.textContent = since(el.dataset.since, now);
    }
  }
}
