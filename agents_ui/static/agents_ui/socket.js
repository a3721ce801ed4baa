// The one wrapper for the console's WebSocket traffic: JSON frames, reconnect with
// backoff, heartbeat and dead-socket detection. It knows nothing about chats; the
// console subscribes to frame types and to connection-state changes.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** attempt);
  // "Equal jitter": at least half the step, so a fleet of consoles that lost the
  // same server does not come back in one synchronised wave.
  return Math.max(MIN_DELAY_MS, ceiling / 2 + random() * (ceiling / 2));
}

export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export class ChatSocket {
  constructor(url, { heartbeatSeconds = 20 } = {}) {
    this.url = url;
    this.heartbeatMs = heartbeatSeconds * 1000;
    this.ws = null;
    this.handlers = new Map();
    this.stateListeners = new Set();
    this.attempt = 0;
    this.retryTimer = null;
    this.beatTimer = null;
    this.unanswered = 0;
    this.stopped = false;
    this.state = "idle";
    this.retryAt = 0;
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.handlers.get(type).delete(handler);
  }

  onState(listener) {
    this.stateListeners.add(listener);
    listener(this.snapshot());
    return () => this.stateListeners.delete(listener);
  }

  snapshot() {
    return { state: this.state, attempt: this.attempt, retryAt: this.retryAt };
  }

  setState(state) {
    this.state = state;
    const snap = this.snapshot();
    for (const listener of this.stateListeners) listener(snap);
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.ws) return;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.unanswered = 0;
      this.setState("open");
      this.startHeartbeat();
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return;
      // A frame from the server proves the handshake and the session are good,
      // so the next failure starts again from the shortest delay.
      this.attempt = 0;
      this.dispatch(event.data);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      this.lastClose = { code: event.code, reason: event.reason };
      if (this.stopped) {
        this.setState("closed");
        return;
      }
      this.scheduleRetry();
    });
    // "error" is always followed by "close"; retrying is handled there.
  }

  dispatch(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (err) {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;
    if (frame.type === "pong") this.unanswered = 0;
    if (frame.type === "hello" && Number(frame.heartbeat) > 0) {
      this.heartbeatMs = Number(frame.heartbeat) * 1000;
      this.startHeartbeat();
    }
    for (const type of [frame.type, "*"]) {
      for (const handler of this.handlers.get(type) || []) {
        try {
          handler(frame);
        } catch (err) {
          console.error(`handler for '${frame.type}' failed`, err);
        }
      }
    }
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  scheduleRetry() {
    if (this.stopped || this.retryTimer) return;
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState("reconnecting");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  // Skip the remaining backoff (the browser came back online, the user clicked).
  retryNow() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  // Drop the current socket and reconnect through the normal backoff path.
  reconnect() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.stopHeartbeat();
    try {
      ws.close(4000, "reconnect");
    } catch (err) {
      /* already closing */
    }
    this.scheduleRetry();
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.beatTimer = setInterval(() => this.beat(), this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.beatTimer);
    this.beatTimer = null;
  }

  beat() {
    if (!this.isOpen) return;
    // A socket can look open for minutes after the network path died (NAT drop,
    // laptop sleep); two pings without a pong is the signal to start over. Counting
    // pings rather than elapsed time keeps throttled background tabs from
    // reconnecting just because their timers fired late.
    if (this.unanswered >= 2) {
      this.reconnect();
      return;
    }
    this.unanswered += 1;
    this.send({ type: "ping" });
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopHeartbeat();
    if (this.ws) this.ws.close(1000, "bye");
    else this.setState("closed");
  }
}
