// The console's protocol logic: applies server frames to the store, keeps every
// open chat in step with the server (sync after reconnect, on a seq gap and when a
// pong shows a higher last_seq), and resends unacknowledged messages with their
// original client id (the server dedups by it).

import { newClientId } from "./dom.js";

const STATUS_KEY = "console.status";
const RESEND_AFTER_MS = 10000;
const HELLO_QUEUE_LIMIT = 200; // chat/selectors.py agent_hello
// Errors after which resending the same frame cannot succeed.
const FINAL_SEND_ERRORS = new Set([
  "bad_field",
  "bad_kind",
  "too_long",
  "closed",
  "not_assignee",
  "not_found",
  "forbidden",
]);

export class Session {
  constructor({ socket, store, ui }) {
    this.socket = socket;
    this.store = store;
    this.ui = ui;
    this.ready = false; // hello received on the current connection
    this.syncs = new Map(); // conversation id -> {again: bool}
    this.accepting = new Set();
    this.typingSentAt = new Map();
    this.typingStop = new Map();
    this.hadHello = false;

    const on = (type, fn) =>
      socket.on(type, (frame) => {
        fn.call(this, frame);
        this.markRead();
        ui.changed();
      });
    on("hello", this.onHello);
    on("conversation", this.onConversation);
    on("queue", this.onQueue);
    on("message", this.onMessage);
    on("typing", this.onTyping);
    on("read", this.onRead);
    on("status", this.onStatus);
    on("ack", this.onAck);
    on("history", this.onHistory);
    on("pong", this.onPong);
    on("error", this.onError);
    on("lead_alert", this.onLeadAlert);
    socket.onState(({ state }) => {
      if (state !== "open") {
        // Replies to syncs in flight died with the socket; the next hello redoes them.
        this.ready = false;
        this.syncs.clear();
        this.accepting.clear();
      }
      ui.changed();
    });
    setInterval(() => this.resendStale(), 3000);
  }

  get desiredStatus() {
    return localStorage.getItem(STATUS_KEY) || "online";
  }

  // --- incoming frames ---------------------------------------------------

  onHello(frame) {
    const unknown = this.store.applyHello(frame);
    this.ready = true;
    for (const chat of this.store.chats.values()) {
      if (chat.isOpen || unknown.includes(chat)) this.sync(chat.id, chat.lastSeq);
    }
    for (const entry of this.store.pending.values()) {
      if (!this.store.chats.has(entry.conversation)) this.store.discardPending(entry.client_id);
      else if (entry.state === "sending") this.transmit(entry);
    }
    if (frame.me.status !== this.desiredStatus) {
      this.socket.send({ type: "status", status: this.desiredStatus });
    }
    if (!this.hadHello && this.store.selectedId === null) {
      const first = this.store.sortedChats().find((c) => c.isOpen);
      if (first) this.select(first.id);
    }
    this.hadHello = true;
  }

  onConversation(frame) {
    const conv = frame.conversation;
    const result = this.store.applyConversation(conv, frame.reason);
    if (result.kind === "added") {
      this.sync(conv.id, 0);
      const accepted = this.accepting.delete(conv.id);
      if (!accepted) this.ui.alert("new_chat", result.chat);
      if (accepted || this.store.selectedId === null) this.select(conv.id);
    } else if (result.kind === "updated") {
      const chat = result.chat;
      if (this.accepting.delete(conv.id)) this.select(conv.id);
      if (frame.reason === "visitor_returned") this.ui.alert("returned", chat);
      if (chat.loaded && (conv.last_seq || 0) > chat.lastSeq) this.sync(chat.id, chat.lastSeq);
    } else if (result.kind === "dropped") {
      const name = result.chat.visitorName;
      let text = `Chat with ${name} is no longer yours.`;
      if (conv.assignee) text = `Chat with ${name} is now with ${conv.assignee.name}.`;
      else if (frame.reason === "transferred") text = `Chat with ${name} went to a team queue.`;
      else if (frame.reason === "requeued") text = `Chat with ${name} went back to the queue.`;
      this.ui.toast(text);
    }
  }

  onQueue(frame) {
    this.store.applyQueue(frame);
    if (frame.op === "add") this.ui.alert("queue", null);
  }

  onMessage(frame) {
    const message = frame.message;
    const result = this.store.applyMessage(message);
    if (result.chat) {
      if (result.gap) this.sync(result.chat.id, result.chat.lastSeq);
      if (message.sender.kind === "visitor") this.ui.alert("message", result.chat);
    } else if (result.unknown) {
      // A message for a conversation we have not heard of: a frame was lost.
      this.sync(message.conversation, 0);
    }
  }

  onTyping(frame) {
    const chat = this.store.chats.get(frame.conversation);
    if (chat && frame.sender === "visitor") {
      chat.setTyping(Boolean(frame.typing));
      if (frame.typing) setTimeout(() => this.ui.changed(), chat.typingUntil - Date.now() + 50);
    }
  }

  onRead(frame) {
    this.store.applyRead(frame);
  }

  onStatus(frame) {
    if (this.store.me) this.store.me.status = frame.status;
  }

  onAck(frame) {
    this.store.applyAck(frame);
  }

  onHistory(frame) {
    const id = frame.conversation.id;
    this.store.applyHistory(frame);
    const state = this.syncs.get(id);
    this.syncs.delete(id);
    const chat = this.store.chats.get(id);
    if (chat && (frame.has_more || (state && state.again))) this.sync(id, chat.lastSeq);
  }

  onPong(frame) {
    const listed = new Set();
    for (const [key, info] of Object.entries(frame.conversations || {})) {
      const id = Number(key);
      listed.add(id);
      const chat = this.store.chats.get(id);
      if (!chat) {
        this.sync(id, 0);
        continue;
      }
      chat.visitorReadSeq = Math.max(chat.visitorReadSeq, info.visitor_read_seq || 0);
      // The pong is the safety net for frames lost on the way (a Redis restart).
      if (info.last_seq > chat.lastSeq || info.status !== chat.status) {
        this.sync(id, chat.lastSeq);
      }
    }
    for (const chat of this.store.chats.values()) {
      if (chat.isOpen && !listed.has(chat.id)) this.sync(chat.id, chat.lastSeq);
    }
    // A queue of another length than the server's missed a `queue` frame; hello
    // lists at most HELLO_QUEUE_LIMIT, so past that the lengths cannot agree.
    const queued = frame.queue;
    const shown = this.store.queue.size;
    if (Number.isInteger(queued) && Math.min(queued, HELLO_QUEUE_LIMIT) !== shown) this.refresh();
  }

  onError(frame) {
    const ref = typeof frame.ref === "string" ? frame.ref : "";
    // A typing hint or read marker for a chat that just moved away: nothing to tell.
    if (ref === "typing" || ref === "read") return;
    const [what, rest] = ref.includes(":") ? ref.split(/:(.*)/s) : ["", ""];
    if (what === "send") {
      if (FINAL_SEND_ERRORS.has(frame.code)) this.store.failPending(rest, frame.message);
    } else if (what === "sync") {
      this.syncs.delete(Number(rest));
      if (frame.code === "not_found") this.store.dropChat(Number(rest));
      return; // a sync that failed is not the counselor's business
    } else if (what === "accept") {
      this.accepting.delete(Number(rest));
      const entry = this.store.queue.get(Number(rest));
      if (entry) entry.accepting = false;
      if (frame.code === "already_taken") this.store.queue.delete(Number(rest));
    }
    this.ui.toast(frame.message || frame.code, "error");
  }

  // --- keeping in step ---------------------------------------------------

  sync(id, afterSeq) {
    if (!this.ready) return; // the next hello syncs everything anyway
    const state = this.syncs.get(id);
    if (state) {
      state.again = true;
      return;
    }
    this.syncs.set(id, { again: false });
    this.socket.send({ type: "sync", conversation: id, after_seq: afterSeq, ref: `sync:${id}` });
  }

  transmit(entry) {
    if (!this.ready) return;
    const frame = {
      type: "send",
      conversation: entry.conversation,
      client_id: entry.client_id,
      kind: entry.kind,
      body: entry.body,
      ref: `send:${entry.client_id}`,
    };
    if (entry.payload) frame.payload = entry.payload;
    if (this.socket.send(frame)) entry.sentAt = Date.now();
  }

  resendStale() {
    const now = Date.now();
    for (const entry of this.store.pending.values()) {
      if (entry.state === "sending" && entry.sentAt && now - entry.sentAt > RESEND_AFTER_MS) {
        this.transmit(entry);
      }
    }
  }

  // --- commands from the views -------------------------------------------

  select(id) {
    this.store.selectedId = id;
    const chat = this.store.chats.get(id);
    if (chat) chat.returned = false;
    this.markRead();
    this.ui.changed();
  }

  // Tell the server (and the visitor) that the selected chat has been read.
  markRead() {
    const chat = this.store.selected;
    // Not ready: the hello that follows the reconnect calls this again.
    if (!chat || !this.ready || document.visibilityState !== "visible") return;
    const seq = chat.latestVisitorSeq();
    if (seq <= chat.agentReadSeq) return;
    if (this.socket.send({ type: "read", conversation: chat.id, seq, ref: "read" })) {
      chat.agentReadSeq = seq;
    }
  }

  accept(id) {
    const entry = this.store.queue.get(id);
    if (!entry || !this.ready) return;
    entry.accepting = true;
    this.accepting.add(id);
    this.socket.send({ type: "accept", conversation: id, ref: `accept:${id}` });
    this.ui.changed();
  }

  onLeadAlert(frame) {
    // A callback is due (reminder) or late (overdue): the lead page has the details.
    const lead = frame.lead || {};
    const what = frame.kind === "overdue" ? "Overdue callback" : "Call back now";
    this.ui.toast(`${what}: ${lead.reference || ""}`, frame.kind === "overdue" ? "error" : "info");
    this.ui.alert("queue", null);
  }

  send(chatId, { kind = "text", body = "", payload = null }) {
    const entry = this.store.addPending({
      client_id: newClientId(),
      conversation: chatId,
      kind,
      body,
      payload,
    });
    this.typing(chatId, false);
    this.transmit(entry);
    this.ui.changed();
  }

  retry(clientId) {
    const entry = this.store.pending.get(clientId);
    if (!entry) return;
    entry.state = "sending";
    entry.error = null;
    this.transmit(entry);
    this.ui.changed();
  }

  discard(clientId) {
    this.store.discardPending(clientId);
    this.ui.changed();
  }

  typing(chatId, typing) {
    const chat = this.store.chats.get(chatId);
    if (!chat || !chat.isOpen || !this.ready) return;
    clearTimeout(this.typingStop.get(chatId));
    const last = this.typingSentAt.get(chatId) || 0;
    const frame = { type: "typing", conversation: chatId, typing, ref: "typing" };
    if (!typing) {
      if (last) this.socket.send(frame);
      this.typingSentAt.delete(chatId);
      return;
    }
    if (Date.now() - last > 3000) {
      this.socket.send(frame);
      this.typingSentAt.set(chatId, Date.now());
    }
    this.typingStop.set(
      chatId,
      setTimeout(() => this.typing(chatId, false), 2500),
    );
  }

  close(chatId) {
    this.socket.send({ type: "close", conversation: chatId, ref: `close:${chatId}` });
  }

  dismiss(chatId) {
    this.store.dropChat(chatId);
    this.ui.changed();
  }

  transfer(chatId, target) {
    const frame = { type: "transfer", conversation: chatId, ref: `transfer:${chatId}` };
    if (target.counselor) frame.to_counselor = target.counselor;
    else frame.to_team = target.team;
    this.socket.send(frame);
  }

  setStatus(status) {
    localStorage.setItem(STATUS_KEY, status);
    if (this.store.me) this.store.me.status = status;
    this.socket.send({ type: "status", status });
    this.ui.changed();
  }

  // A fresh hello brings the colleagues' current statuses (for transfer).
  refresh() {
    if (this.ready) this.socket.send({ type: "hello" });
  }
}
