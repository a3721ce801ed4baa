// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
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
      if (frame && frame.type === "retry") {
        // The server is over capacity; its close (4503) follows. Come back then.
        state.retryAfter = Number(frame.retry_after) || 0;
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
    if (code === 4503) {
      // Overloaded: the server handed out a return time at the pace it can serve;
      // a little jitter around it, and no further backoff of our own on top.
      const hint = state.retryAfter > 0 ? state.retryAfter * 1000 : base;
      delay = Math.min(RETRY_HINT_MAX_MS, hint * (0.9 + Math.random() * 0.2));
      state.attempt = Math.max(0, state.attempt - 1);
    }
    state.retryAfter = 0;
    state.lastDelay = delay; // read by tests
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
