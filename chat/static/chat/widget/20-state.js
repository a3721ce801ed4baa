// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ state

  const state = {
    open: false,
    socket: null,
    ready: false, // `hello` received on the current socket
    everReady: false,
    attempt: 0,
    retryAfter: 0, // seconds, from the server's `retry` frame before a 4503 close
    lastDelay: 0, // ms of the last scheduled reconnect
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
    // The site's availability (hello, pong, pushed `availability` frames); null
    // until told, and from a server without lead capture: the chat is then shown.
    availability: null,
  };
  const timers = {};

  function restoreFromStorage() {
    for (const item of load(local, "outbox", [])) {
      if (item && item.client_id && item.body) state.pending.set(item.client_id, item);
    }
    // The last state of this browser session: the next page opens on the right
    // panel instead of flashing the composer until `hello`.
    state.availability = load(session, "availability", null);
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
  const hasOpenConversation = () => !!state.conv && state.conv.status !== "closed";
