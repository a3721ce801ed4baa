// The console's state: my chats (each with its messages, pending sends, draft and
// alerts), the queue of my sites, colleagues. Pure data: no DOM, no socket. The
// session applies frames here; the views read from here.

const PENDING_KEY = "console.pending.v1";
const TYPING_TTL_MS = 8000;

export class Chat {
  constructor(conv) {
    this.id = conv.id;
    this.conv = conv;
    this.messages = new Map(); // seq -> message payload
    this.lastSeq = 0; // highest seq with no gap below it
    this.agentReadSeq = conv.agent_read_seq || 0;
    this.visitorReadSeq = conv.visitor_read_seq || 0;
    this.draft = "";
    this.noteMode = false;
    this.typingUntil = 0;
    this.returned = false; // visitor came back: highlighted until looked at
    this.scrollTop = null; // null = stick to the bottom
    this.loaded = false; // first history page arrived
  }

  get status() {
    return this.conv.status;
  }

  get isOpen() {
    return this.conv.status !== "closed";
  }

  get visitorName() {
    return (this.conv.visitor && this.conv.visitor.name) || `Chat #${this.id}`;
  }

  get visitorTyping() {
    return this.typingUntil > Date.now();
  }

  update(conv) {
    this.conv = { ...this.conv, ...conv };
    this.agentReadSeq = Math.max(this.agentReadSeq, conv.agent_read_seq || 0);
    this.visitorReadSeq = Math.max(this.visitorReadSeq, conv.visitor_read_seq || 0);
  }

  // Returns true when a gap shows that frames were lost before this one.
  addMessage(message) {
    if (!message || !Number.isInteger(message.seq)) return false;
    this.messages.set(message.seq, message);
    while (this.messages.has(this.lastSeq + 1)) this.lastSeq += 1;
    if (message.sender && message.sender.kind === "visitor") this.typingUntil = 0;
    return message.seq > this.lastSeq;
  }

  sortedMessages() {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  lastMessage() {
    let best = null;
    for (const message of this.messages.values()) {
      if (!best || message.seq > best.seq) best = message;
    }
    return best;
  }

  latestVisitorSeq() {
    let seq = 0;
    for (const message of this.messages.values()) {
      if (message.sender.kind === "visitor" && message.seq > seq) seq = message.seq;
    }
    return seq;
  }

  get unread() {
    let count = 0;
    for (const message of this.messages.values()) {
      if (message.sender.kind === "visitor" && message.seq > this.agentReadSeq) count += 1;
    }
    return count;
  }

  setTyping(typing) {
    this.typingUntil = typing ? Date.now() + TYPING_TTL_MS : 0;
  }
}

export function preview(message) {
  if (!message) return "";
  if (message.kind === "card") return `Card: ${message.body}`;
  if (message.kind === "form") return `Form: ${message.body}`;
  if (message.kind === "note") return `Note: ${message.body}`;
  return message.body || "";
}

export class Store {
  constructor() {
    this.me = null;
    this.colleagues = [];
    this.chats = new Map();
    this.queue = new Map(); // id -> {conv, preview, accepting}
    this.selectedId = null;
    // client_id -> {client_id, conversation, kind, body, payload, state, error, sentAt}
    this.pending = new Map();
    this.loadPending();
  }

  // --- hello / snapshots -------------------------------------------------

  applyHello(frame) {
    this.me = frame.me;
    this.colleagues = frame.colleagues || [];
    const mine = new Set();
    for (const conv of frame.conversations || []) {
      this.upsertChat(conv);
      mine.add(conv.id);
    }
    this.queue = new Map();
    for (const conv of frame.queue || []) this.queue.set(conv.id, { conv, preview: "" });
    // Chats the server no longer lists as mine and open: their fate is unknown.
    return [...this.chats.values()].filter((c) => c.isOpen && !mine.has(c.id));
  }

  upsertChat(conv) {
    let chat = this.chats.get(conv.id);
    const added = !chat;
    if (added) {
      chat = new Chat(conv);
      this.chats.set(conv.id, chat);
    } else {
      chat.update(conv);
    }
    this.queue.delete(conv.id);
    return { chat, added };
  }

  isMine(conv) {
    return Boolean(this.me && conv.assignee && conv.assignee.id === this.me.id);
  }

  // A conversation's new state, from a `conversation` frame or a history reply.
  // Returns what happened so the session can alert or sync.
  applyConversation(conv, reason) {
    if (this.isMine(conv)) {
      const { chat, added } = this.upsertChat(conv);
      if (reason === "visitor_returned") chat.returned = true;
      if (conv.status === "closed") chat.setTyping(false);
      return { kind: added ? "added" : "updated", chat };
    }
    const chat = this.chats.get(conv.id);
    if (chat) {
      this.dropChat(conv.id);
      return { kind: "dropped", chat, conv };
    }
    if (conv.status === "queued") {
      const entry = this.queue.get(conv.id);
      this.queue.set(conv.id, { conv, preview: entry ? entry.preview : "" });
      return { kind: "queued" };
    }
    this.queue.delete(conv.id);
    return { kind: "ignored" };
  }

  dropChat(id) {
    this.chats.delete(id);
    if (this.selectedId === id) this.selectedId = null;
    for (const [cid, entry] of this.pending) {
      if (entry.conversation === id) this.pending.delete(cid);
    }
    this.savePending();
  }

  applyQueue(frame) {
    const conv = frame.conversation;
    if (frame.op === "remove") {
      this.queue.delete(conv.id);
    } else if (!this.chats.has(conv.id) || !this.chats.get(conv.id).isOpen) {
      const entry = this.queue.get(conv.id);
      this.queue.set(conv.id, { conv, preview: entry ? entry.preview : "" });
    }
  }

  // --- messages ----------------------------------------------------------

  applyMessage(message) {
    const chat = this.chats.get(message.conversation);
    if (chat) {
      const mine = message.sender.kind === "agent" && this.me && message.sender.id === this.me.id;
      if (mine && message.client_id && this.pending.has(message.client_id)) {
        this.pending.delete(message.client_id);
        this.savePending();
      }
      const gap = chat.addMessage(message);
      chat.update({ last_message_at: message.created_at });
      return { chat, gap };
    }
    const entry = this.queue.get(message.conversation);
    if (entry) {
      entry.preview = preview(message);
      return { queued: entry };
    }
    return { unknown: true };
  }

  applyHistory(frame) {
    const result = this.applyConversation(frame.conversation, "sync");
    const chat = this.chats.get(frame.conversation.id);
    if (chat) {
      for (const message of frame.messages || []) this.applyMessage(message);
      chat.loaded = true;
    } else if (this.queue.has(frame.conversation.id)) {
      const last = (frame.messages || []).at(-1);
      if (last) this.queue.get(frame.conversation.id).preview = preview(last);
    }
    return result;
  }

  applyAck(frame) {
    const entry = this.pending.get(frame.client_id);
    if (!entry) return null;
    this.pending.delete(frame.client_id);
    this.savePending();
    const chat = this.chats.get(frame.conversation);
    // A lead form is built on the server: wait for its message (or a sync) rather
    // than drawing a stand-in from what was sent.
    if (chat && !chat.messages.has(frame.seq) && entry.kind !== "lead_form") {
      chat.addMessage({
        id: frame.id,
        conversation: frame.conversation,
        seq: frame.seq,
        sender: { kind: "agent", name: this.me ? this.me.name : "", id: this.me && this.me.id },
        kind: entry.kind,
        body: entry.body,
        payload: entry.payload,
        client_id: frame.client_id,
        created_at: frame.created_at,
      });
    }
    return chat;
  }

  applyRead(frame) {
    const chat = this.chats.get(frame.conversation);
    if (!chat) return null;
    if (frame.reader === "visitor") {
      chat.visitorReadSeq = Math.max(chat.visitorReadSeq, frame.seq);
    } else {
      chat.agentReadSeq = Math.max(chat.agentReadSeq, frame.seq);
    }
    return chat;
  }

  // --- pending sends -----------------------------------------------------

  addPending(entry) {
    this.pending.set(entry.client_id, { state: "sending", error: null, sentAt: 0, ...entry });
    this.savePending();
    return this.pending.get(entry.client_id);
  }

  pendingFor(chatId) {
    return [...this.pending.values()].filter((p) => p.conversation === chatId);
  }

  failPending(clientId, message) {
    const entry = this.pending.get(clientId);
    if (!entry) return null;
    entry.state = "failed";
    entry.error = message;
    this.savePending();
    return entry;
  }

  discardPending(clientId) {
    this.pending.delete(clientId);
    this.savePending();
  }

  // Unacked sends survive a page reload in this tab; the server dedups by client id.
  savePending() {
    try {
      sessionStorage.setItem(PENDING_KEY, JSON.stringify([...this.pending.values()]));
    } catch (err) {
      /* storage full or disabled: pending sends live in memory only */
    }
  }

  loadPending() {
    try {
      const raw = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "[]");
      for (const entry of raw) {
        if (entry && entry.client_id && Number.isInteger(entry.conversation)) {
          this.pending.set(entry.client_id, { ...entry, sentAt: 0 });
        }
      }
    } catch (err) {
      /* unreadable: start empty */
    }
  }

  // --- derived -----------------------------------------------------------

  sortedChats() {
    return [...this.chats.values()].sort((a, b) => {
      if (a.isOpen !== b.isOpen) return a.isOpen ? -1 : 1;
      const at = a.conv.assigned_at || a.conv.created_at || "";
      const bt = b.conv.assigned_at || b.conv.created_at || "";
      return at < bt ? -1 : at > bt ? 1 : a.id - b.id;
    });
  }

  sortedQueue() {
    return [...this.queue.values()].sort((a, b) => {
      const at = a.conv.queued_at || "";
      const bt = b.conv.queued_at || "";
      return at < bt ? -1 : at > bt ? 1 : a.conv.id - b.conv.id;
    });
  }

  get selected() {
    return this.selectedId === null ? null : this.chats.get(this.selectedId) || null;
  }

  totalUnread() {
    let total = 0;
    for (const chat of this.chats.values()) total += chat.unread;
    return total;
  }

  returnedCount() {
    let total = 0;
    for (const chat of this.chats.values()) if (chat.returned) total += 1;
    return total;
  }
}
