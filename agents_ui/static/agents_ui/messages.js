// The message list of one conversation. Nodes are cached per chat and reused, so
// a new frame appends one node instead of rebuilding the list. Bodies go through
// textContent (CSS keeps the line breaks with white-space: pre-wrap).

import { fmtTime, h, safeUrl } from "./dom.js";

export class MessageList {
  constructor({ el, store, session }) {
    this.el = el;
    this.store = store;
    this.session = session;
    this.nodes = new Map(); // chat id -> Map(key -> node)
    this.chatId = null;
    el.addEventListener("scroll", () => {
      const chat = this.store.chats.get(this.chatId);
      if (chat) chat.scrollTop = this.atBottom() ? null : el.scrollTop;
    });
    el.addEventListener("click", (event) => {
      const button = event.target.closest("[data-pending-action]");
      if (!button) return;
      const cid = button.dataset.clientId;
      if (button.dataset.pendingAction === "retry") session.retry(cid);
      else session.discard(cid);
    });
  }

  atBottom() {
    const el = this.el;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  }

  forget(chatId) {
    this.nodes.delete(chatId);
  }

  render(chat) {
    const switched = chat.id !== this.chatId;
    const stick = switched ? chat.scrollTop === null : this.atBottom();
    this.chatId = chat.id;
    if (!this.nodes.has(chat.id)) this.nodes.set(chat.id, new Map());
    const cache = this.nodes.get(chat.id);
    const wanted = [];
    const keys = new Set();
    let previousSender = null;
    let ownNew = false;

    for (const message of chat.sortedMessages()) {
      const key = `s${message.seq}`;
      let node = cache.get(key);
      if (!node) {
        node = messageNode(message, chat.visitorName);
        cache.set(key, node);
        if (!switched && message.sender.kind === "agent") ownNew = true;
      }
      this.decorate(node, message, chat, previousSender);
      previousSender = senderKey(message);
      wanted.push(node);
      keys.add(key);
    }
    for (const entry of this.store.pendingFor(chat.id)) {
      const key = `p${entry.client_id}`;
      let node = cache.get(key);
      if (!node) {
        node = messageNode(pendingAsMessage(entry, this.store.me));
        cache.set(key, node);
        ownNew = true;
      }
      setPendingStatus(node, entry, this.session.ready);
      node.classList.toggle("is-grouped", previousSender === `agent:${entry.kind}`);
      previousSender = `agent:${entry.kind}`;
      wanted.push(node);
      keys.add(key);
    }
    for (const key of cache.keys()) if (!keys.has(key)) cache.delete(key);

    if (!sameChildren(this.el, wanted)) this.el.replaceChildren(...wanted);
    if (!chat.loaded && wanted.length === 0) {
      this.el.replaceChildren(h("li", { className: "msg-loading" }, "Loading messages…"));
    }
    if (stick || ownNew) this.el.scrollTop = this.el.scrollHeight;
    else if (switched) this.el.scrollTop = chat.scrollTop;
  }

  decorate(node, message, chat, previousSender) {
    node.classList.toggle("is-grouped", previousSender === senderKey(message));
    const own = message.sender.kind === "agent" && message.kind !== "note";
    if (!own) return;
    const read = message.seq <= chat.visitorReadSeq;
    const status = node.querySelector(".msg-status");
    const label = read ? "Read" : "Sent";
    if (status.textContent !== label) {
      status.textContent = label;
      status.className = `msg-status ${read ? "is-read" : "is-sent"}`;
    }
  }
}

function senderKey(message) {
  const kind = message.kind === "note" ? "note" : message.kind;
  return `${message.sender.kind}:${message.sender.kind === "agent" ? kind : ""}`;
}

function sameChildren(el, nodes) {
  if (el.children.length !== nodes.length) return false;
  for (let i = 0; i < nodes.length; i += 1) if (el.children[i] !== nodes[i]) return false;
  return true;
}

function pendingAsMessage(entry, me) {
  return {
    seq: null,
    sender: { kind: "agent", name: me ? me.name : "" },
    kind: entry.kind,
    body: entry.body,
    payload: entry.payload,
    created_at: null,
  };
}

function setPendingStatus(node, entry, connected) {
  const status = node.querySelector(".msg-status");
  const failed = entry.state === "failed";
  node.classList.toggle("is-failed", failed);
  node.classList.toggle("is-pending", !failed);
  const key = failed ? `failed:${entry.error}` : `sending:${connected}`;
  if (status.dataset.key === key) return;
  status.dataset.key = key;
  status.className = `msg-status ${failed ? "is-failed" : "is-sending"}`;
  if (!failed) {
    status.replaceChildren(connected ? "Sending…" : "Waiting for connection…");
    return;
  }
  status.replaceChildren(
    h("span", { text: `Not sent: ${entry.error || "error"}` }),
    h(
      "button",
      {
        type: "button",
        className: "link-btn",
        dataset: { pendingAction: "retry", clientId: entry.client_id },
      },
      "Retry",
    ),
    h(
      "button",
      {
        type: "button",
        className: "link-btn",
        dataset: { pendingAction: "discard", clientId: entry.client_id },
      },
      "Discard",
    ),
  );
}

export function messageNode(message, visitorName = "Visitor") {
  const sender = message.sender.kind;
  const kind = message.kind;
  let role = sender;
  if (kind === "note") role = "note";
  const own = sender === "agent" && kind !== "note";
  const name =
    kind === "note"
      ? `${message.sender.name || (sender === "system" ? "System" : "Counselor")} · internal note`
      : message.sender.name;
  return h(
    "li",
    {
      className: `msg msg-${role}${own ? " msg-own" : ""}`,
      dataset: message.seq ? { seq: message.seq } : {},
    },
    h("div", { className: "msg-sender", text: name || (sender === "visitor" ? visitorName : "") }),
    h("div", { className: `msg-bubble bubble-${kind}` }, bubbleContent(message)),
    h(
      "div",
      { className: "msg-meta" },
      h(
        "time",
        { className: "msg-time", datetime: message.created_at || null },
        fmtTime(message.created_at),
      ),
      sender === "agent" ? h("span", { className: "msg-status" }) : null,
    ),
  );
}

function bubbleContent(message) {
  if (message.kind === "card") return cardContent(message.payload || {}, message.body);
  if (message.kind === "form") return formContent(message.payload || {}, message.body);
  if (message.kind === "form_reply") return formReplyContent(message.payload || {}, message.body);
  return h("div", { className: "msg-text", text: message.body });
}

function cardContent(payload, fallbackTitle) {
  const image = safeUrl(payload.image);
  const url = safeUrl(payload.url);
  return h(
    "div",
    { className: "card" },
    image
      ? h("img", {
          className: "card-image",
          src: image,
          alt: "",
          loading: "lazy",
          referrerpolicy: "no-referrer",
        })
      : null,
    h(
      "div",
      { className: "card-body" },
      h("div", { className: "card-title", text: payload.title || fallbackTitle }),
      payload.text ? h("div", { className: "card-text", text: payload.text }) : null,
      payload.price ? h("div", { className: "card-price", text: payload.price }) : null,
      url
        ? h(
            "a",
            { className: "card-button", href: url, target: "_blank", rel: "noopener noreferrer" },
            payload.button || "Open",
          )
        : null,
    ),
  );
}

function formReplyContent(payload, fallbackBody) {
  if (payload.erased) return h("div", { className: "msg-text muted", text: "(erased)" });
  const fields = Array.isArray(payload.fields) ? payload.fields : [];
  return h(
    "div",
    { className: "form-summary form-reply" },
    fields.length
      ? h(
          "dl",
          {},
          fields.flatMap((f) => [h("dt", { text: f.label }), h("dd", { text: f.value })]),
        )
      : h("div", { className: "msg-text", text: fallbackBody }),
    payload.lead
      ? h(
          "a",
          {
            className: "card-button",
            href: `/console/leads/?q=${encodeURIComponent(payload.lead)}`,
            target: "_blank",
            rel: "noopener",
          },
          `Lead ${payload.lead}`,
        )
      : null,
  );
}

function formContent(payload, fallbackTitle) {
  const fields = Array.isArray(payload.fields) ? payload.fields : [];
  return h(
    "div",
    { className: "form-summary" },
    h("div", { className: "card-title", text: payload.title || fallbackTitle }),
    h(
      "ul",
      {},
      fields.map((f) => h("li", { text: `${f.label}${f.required ? " *" : ""}` })),
    ),
  );
}
