/*
 * Live chat widget. Embed on any page with
 *
 *   <script src="https://chat.example/widget.js" data-site-key="pk_..." async></script>
 *
 * Options on the tag: data-lang="ko|en", data-open="true", data-title="Shop name",
 * data-color="#4f46e5". Host page API: window.LiveChat.open() / close() / toggle().
 *
 * A classic script, not a module: host pages (hosted shop platforms included) load it
 * with a plain tag, and one self-contained file served at a stable URL cannot drift
 * out of step with parts of itself. The UI lives in an open Shadow DOM so the page's
 * CSS cannot reach it. Frames are those of chat/consumers/visitor.py (docs/protocol.md).
 */
(() => {
  "use strict";

  // A page that includes the tag twice must not get two launchers.
  if (window.LiveChat && window.LiveChat.version) return;

  // ------------------------------------------------------------------ configuration

  const tag =
    document.currentScript ||
    document.querySelector("script[data-site-key][src*='widget.js']");
  if (!tag || !tag.dataset.siteKey) {
    console.error("LiveChat: the widget's script tag needs data-site-key.");
    return;
  }

  const ORIGIN = new URL(tag.src, location.href).origin;
  const SITE_KEY = tag.dataset.siteKey;
  let LANG = pickLanguage(
    tag.dataset.lang || document.documentElement.lang || navigator.language
  );
  const OPTIONS = {
    title: tag.dataset.title || "",
    color: tag.dataset.color || "",
    open: tag.dataset.open === "true",
  };

  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const TYPING_IDLE_MS = 3000;
  const TYPING_REFRESH_MS = 2500; // the counselor's indicator expires without refresh
  const AGENT_TYPING_TIMEOUT_MS = 8000; // in case the "stopped" frame is lost
  const RATE_RETRY_MS = 2000;
  const HELLO_TIMEOUT_MS = 10000; // a frozen server leaves sockets in CONNECTING
  const NOTICE_MS = 6000;
  const CACHE_MESSAGES = 100;

  function pickLanguage(value) {
    return String(value || "").toLowerCase().startsWith("ko") ? "ko" : "en";
  }

  // ------------------------------------------------------------------ storage
  // Storage can throw (privacy modes, blocked third-party storage, quota): the widget
  // then still works for this page view, it only forgets on reload.

  function area(name) {
    try {
      return window[name] || null;
    } catch {
      return null;
    }
  }
  const local = area("localStorage");
  const session = area("sessionStorage");
  const storeKey = (name) => `livechat:${SITE_KEY}:${name}`;

  function load(where, name, fallback) {
    try {
      const raw = where && where.getItem(storeKey(name));
      return raw == null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  }

  function save(where, name, value) {
    try {
      if (!where) return;
      if (value == null) where.removeItem(storeKey(name));
      else where.setItem(storeKey(name), JSON.stringify(value));
    } catch {
      /* see above */
    }
  }

  // The outbox is shared by every tab of the site, so it is changed by
  // read-modify-write: one tab must not drop another tab's unacknowledged message.
  function outboxAdd(item) {
    const list = load(local, "outbox", []);
    if (!list.some((i) => i.client_id === item.client_id)) {
      list.push({ client_id: item.client_id, body: item.body, created_at: item.created_at });
    }
    save(local, "outbox", list);
  }

  function outboxRemove(clientId) {
    const list = load(local, "outbox", []).filter((i) => i.client_id !== clientId);
    save(local, "outbox", list.length ? list : null);
  }

  function saveCacheSoon() {
    clearTimeout(timers.cache);
    timers.cache = setTimeout(() => {
      if (!state.conv) return save(local, "conversation", null);
      const messages = sortedMessages().slice(-CACHE_MESSAGES);
      save(local, "conversation", { conv: state.conv, seq: state.seq, messages });
    }, 200);
  }

  // ------------------------------------------------------------------ strings

  // Used until /widget/i18n.json answers, or if it never does (a blocked request
  // must not leave a launcher without labels). The server's catalog is the source.
  const FALLBACK_STRINGS = {
    launcher: "Chat with us",
    title: "Chat",
    placeholder: "Type a message…",
    send: "Send",
    close: "Close",
    minimize: "Minimize",
    end_chat: "End chat",
    queued: "Waiting for a counselor",
    queue_position: "You are number %(position)s in line",
    agent_joined: "%(name)s joined the chat",
    agent_typing: "%(name)s is typing…",
    connecting: "Connecting…",
    reconnecting: "Connection lost. Reconnecting…",
    closed: "This chat has ended.",
    new_chat: "Start a new chat",
    sending: "Sending…",
    failed: "Not sent. Tap to retry.",
    read: "Read",
    welcome: "Hello! How can we help you today?",
    counselor: "Counselor",
    you: "You",
    unread: "unread messages",
    error_too_long: "The message is too long.",
    error_rate: "You are sending too fast. Please wait a moment.",
  };
  let strings = FALLBACK_STRINGS;

  function t(key, params) {
    const text = strings[key] || FALLBACK_STRINGS[key] || key;
    if (!params) return text;
    return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
  }

  async function loadStrings() {
    try {
      const url = `${ORIGIN}/widget/i18n.json?lang=${LANG}`;
      const response = await fetch(url, { credentials: "omit" });
      if (!response.ok) return;
      const data = await response.json();
      if (data && data.strings) {
        strings = { ...FALLBACK_STRINGS, ...data.strings };
        LANG = pickLanguage(data.language);
      }
    } catch {
      /* keep the fallback */
    }
  }

  // ------------------------------------------------------------------ state

  const state = {
    open: false,
    socket: null,
    ready: false, // `hello` received on the current socket
    everReady: false,
    attempt: 0,
    heartbeat: 20,
    missedPongs: 0,
    limits: { max_text_chars: 4000, max_frame_bytes: 16384 },
    conv: null, // visitor snapshot of the current conversation
    seq: 0, // every visible message with seq <= this one is in `messages`
    messages: new Map(), // seq -> message payload
    events: [], // "X joined the chat" lines, shown live only
    pending: new Map(), // client_id -> {client_id, body, created_at, failed}
    syncing: false,
    syncAgain: false,
    holdSends: false, // after a rate-limit refusal, until the retry
    resyncAfterHold: false,
    readSent: 0,
    typingOn: false,
    typingSentAt: 0,
    agentTyping: "",
    scrollToEnd: true,
  };
  const timers = {};

  function restoreFromStorage() {
    for (const item of load(local, "outbox", [])) {
      if (item && item.client_id && item.body) state.pending.set(item.client_id, item);
    }
    const cached = load(local, "conversation", null);
    if (!cached || !cached.conv || !load(local, "token", null)) return;
    state.conv = cached.conv;
    state.seq = cached.seq || 0;
    for (const m of cached.messages || []) state.messages.set(m.seq, m);
  }

  const sortedMessages = () =>
    [...state.messages.values()].sort((a, b) => a.seq - b.seq);

  const isViewing = () => state.open && document.visibilityState === "visible";
  const isClosed = () => !!state.conv && state.conv.status === "closed";

  // ------------------------------------------------------------------ socket

  function connect() {
    clearTimeout(timers.reconnect);
    if (state.socket) return;
    const url = new URL("/ws/visitor/", ORIGIN.replace(/^http/, "ws"));
    url.searchParams.set("site", SITE_KEY);
    url.searchParams.set("lang", LANG);
    let ws;
    try {
      ws = new WebSocket(url.href);
    } catch {
      scheduleReconnect();
      return;
    }
    state.socket = ws;
    timers.hello = setTimeout(() => {
      if (ws !== state.socket || state.ready) return;
      dropSocket();
      scheduleReconnect();
    }, HELLO_TIMEOUT_MS);
    ws.onopen = () => send({ type: "resume", token: load(local, "token", null) });
    ws.onmessage = (event) => {
      if (ws !== state.socket) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      const handler = frame && HANDLERS[frame.type];
      if (handler) handler(frame);
    };
    ws.onclose = (event) => {
      if (ws !== state.socket) return;
      dropSocket();
      scheduleReconnect(event.code);
    };
    render();
  }

  function dropSocket() {
    const ws = state.socket;
    state.socket = null;
    state.ready = false;
    state.syncing = false;
    state.typingOn = false;
    clearInterval(timers.heartbeat);
    clearTimeout(timers.hello);
    if (ws && ws.readyState <= WebSocket.OPEN) {
      ws.onclose = null;
      ws.close();
    }
    render();
  }

  function scheduleReconnect(code) {
    clearTimeout(timers.reconnect);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** state.attempt);
    state.attempt += 1;
    // Half fixed, half random: a server restart must not be hit by every widget at once.
    let delay = base / 2 + (Math.random() * base) / 2;
    if (code === 4429) delay = Math.max(delay, BACKOFF_MAX_MS); // closed for flooding
    timers.reconnect = setTimeout(connect, delay);
    // A refused handshake (unknown key, origin not allowed) looks like a network
    // error to the browser; say once where to look.
    if (!state.everReady && state.attempt === 4) {
      console.warn(
        `LiveChat: cannot connect to ${ORIGIN}. Check data-site-key and that ` +
          `${location.origin} is an allowed origin of the site.`
      );
    }
  }

  function reconnectNow() {
    if (state.socket) return;
    state.attempt = 0;
    connect();
  }

  function send(frame) {
    const ws = state.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function startHeartbeat() {
    clearInterval(timers.heartbeat);
    state.missedPongs = 0;
    timers.heartbeat = setInterval(() => {
      // A socket can die silently (sleeping laptop, proxy): after two unanswered
      // pings, give up on it instead of waiting for TCP to notice.
      if (state.missedPongs >= 2) {
        dropSocket();
        scheduleReconnect();
        return;
      }
      state.missedPongs += 1;
      send({ type: "ping" });
    }, state.heartbeat * 1000);
  }

  // ------------------------------------------------------------------ frames in

  const HANDLERS = {
    hello(frame) {
      clearTimeout(timers.hello);
      state.ready = true;
      state.everReady = true;
      state.attempt = 0;
      save(local, "token", frame.visitor.token);
      if (frame.visitor.new && state.conv) forgetConversation();
      state.heartbeat = Math.max(1, Number(frame.heartbeat) || 20);
      Object.assign(state.limits, frame.limits || {});
      startHeartbeat();
      adopt(frame.conversation); // a new conversation is fetched from seq 0 here
      if (!state.syncing) requestSync(); // else: the same one, from where we are
      for (const item of state.pending.values()) if (!item.failed) transmit(item);
      render();
    },

    history(frame) {
      state.syncing = false;
      const snap = frame.conversation;
      if (state.conv && snap.id === state.conv.id) {
        merge(snap);
        const messages = frame.messages || [];
        addMessages(messages, { fromHistory: true });
        // The page is the record up to its last message; a full answer also covers
        // seqs taken by internal notes, which the visitor never receives.
        const last = messages.reduce((top, m) => Math.max(top, m.seq), 0);
        state.seq = Math.max(state.seq, last, frame.has_more ? 0 : snap.last_seq || 0);
        if (frame.has_more) state.syncAgain = true;
      }
      if (state.syncAgain) {
        state.syncAgain = false;
        requestSync();
      }
      saveCacheSoon();
      render();
    },

    message(frame) {
      const m = frame.message;
      if (!state.conv || m.conversation > state.conv.id) {
        send({ type: "ping" }); // a conversation we have not heard of: the pong names it
        return;
      }
      if (m.conversation === state.conv.id) addMessages([m]);
    },

    ack(frame) {
      const item = state.pending.get(frame.client_id);
      finishPending(frame.client_id);
      if (!state.conv || frame.conversation > state.conv.id) send({ type: "ping" });
      if (item && state.conv && frame.conversation === state.conv.id) {
        addMessages([
          {
            id: frame.id,
            conversation: frame.conversation,
            seq: frame.seq,
            sender: { kind: "visitor", name: "" },
            kind: "text",
            body: item.body,
            payload: null,
            client_id: frame.client_id,
            created_at: frame.created_at,
          },
        ]);
      }
      render();
    },

    conversation(frame) {
      const snap = frame.conversation;
      adopt(snap);
      if (frame.reason === "assigned" && snap.agent && state.conv.id === snap.id) {
        state.events.push({
          key: `e${state.events.length}`,
          order: (state.conv.last_seq || 0) + 0.5,
          text: t("agent_joined", { name: snap.agent.name }),
        });
      }
      if (snap.status === "closed" && state.conv.id === snap.id) state.agentTyping = "";
      render();
    },

    queue_position(frame) {
      if (state.conv && frame.conversation === state.conv.id) {
        state.conv.queue_position = frame.position;
        render();
      }
    },

    typing(frame) {
      if (frame.sender !== "agent" || !state.conv) return;
      if (frame.conversation !== state.conv.id) return;
      clearTimeout(timers.agentTyping);
      state.agentTyping = frame.typing
        ? frame.name || (state.conv.agent && state.conv.agent.name) || t("counselor")
        : "";
      if (frame.typing) {
        timers.agentTyping = setTimeout(() => {
          state.agentTyping = "";
          render();
        }, AGENT_TYPING_TIMEOUT_MS);
      }
      render();
    },

    read(frame) {
      if (!state.conv || frame.conversation !== state.conv.id) return;
      const field = frame.reader === "agent" ? "agent_read_seq" : "visitor_read_seq";
      state.conv[field] = Math.max(state.conv[field] || 0, frame.seq);
      saveCacheSoon();
      render();
    },

    pong(frame) {
      state.missedPongs = 0;
      const snap = frame.conversation;
      if (!snap) return;
      adopt(snap);
      // Frames lost while Redis restarted show up here as a higher last_seq.
      if (state.conv && snap.id === state.conv.id && snap.last_seq > state.seq) {
        requestSync();
      }
      render();
    },

    error(frame) {
      const item = frame.ref != null ? state.pending.get(String(frame.ref)) : null;
      if (frame.code === "rate_limited") {
        showNotice(t("error_rate"));
        // Refused unexecuted (the ref names the send, or nothing for the frame
        // budget). Sends are idempotent by client_id, so every unacknowledged one is
        // simply sent again a little later, and new ones wait for that, so that none
        // overtakes a refused one.
        clearTimeout(timers.rateRetry);
        state.holdSends = true;
        // Without a ref the refused frame may have been our `sync`.
        if (frame.ref == null) state.resyncAfterHold = true;
        timers.rateRetry = setTimeout(() => {
          state.holdSends = false;
          if (state.resyncAfterHold) {
            state.resyncAfterHold = false;
            state.syncing = false;
            requestSync();
          }
          for (const p of state.pending.values()) if (!p.failed) transmit(p);
        }, RATE_RETRY_MS);
      } else if (frame.ref === "sync") {
        state.syncing = false;
        if (frame.code === "not_found") forgetConversation();
      } else if (item) {
        refuseSend(item, frame);
      } else if (frame.code === "too_large") {
        showNotice(t("error_too_long"));
      }
      render();
    },
  };

  // ------------------------------------------------------------------ conversation

  // Take a conversation snapshot: a newer conversation replaces the current one
  // (and is fetched from the start), the same one is updated, an older one ignored.
  function adopt(snap) {
    if (!snap) return;
    if (!state.conv || snap.id > state.conv.id) {
      state.conv = { ...snap };
      state.seq = 0;
      state.messages.clear();
      state.events = [];
      state.readSent = 0;
      state.agentTyping = "";
      state.syncing = false;
      requestSync();
    } else if (snap.id === state.conv.id) {
      merge(snap);
    }
    saveCacheSoon();
  }

  function merge(snap) {
    const conv = state.conv;
    // Closed is final; a snapshot read just before the close must not reopen it.
    if (conv.status !== "closed") conv.status = snap.status;
    conv.agent = snap.agent;
    conv.closed_at = snap.closed_at || conv.closed_at;
    for (const field of ["last_seq", "agent_read_seq", "visitor_read_seq"]) {
      conv[field] = Math.max(conv[field] || 0, snap[field] || 0);
    }
    // Pushed snapshots carry no position; keep the last one heard while queued.
    conv.queue_position =
      conv.status === "queued" ? snap.queue_position ?? conv.queue_position : null;
  }

  function forgetConversation() {
    state.conv = null;
    state.seq = 0;
    state.messages.clear();
    state.events = [];
    save(local, "conversation", null);
  }

  function requestSync() {
    if (!state.ready || !state.conv) return;
    if (state.syncing) {
      state.syncAgain = true;
      return;
    }
    state.syncing = true;
    send({ type: "sync", conversation: state.conv.id, after_seq: state.seq, ref: "sync" });
  }

  function addMessages(list, { fromHistory = false } = {}) {
    let gap = false;
    for (const m of list) {
      if (!state.conv || m.conversation !== state.conv.id) continue;
      if (m.client_id && m.sender.kind === "visitor") finishPending(m.client_id);
      if (m.sender.kind === "agent") state.agentTyping = "";
      state.messages.set(m.seq, m);
      state.conv.last_seq = Math.max(state.conv.last_seq || 0, m.seq);
    }
    while (state.messages.has(state.seq + 1)) state.seq += 1;
    for (const m of list) if (m.seq > state.seq) gap = true;
    // A hole is either a lost frame or an internal note's seq; sync tells which.
    // (A history page settles its own holes.)
    if (gap && !fromHistory) requestSync();
    saveCacheSoon();
    markRead();
    render();
  }

  function lastAgentSeq() {
    let top = 0;
    for (const m of state.messages.values()) {
      if (m.sender.kind === "agent" && m.seq > top) top = m.seq;
    }
    return top;
  }

  function unreadCount() {
    if (!state.conv) return 0;
    const mark = Math.max(state.conv.visitor_read_seq || 0, state.readSent);
    let count = 0;
    for (const m of state.messages.values()) {
      if (m.sender.kind === "agent" && m.seq > mark) count += 1;
    }
    return count;
  }

  function markRead() {
    if (!isViewing() || !state.ready || !state.conv) return;
    const top = lastAgentSeq();
    if (top <= Math.max(state.readSent, state.conv.visitor_read_seq || 0)) return;
    if (send({ type: "read", conversation: state.conv.id, seq: top })) state.readSent = top;
  }

  // ------------------------------------------------------------------ sending

  function newClientId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  function tooLong(body) {
    // The server counts code points; its frame limit counts UTF-8 bytes.
    const chars = [...body].length;
    const bytes = new TextEncoder().encode(body).length + 200;
    return chars > state.limits.max_text_chars || bytes > state.limits.max_frame_bytes;
  }

  function submitComposer() {
    const body = ui.input.value.trim();
    if (!body) return;
    if (tooLong(body)) {
      showNotice(t("error_too_long"));
      return;
    }
    const item = { client_id: newClientId(), body, created_at: new Date().toISOString() };
    ui.input.value = "";
    resizeComposer();
    stopTyping();
    state.pending.set(item.client_id, item);
    outboxAdd(item);
    state.scrollToEnd = true;
    transmit(item);
    render();
  }

  function transmit(item) {
    // Not now: sent from the outbox after the next `hello`, or by the rate retry.
    if (!state.ready || state.holdSends) return;
    send({ type: "send", client_id: item.client_id, body: item.body, ref: item.client_id });
  }

  function finishPending(clientId) {
    if (!state.pending.delete(clientId)) return;
    outboxRemove(clientId);
  }

  function refuseSend(item, frame) {
    if (frame.code === "too_long" || frame.code === "bad_field") {
      // Refused for its content: retrying cannot help, so the text goes back to
      // the composer for the visitor to shorten.
      finishPending(item.client_id);
      const draft = ui.input.value;
      ui.input.value = draft ? `${item.body}\n${draft}` : item.body;
      resizeComposer();
      showNotice(frame.code === "too_long" ? t("error_too_long") : frame.message);
      return;
    }
    item.failed = true;
    outboxRemove(item.client_id);
  }

  function retry(clientId) {
    const item = state.pending.get(clientId);
    if (!item) return;
    item.failed = false;
    outboxAdd(item);
    transmit(item);
    render();
  }

  function onComposerInput() {
    resizeComposer();
    if (!ui.input.value.trim()) {
      stopTyping();
      return;
    }
    if (!state.ready || !state.conv || isClosed()) return;
    const now = Date.now();
    if (!state.typingOn || now - state.typingSentAt > TYPING_REFRESH_MS) {
      if (send({ type: "typing", typing: true })) {
        state.typingOn = true;
        state.typingSentAt = now;
      }
    }
    clearTimeout(timers.typingIdle);
    timers.typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(timers.typingIdle);
    if (state.typingOn) send({ type: "typing", typing: false });
    state.typingOn = false;
  }

  function endChat() {
    if (state.conv && !isClosed()) send({ type: "close", conversation: state.conv.id });
  }

  function startNewChat() {
    state.scrollToEnd = true;
    send({ type: "start" });
  }

  // ------------------------------------------------------------------ DOM helpers

  const ui = {};

  function el(tagName, props, ...children) {
    const node = document.createElement(tagName);
    for (const [key, value] of Object.entries(props || {})) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    node.append(...children.filter((c) => c != null));
    return node;
  }

  // Built with createElementNS, not markup strings: pages that enforce Trusted
  // Types refuse innerHTML, and the widget then still has its icons.
  const SVG_NS = "http://www.w3.org/2000/svg";
  const STROKE = {
    fill: "none",
    stroke: "currentColor",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
  };
  const ICONS = {
    chat: [
      { ...STROKE, "stroke-width": "2" },
      "M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.6A8 8 0 1 1 21 12z",
    ],
    close: [{ ...STROKE, "stroke-width": "2.2" }, "M6 6l12 12M18 6L6 18"],
    down: [{ ...STROKE, "stroke-width": "2.2" }, "M6 9l6 6 6-6"],
    send: [
      { fill: "currentColor" },
      "M3.4 20.4l17.4-7.5a1 1 0 0 0 0-1.8L3.4 3.6a1 1 0 0 0-1.4 1.2L4.5 12l-2.5 7.2" +
        "a1 1 0 0 0 1.4 1.2z",
    ],
  };

  function icon(name) {
    const [attributes, d] = ICONS[name];
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    for (const [key, value] of Object.entries(attributes)) svg.setAttribute(key, value);
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
    return el("span", { class: `icon i-${name}`, "aria-hidden": "true" }, svg);
  }

  function safeHttpUrl(value) {
    try {
      const url = new URL(String(value));
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  function initials(name) {
    const parts = String(name || "").trim().split(/\s+/).filter(Boolean);
    return parts.map((p) => [...p][0]).join("").slice(0, 2).toUpperCase();
  }

  const formats = {};

  function timeOf(iso) {
    const date = iso ? new Date(iso) : null;
    if (!date || Number.isNaN(date.getTime())) return "";
    if (!formats[LANG]) {
      const locale = LANG === "ko" ? "ko-KR" : "en-US";
      formats[LANG] = new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit" });
    }
    return formats[LANG].format(date);
  }

  // ------------------------------------------------------------------ build

  function buildUI() {
    const host = document.createElement("livechat-widget");
    // Inline and !important: the host page's stylesheets must not move or hide it.
    host.style.cssText =
      "position:fixed!important;right:0!important;bottom:0!important;" +
      "width:0!important;height:0!important;margin:0!important;padding:0!important;" +
      "border:0!important;display:block!important;z-index:2147483000!important;";
    const root = host.attachShadow({ mode: "open" });
    ui.win = el(
      "section",
      { class: "win", role: "dialog" },
      buildHeader(),
      (ui.conn = el("div", { class: "conn", role: "status", hidden: true })),
      buildLog(),
      (ui.queue = el("div", { class: "queue", role: "status", hidden: true })),
      (ui.notice = el("div", { class: "notice", role: "alert", hidden: true })),
      buildComposer(),
      buildEnded()
    );
    ui.root = el("div", { class: "lc" }, ui.win, buildLauncher());
    if (OPTIONS.color && CSS.supports("color", OPTIONS.color)) {
      ui.root.style.setProperty("--accent", OPTIONS.color);
    }
    ui.root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
    });
    adoptStyles(root);
    root.append(ui.root);
    document.body.append(host);
    renderStatic();
  }

  function buildLauncher() {
    ui.launcherLabel = el("span", { class: "sr" });
    ui.badge = el("span", { class: "badge", hidden: true });
    ui.launcher = el(
      "button",
      { class: "launcher", type: "button", "aria-expanded": "false", onclick: toggle },
      icon("chat"),
      icon("close"),
      ui.launcherLabel,
      ui.badge
    );
    return ui.launcher;
  }

  function buildHeader() {
    ui.avatar = el("div", { class: "avatar", "aria-hidden": "true" });
    ui.name = el("div", { class: "name" });
    ui.sub = el("div", { class: "sub" });
    ui.end = el("button", { class: "end", type: "button", onclick: endChat });
    ui.minimize = el("button", { class: "min", type: "button", onclick: close }, icon("down"));
    const who = el("div", { class: "who" }, ui.name, ui.sub);
    return el("header", { class: "head" }, ui.avatar, who, ui.end, ui.minimize);
  }

  function buildLog() {
    ui.greeting = el("div", { class: "greeting" });
    ui.msgs = el("div", { class: "msgs" });
    ui.typingText = el("span");
    const dots = el("span", { class: "dots" }, el("i"), el("i"), el("i"));
    ui.typing = el("div", { class: "typing", hidden: true }, dots, ui.typingText);
    ui.log = el(
      "div",
      { class: "log", role: "log", "aria-live": "polite", onclick: onLogClick },
      ui.greeting,
      ui.msgs,
      ui.typing
    );
    return ui.log;
  }

  function buildComposer() {
    // No maxlength: the browser would cut a long paste silently; a notice says why.
    ui.input = el("textarea", { rows: "1", oninput: onComposerInput, onkeydown: onComposerKey });
    ui.sendLabel = el("span", { class: "send-label" });
    ui.send = el("button", { class: "send", type: "submit" }, icon("send"), ui.sendLabel);
    ui.composer = el("form", { class: "composer" }, ui.input, ui.send);
    ui.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      submitComposer();
      ui.input.focus();
    });
    return ui.composer;
  }

  function buildEnded() {
    ui.endedText = el("p");
    ui.newChat = el("button", { class: "new-chat", type: "button", onclick: startNewChat });
    ui.ended = el("div", { class: "ended", hidden: true }, ui.endedText, ui.newChat);
    return ui.ended;
  }

  // A constructed sheet is not inline CSS, so host pages whose Content-Security-Policy
  // forbids inline styles still style the widget; <style> is the fallback.
  function adoptStyles(root) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS_TEXT);
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.append(el("style", { text: CSS_TEXT }));
    }
  }

  function onComposerKey(event) {
    // Enter sends, Shift+Enter breaks the line; Enter that ends a Korean (IME)
    // composition must not send the half-typed syllable.
    if (event.key !== "Enter" || event.shiftKey) return;
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submitComposer();
  }

  function onLogClick(event) {
    const meta = event.target.closest(".msg[data-state='failed']");
    if (meta) retry(meta.dataset.cid);
  }

  function resizeComposer() {
    if (!ui.input) return;
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 120)}px`;
  }

  function showNotice(text) {
    if (!ui.notice) return;
    ui.notice.textContent = text;
    ui.notice.hidden = false;
    clearTimeout(timers.notice);
    timers.notice = setTimeout(() => (ui.notice.hidden = true), NOTICE_MS);
  }

  // ------------------------------------------------------------------ render

  let renderQueued = false;

  // Many frames can arrive in one task; draw once after them.
  function render() {
    if (renderQueued) return;
    renderQueued = true;
    queueMicrotask(() => {
      renderQueued = false;
      if (!ui.root) return;
      renderChrome();
      renderMessages();
    });
  }

  function renderStatic() {
    if (!ui.root) return;
    ui.launcherLabel.textContent = t("launcher");
    ui.win.setAttribute("aria-label", OPTIONS.title || t("title"));
    ui.end.textContent = t("end_chat");
    ui.minimize.setAttribute("aria-label", t("minimize"));
    ui.minimize.title = t("minimize");
    ui.greeting.textContent = t("welcome");
    ui.input.placeholder = t("placeholder");
    ui.input.setAttribute("aria-label", t("placeholder"));
    ui.sendLabel.textContent = t("send");
    ui.send.setAttribute("aria-label", t("send"));
    ui.endedText.textContent = t("closed");
    ui.newChat.textContent = t("new_chat");
    render();
  }

  function renderChrome() {
    const conv = state.conv;
    const agent = conv && conv.status !== "closed" ? conv.agent : null;
    ui.root.classList.toggle("is-open", state.open);
    ui.launcher.setAttribute("aria-expanded", String(state.open));
    ui.launcher.setAttribute("aria-label", state.open ? t("close") : t("launcher"));

    ui.name.textContent = agent ? agent.name : OPTIONS.title || t("title");
    const who = agent ? agent.name : "";
    if (ui.avatar.dataset.who !== who) {
      ui.avatar.dataset.who = who;
      ui.avatar.textContent = initials(who);
      if (!agent) ui.avatar.append(icon("chat"));
    }
    ui.avatar.classList.toggle("online", !!agent);
    ui.sub.textContent = !conv
      ? ""
      : conv.status === "closed"
        ? t("closed")
        : conv.status === "queued"
          ? t("queued")
          : agent
            ? t("counselor")
            : "";
    ui.end.hidden = !conv || conv.status === "closed";
    ui.end.disabled = !state.ready;

    ui.conn.hidden = state.ready;
    ui.conn.textContent = state.everReady ? t("reconnecting") : t("connecting");

    const queued = conv && conv.status === "queued";
    ui.queue.hidden = !queued;
    if (queued) {
      const position = conv.queue_position;
      ui.queue.textContent = position
        ? `${t("queued")} · ${t("queue_position", { position })}`
        : t("queued");
    }

    const ended = isClosed();
    ui.composer.hidden = ended;
    ui.ended.hidden = !ended;
    ui.newChat.disabled = !state.ready;

    ui.typing.hidden = !state.agentTyping;
    ui.typingText.textContent = state.agentTyping
      ? t("agent_typing", { name: state.agentTyping })
      : "";

    const unread = isViewing() ? 0 : unreadCount();
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 99 ? "99+" : String(unread);
    ui.badge.setAttribute("aria-label", `${unread} ${t("unread")}`);
  }

  // The list is reconciled by key against the state: confirmed messages by seq,
  // event lines between them, then this browser's unacknowledged sends.
  function wantedItems() {
    const items = sortedMessages().map((m) => ({
      key: `s${m.seq}`,
      order: m.seq,
      from: m.sender.kind,
      name: m.sender.name || "",
      message: m,
      state: "sent",
    }));
    for (const e of state.events) {
      items.push({ ...e, from: "event", name: "", state: "sent" });
    }
    items.sort((a, b) => a.order - b.order);
    for (const p of state.pending.values()) {
      items.push({
        key: `c${p.client_id}`,
        from: "visitor",
        name: "",
        message: { kind: "text", body: p.body, created_at: p.created_at },
        cid: p.client_id,
        state: p.failed ? "failed" : "sending",
      });
    }
    return items;
  }

  function renderMessages() {
    const log = ui.log;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
    const items = wantedItems();
    const existing = new Map([...ui.msgs.children].map((n) => [n.dataset.key, n]));
    const conv = state.conv;
    let lastOwn = -1;
    items.forEach((item, i) => {
      if (item.from === "visitor" && item.state === "sent") lastOwn = i;
    });

    let cursor = ui.msgs.firstChild;
    items.forEach((item, i) => {
      let node = existing.get(item.key);
      if (node) existing.delete(item.key);
      else node = messageNode(item);
      node.classList.toggle("cont", sameSender(items[i - 1], item));
      node.dataset.state = item.state;
      const readByAgent =
        i === lastOwn && !!conv && (conv.agent_read_seq || 0) >= item.order;
      node.querySelector(".meta").textContent = metaText(item, items[i + 1], readByAgent);
      if (node !== cursor) ui.msgs.insertBefore(node, cursor);
      else cursor = cursor.nextSibling;
    });
    for (const node of existing.values()) node.remove();

    if (state.open && (nearBottom || state.scrollToEnd)) {
      log.scrollTop = log.scrollHeight;
      state.scrollToEnd = false;
    }
  }

  // Consecutive messages of one sender form a group: one name above, one time below.
  function sameSender(a, b) {
    return !!a && !!b && a.from !== "event" && a.from === b.from && a.name === b.name;
  }

  function metaText(item, next, readByAgent) {
    let meta = "";
    if (item.state === "sending") meta = t("sending");
    else if (item.state === "failed") meta = t("failed");
    else if (item.message && !sameSender(item, next)) meta = timeOf(item.message.created_at);
    if (readByAgent) meta = meta ? `${meta} · ${t("read")}` : t("read");
    return meta;
  }

  function messageNode(item) {
    const node = el("div", { class: `msg from-${item.from}`, "data-key": item.key });
    if (item.cid) node.dataset.cid = item.cid;
    if (item.order != null) node.dataset.seq = String(item.order);
    if (item.from === "visitor") node.append(el("div", { class: "sender sr", text: t("you") }));
    if (item.from === "agent") {
      node.append(el("div", { class: "sender", text: item.name || t("counselor") }));
    }
    node.append(
      item.from === "event"
        ? el("div", { class: "bubble", text: item.text })
        : bubble(item.message),
      el("div", { class: "meta" })
    );
    return node;
  }

  function bubble(message) {
    const payload = message.payload || {};
    if (message.kind === "card") return cardBubble(payload, message.body);
    if (message.kind === "form") return formBubble(payload, message.body);
    return el("div", { class: "bubble", text: message.body || "" });
  }

  function cardBubble(card, body) {
    const image = safeHttpUrl(card.image);
    const link = safeHttpUrl(card.url);
    const box = el("div", { class: "bubble card" });
    if (image) {
      const img = el("img", { src: image, alt: "", loading: "lazy" });
      img.referrerPolicy = "no-referrer";
      img.addEventListener("error", () => img.remove());
      box.append(img);
    }
    box.append(
      el(
        "div",
        { class: "card-body" },
        el("div", { class: "card-title", text: card.title || body || "" }),
        card.text ? el("div", { class: "card-text", text: card.text }) : null,
        card.price ? el("div", { class: "card-price", text: card.price }) : null,
        link
          ? el("a", {
              class: "card-btn",
              href: link,
              target: "_blank",
              rel: "noopener noreferrer",
              text: card.button || card.title || link,
            })
          : null
      )
    );
    return box;
  }

  function formBubble(form, body) {
    const fields = Array.isArray(form.fields) ? form.fields : [];
    return el(
      "div",
      { class: "bubble form" },
      el("div", { class: "form-title", text: form.title || body || "" }),
      el(
        "ul",
        { class: "form-fields" },
        ...fields.map((f) => {
          const label = String(f.label || "");
          return el("li", { text: f.required ? `${label} *` : label });
        })
      )
    );
  }

  // ------------------------------------------------------------------ open / close

  function setOpen(open) {
    state.open = open;
    save(session, "open", open);
    if (open) state.scrollToEnd = true;
    render();
    if (!ui.root) return;
    if (open) {
      markRead();
      if (!matchMedia("(pointer: coarse)").matches) {
        queueMicrotask(() => ui.input.focus({ preventScroll: true }));
      }
    } else {
      stopTyping();
    }
  }

  const open = () => setOpen(true);
  const close = () => setOpen(false);
  const toggle = () => setOpen(!state.open);

  // ------------------------------------------------------------------ boot

  function whenBody(callback) {
    if (document.body) callback();
    else document.addEventListener("DOMContentLoaded", callback, { once: true });
  }

  function boot() {
    window.LiveChat = Object.freeze({ version: "1", open, close, toggle });
    restoreFromStorage();
    // The visitor's own choice earlier in this session wins over data-open.
    const chosen = load(session, "open", null);
    state.open = typeof chosen === "boolean" ? chosen : OPTIONS.open;
    connect();
    const strings = loadStrings();
    // Wait briefly for the visitor's language, so Korean pages do not flash English.
    const ready = Promise.race([strings, new Promise((r) => setTimeout(r, 1500))]);
    ready.then(() =>
      whenBody(() => {
        buildUI();
        setOpen(state.open);
        strings.then(renderStatic);
      })
    );
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        reconnectNow();
        markRead();
      }
      render();
    });
    window.addEventListener("online", reconnectNow);
  }

  // ------------------------------------------------------------------ styles

  const CSS_TEXT = `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap;
}
.lc {
  --accent: #4f46e5; --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --soft: #f4f5f7;
  font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", "Apple SD Gothic Neo",
    "Malgun Gothic", "Noto Sans KR", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); -webkit-font-smoothing: antialiased;
}
button { font: inherit; cursor: pointer; }
button:disabled { cursor: default; opacity: .55; }
.icon { display: inline-grid; place-items: center; }
.icon svg { width: 100%; height: 100%; }

.launcher {
  position: fixed; right: 20px; bottom: 20px; width: 60px; height: 60px; padding: 0;
  border: 0; border-radius: 50%; background: var(--accent); color: #fff;
  display: grid; place-items: center;
  box-shadow: 0 10px 30px rgba(17, 24, 39, .28); transition: transform .15s ease;
}
.launcher:hover { transform: scale(1.06); }
.launcher:focus-visible {
  outline: 3px solid color-mix(in srgb, var(--accent) 40%, white); outline-offset: 3px;
}
.launcher .icon {
  grid-area: 1 / 1; width: 28px; height: 28px; transition: transform .2s ease, opacity .2s ease;
}
.launcher .i-close { opacity: 0; transform: rotate(-90deg) scale(.6); width: 24px; height: 24px; }
.is-open .launcher .i-chat { opacity: 0; transform: rotate(90deg) scale(.6); }
.is-open .launcher .i-close { opacity: 1; transform: none; }
.badge {
  position: absolute; top: -3px; right: -3px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; border: 2px solid #fff; background: #ef4444; color: #fff;
  font-size: 12px; font-weight: 700; line-height: 18px; text-align: center;
}

.win {
  position: fixed; right: 20px; bottom: 94px; width: 376px;
  height: min(640px, calc(100vh - 118px)); display: none; flex-direction: column;
  overflow: hidden; background: #fff; border-radius: 18px;
  box-shadow: 0 16px 50px rgba(17, 24, 39, .24), 0 2px 8px rgba(17, 24, 39, .08);
}
.is-open .win { display: flex; animation: lc-pop .18s ease-out; }
@keyframes lc-pop { from { opacity: 0; transform: translateY(14px) scale(.98); } }

.head {
  display: flex; align-items: center; gap: 12px; padding: 16px 14px 16px 18px; color: #fff;
  background: var(--accent); /* for browsers without color-mix() */
  background: linear-gradient(135deg, var(--accent), color-mix(in srgb, var(--accent) 70%, #000));
}
.avatar {
  position: relative; flex: none; width: 42px; height: 42px; border-radius: 50%;
  display: grid; place-items: center; background: rgba(255, 255, 255, .2);
  font-weight: 700; font-size: 15px; letter-spacing: .02em;
}
.avatar .icon { width: 22px; height: 22px; }
.avatar.online::after {
  content: ""; position: absolute; right: 0; bottom: 0; width: 11px; height: 11px;
  border-radius: 50%; background: #22c55e; border: 2px solid #fff;
}
.who { flex: 1; min-width: 0; }
.name {
  font-size: 16px; font-weight: 700; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis;
}
.sub {
  font-size: 12.5px; opacity: .85; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis;
}
.head button {
  border: 0; color: inherit; background: rgba(255, 255, 255, .16); border-radius: 9px;
}
.head button:hover:not(:disabled) { background: rgba(255, 255, 255, .28); }
.end { padding: 6px 10px; font-size: 12.5px; font-weight: 600; white-space: nowrap; }
.min { width: 34px; height: 34px; padding: 7px; display: grid; place-items: center; }

.conn {
  padding: 7px 16px; background: #fef3c7; color: #92400e; font-size: 12.5px; text-align: center;
}
.log {
  flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 16px 14px 10px;
  background: var(--soft);
}
.greeting {
  max-width: 85%; padding: 10px 14px; border-radius: 18px 18px 18px 6px;
  background: #fff; border: 1px solid var(--line); margin-bottom: 6px;
}

.msg { display: flex; flex-direction: column; align-items: flex-start; margin-top: 12px; }
.msg.cont { margin-top: 3px; }
.msg.from-visitor { align-items: flex-end; }
.msg.from-system, .msg.from-event { align-items: center; }
.sender { margin: 0 6px 3px; font-size: 12px; color: var(--muted); }
.cont .sender { display: none; }
.bubble {
  max-width: 82%; padding: 9px 13px; border-radius: 18px; background: #fff;
  border: 1px solid var(--line); white-space: pre-wrap; overflow-wrap: anywhere;
}
.from-agent .bubble { border-bottom-left-radius: 6px; }
.from-visitor .bubble {
  background: var(--accent); color: #fff; border-color: transparent;
  border-bottom-right-radius: 6px;
}
.from-system .bubble, .from-event .bubble {
  background: transparent; border: 0; padding: 2px 10px; color: var(--muted);
  font-size: 12.5px; text-align: center;
}
.msg[data-state="sending"] .bubble { opacity: .6; }
.msg[data-state="failed"] .bubble { background: #fee2e2; color: #991b1b; }
.msg[data-state="failed"] .meta { color: #b91c1c; text-decoration: underline; cursor: pointer; }
.meta { margin: 3px 8px 0; font-size: 11px; color: var(--muted); }
.meta:empty { display: none; }

.card { width: 250px; padding: 0; overflow: hidden; white-space: normal; }
.card img {
  display: block; width: 100%; height: 150px; object-fit: cover; background: var(--line);
}
.card-body { padding: 11px 13px 13px; }
.card-title { font-weight: 700; }
.card-text { margin-top: 3px; color: var(--muted); font-size: 13px; white-space: pre-wrap; }
.card-price { margin-top: 6px; font-weight: 700; color: var(--accent); }
.card-btn {
  display: block; margin-top: 10px; padding: 8px 10px; border-radius: 10px; text-align: center;
  background: var(--accent); color: #fff; font-weight: 600; text-decoration: none;
}
.form { white-space: normal; }
.form-title { font-weight: 700; }
.form-fields { margin: 6px 0 0; padding-left: 18px; color: var(--muted); }

.typing {
  display: flex; align-items: center; gap: 8px; margin-top: 12px; color: var(--muted);
  font-size: 12.5px;
}
.dots {
  display: inline-flex; gap: 3px; padding: 9px 11px; background: #fff;
  border: 1px solid var(--line); border-radius: 14px;
}
.dots i {
  width: 6px; height: 6px; border-radius: 50%; background: #9ca3af;
  animation: lc-blink 1.2s infinite ease-in-out;
}
.dots i:nth-child(2) { animation-delay: .15s; }
.dots i:nth-child(3) { animation-delay: .3s; }
@keyframes lc-blink {
  0%, 60%, 100% { opacity: .35; transform: none; }
  30% { opacity: 1; transform: translateY(-2px); }
}

.queue {
  padding: 9px 16px; background: #eef2ff; color: #3730a3;
  background: color-mix(in srgb, var(--accent) 9%, white);
  color: color-mix(in srgb, var(--accent) 75%, black); font-size: 13px; font-weight: 500;
  border-top: 1px solid var(--line);
}
.notice {
  padding: 8px 16px; background: #fef2f2; color: #991b1b; font-size: 13px;
  border-top: 1px solid #fecaca;
}
.composer {
  display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px 12px;
  border-top: 1px solid var(--line); background: #fff;
}
.composer textarea {
  flex: 1; min-height: 42px; max-height: 120px; resize: none; margin: 0; padding: 10px 13px;
  border: 1px solid var(--line); border-radius: 14px; outline: none; background: #fff;
  font: inherit; line-height: 1.4; color: inherit;
}
.composer textarea:focus {
  border-color: var(--accent);
  box-shadow: 0 0 0 3px color-mix(in srgb, var(--accent) 18%, transparent);
}
.send {
  flex: none; height: 42px; display: inline-flex; align-items: center; gap: 6px; padding: 0 14px;
  border: 0; border-radius: 14px; background: var(--accent); color: #fff; font-weight: 600;
}
.send .icon { width: 16px; height: 16px; }
.ended { padding: 16px; text-align: center; border-top: 1px solid var(--line); background: #fff; }
.ended p { margin: 0 0 10px; color: var(--muted); }
.new-chat {
  padding: 10px 18px; border: 0; border-radius: 12px; background: var(--accent); color: #fff;
  font-weight: 600;
}

@media (max-width: 480px) {
  .win { inset: 0; width: 100%; height: 100%; height: 100dvh; border-radius: 0; }
  .is-open .launcher { display: none; }
  .composer textarea { font-size: 16px; } /* below 16px iOS zooms into the page */
  .send-label { display: none; }
  .send { width: 42px; justify-content: center; padding: 0; }
}
@media (prefers-reduced-motion: reduce) {
  .is-open .win, .dots i, .launcher, .launcher .icon { animation: none; transition: none; }
}
`;

  boot();
})();
