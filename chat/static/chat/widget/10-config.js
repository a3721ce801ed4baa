// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
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
  // A frozen server leaves sockets in CONNECTING. Longer than the server's own
  // handshake (5 s) plus resume budget (8 s): giving up sooner only adds retries.
  const HELLO_TIMEOUT_MS = 15000;
  const RETRY_HINT_MAX_MS = 60000; // the server's hint is capped there too
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
