// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ tracking
  // What the visitor does on the host page goes to the server as `track` frames on the
  // visitor socket, for targeting (docs/protocol.md "Tracking frames"). Events wait in
  // a queue of at most 200 (the oldest go first): while the socket is ready, until 20
  // are there or the first has waited 250 ms, and never more than one frame per
  // 250 ms; while it is not, until the next `hello`. When the page is hidden or
  // unloaded, what is still queued goes by HTTP beacon instead: the socket is closed
  // with the page, and a frame written at that moment may never leave.
  //
  // Where the page says what it shows (page views):
  //   - the element marked `data-lc-page`, else <body>, with `data-lc-category` and,
  //     on a product page, `data-lc-product-id`, `data-lc-product-name`,
  //     `data-lc-product-price`. Only that element is read: product cards of a list
  //     carry the same attributes for their cart buttons without being "the" page.
  //   - or the host page's calls (90-boot.js puts them on window.LiveChat), queued by
  //     the usual snippet before this script has loaded:
  //       window.LiveChat = window.LiveChat || [];
  //       LiveChat.push(["page", {category: "bags", product: {id, name, price}}]);
  // Declarative hooks: a click on `[data-lc-track="cart_add"|"cart_remove"]` reports
  // the product of the closest `[data-lc-product-id]` (qty from `data-lc-qty`); the
  // submit of `form[data-lc-track="search"]` reports the value of its `[name=q]`.

  const TRACK_BATCH = 20;
  const TRACK_FLUSH_MS = 250;
  const TRACK_QUEUE_MAX = 200;
  const TRACK_ROUTE_FALLBACK_MS = 250; // hidden tabs get no animation frames

  const tracker = {
    on: /^https?:$/.test(location.protocol), // page views need an http(s) URL
    sid: "", // this tab's session id (sessionStorage)
    sessionSent: false, // the `session` event of this browser session has left
    queue: [], // events not sent yet, oldest first
    frameAt: 0, // when the last `track` frame was sent
    started: false, // the page's data has been read: calls run at once
    early: [], // calls before that, replayed in order
    lastRoute: "", // the URL of the last page view (hash only when it is a route)
    routeGen: 0,
    manualPages: tag.dataset.trackPages === "manual", // the page calls page() itself
  };

  const utf8 = new TextEncoder();
  const byteLength = (text) => utf8.encode(text).length;

  function trackEvent(kind, raw) {
    if (!tracker.on) return;
    const fields = TRACK_CLEAN[kind](raw && typeof raw === "object" ? raw : {});
    if (!fields) {
      console.warn(`LiveChat: ${kind} ignored: a required field is missing or invalid.`);
      return;
    }
    tracker.queue.push({ kind, session: tracker.sid, ...fields });
    while (tracker.queue.length > TRACK_QUEUE_MAX) {
      // The oldest goes, but not an unsent session start: the server needs it first.
      tracker.queue.splice(tracker.queue[0].kind === "session" ? 1 : 0, 1);
    }
    if (tracker.queue.length >= TRACK_BATCH) trackFlush();
    else if (!timers.track) timers.track = setTimeout(trackFlush, TRACK_FLUSH_MS);
  }

  // The events at the head of the queue for one frame (or beacon) whose envelope
  // takes `overhead` bytes: at most 20, within the frame limit (UTF-8 bytes bound the
  // server's count of characters). An event too large on its own is dropped.
  function nextBatch(overhead) {
    const limit = state.limits.max_frame_bytes || 16384;
    const events = [];
    let size = overhead;
    for (const event of tracker.queue) {
      const bytes = byteLength(JSON.stringify(event)) + 1;
      if (events.length === TRACK_BATCH || size + bytes > limit) break;
      events.push(event);
      size += bytes;
    }
    if (!events.length && tracker.queue.length) {
      console.debug("LiveChat: a tracking event too large to send was dropped.");
      tracker.queue.shift();
    }
    return events;
  }

  function sent(count) {
    const events = tracker.queue.splice(0, count);
    if (!tracker.sessionSent && events.some((e) => e.kind === "session")) {
      tracker.sessionSent = true;
      save(session, "track", { id: tracker.sid, sent: true });
    }
  }

  // On the socket, after `hello` (35-frames.js) and whenever the batch is due: one
  // frame at most every 250 ms, so that a backlog does not spend the socket's frame
  // and event budgets at once.
  function trackFlush() {
    clearTimeout(timers.track);
    timers.track = null;
    if (!state.ready || !tracker.queue.length) return;
    // Refused for rate a moment ago (35-frames.js): the queue waits.
    let wait = state.holdSends ? RATE_RETRY_MS : tracker.frameAt + TRACK_FLUSH_MS - Date.now();
    if (wait <= 0) {
      const events = nextBatch(byteLength('{"type":"track","events":[]}'));
      if (events.length) {
        if (!send({ type: "track", events })) return;
        sent(events.length);
        tracker.frameAt = Date.now();
      }
      wait = events.length ? TRACK_FLUSH_MS : 0;
    }
    if (tracker.queue.length) timers.track = setTimeout(trackFlush, wait);
  }

  // POST {ORIGIN}/public/v1/track as text/plain (no preflight); the token is the one
  // of the last `hello`. Without one the server could not tell whose events these
  // are: they then wait for the socket.
  function trackBeacon() {
    const token = load(local, "token", null);
    if (!token || !tracker.queue.length || typeof navigator.sendBeacon !== "function") return;
    const url = new URL("/public/v1/track", ORIGIN).href;
    const body = (events) => JSON.stringify({ site: SITE_KEY, token, events });
    const overhead = byteLength(body([]));
    while (tracker.queue.length) {
      const events = nextBatch(overhead);
      if (!events.length) continue;
      let queued = false;
      try {
        queued = navigator.sendBeacon(url, new Blob([body(events)], { type: "text/plain" }));
      } catch {
        queued = false;
      }
      if (!queued) return; // over the browser's beacon quota: the rest stays queued
      sent(events.length);
    }
  }

  function trackLeaving() {
    clearTimeout(timers.track);
    timers.track = null;
    trackBeacon();
    trackFlush(); // without a token: the socket, if it is still there, is the only way
  }

  function trackError(frame) {
    if (frame.code !== "bad_event" && frame.ref !== "track") return false;
    console.debug("LiveChat: tracking event refused:", frame.index, frame.code, frame.message);
    return true;
  }

  // ------------------------------------------------------------------ page views

  function pageData() {
    const page = document.querySelector("[data-lc-page]") || document.body;
    const data = (page && page.dataset) || {};
    const product = data.lcProductId
      ? { id: data.lcProductId, name: data.lcProductName, price: data.lcProductPrice }
      : null;
    return { category: data.lcCategory, product };
  }

  // A page is its URL without the hash, unless the hash is a route (#/..., #!...).
  function routeOf(href) {
    const url = new URL(href);
    if (!/^#[!/]/.test(url.hash)) url.hash = "";
    return url.href;
  }

  // `given`: what the page said through page({...}); the rest from data-* attributes.
  function trackPage(given) {
    const page = given && typeof given === "object" ? given : {};
    const found = pageData();
    tracker.lastRoute = routeOf(location.href);
    tracker.routeGen += 1; // a route change waiting to be reported is this one
    trackEvent("page_view", {
      url: location.href,
      title: "title" in page ? page.title : document.title,
      category: "category" in page ? page.category : found.category,
      product: "product" in page ? page.product : found.product,
    });
  }

  // Single-page apps: one page view per new URL, after the route has rendered (the
  // next animation frame); several changes within that time make one.
  function trackRouteSoon() {
    if (tracker.manualPages || !tracker.started) return;
    const gen = ++tracker.routeGen;
    const run = () => {
      if (gen !== tracker.routeGen) return;
      tracker.routeGen += 1;
      if (routeOf(location.href) !== tracker.lastRoute) trackPage();
    };
    requestAnimationFrame(run);
    setTimeout(run, TRACK_ROUTE_FALLBACK_MS);
  }

  function patchHistory() {
    for (const name of ["pushState", "replaceState"]) {
      const original = history[name];
      if (typeof original !== "function") continue;
      history[name] = function (...args) {
        const result = original.apply(this, args);
        trackRouteSoon();
        return result;
      };
    }
    window.addEventListener("popstate", trackRouteSoon);
    window.addEventListener("hashchange", trackRouteSoon);
  }

  // ------------------------------------------------------------------ declarative hooks

  function productOf(element) {
    const holder = element.closest("[data-lc-product-id]");
    if (!holder) return null;
    const data = holder.dataset;
    const withCategory = holder.closest("[data-lc-category]");
    return {
      id: data.lcProductId,
      name: data.lcProductName,
      price: data.lcProductPrice,
      category: withCategory && withCategory.dataset.lcCategory,
    };
  }

  function onTrackClick(event) {
    const target = event.target instanceof Element && event.target.closest("[data-lc-track]");
    const kind = target && target.dataset.lcTrack;
    if (kind !== "cart_add" && kind !== "cart_remove") return;
    trackEvent(kind, { product: productOf(target), qty: target.dataset.lcQty });
  }

  function onTrackSubmit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.lcTrack !== "search") return;
    const input = form.querySelector("[name=q]");
    if (input) trackEvent("search", { query: input.value });
  }

  // ------------------------------------------------------------------ host page API

  const TRACK_CALLS = {
    page: (data) => (tracker.on ? trackPage(data) : undefined),
    search: (query) => trackEvent("search", { query }),
    cartAdd: (product, qty) => trackEvent("cart_add", { product, qty }),
    cartRemove: (product, qty) => trackEvent("cart_remove", { product, qty }),
    checkout: (step) => trackEvent("checkout", { step }),
    purchase: (order) => trackEvent("purchase", order),
    identify: (data) => trackEvent("identify", data),
    open: () => open(),
    close: () => close(),
    toggle: () => toggle(),
  };

  function trackCall(call) {
    const name = Array.isArray(call) ? call[0] : undefined;
    if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(TRACK_CALLS, name)) {
      console.warn("LiveChat: unknown call", name);
      return;
    }
    if (!tracker.started) {
      tracker.early.push(call);
      return;
    }
    try {
      TRACK_CALLS[name](...call.slice(1));
    } catch (error) {
      console.warn(`LiveChat: ${name} failed`, error); // never the host page's problem
    }
  }

  // The methods 90-boot.js puts on window.LiveChat.
  function trackApi() {
    const api = { push: (...calls) => calls.forEach(trackCall) };
    for (const name of Object.keys(TRACK_CALLS)) {
      if (!["open", "close", "toggle"].includes(name)) {
        api[name] = (...args) => trackCall([name, ...args]);
      }
    }
    return api;
  }

  // The snippet's queue (`window.LiveChat = window.LiveChat || []`), read before
  // 90-boot.js replaces it with the API.
  function trackTakeQueue() {
    const stub = window.LiveChat;
    return Array.isArray(stub) ? stub.slice() : [];
  }

  // ------------------------------------------------------------------ boot

  function trackBoot(queued) {
    tracker.early.push(...queued);
    if (tracker.on) {
      const kept = load(session, "track", null);
      const id = kept && typeof kept.id === "string" ? kept.id : "";
      tracker.sid = /^[\x21-\x7e]{8,64}$/.test(id) ? id : newClientId();
      tracker.sessionSent = tracker.sid === id && kept.sent === true;
      save(session, "track", { id: tracker.sid, sent: tracker.sessionSent });
      patchHistory();
      document.addEventListener("click", onTrackClick, true);
      document.addEventListener("submit", onTrackSubmit, true);
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "hidden") trackLeaving();
      });
      window.addEventListener("pagehide", trackLeaving);
      window.addEventListener("pageshow", (event) => {
        if (event.persisted && !tracker.manualPages) trackPage(); // back from bfcache
      });
    }
    // An async script can run before the page below it is parsed: the page's data-*
    // attributes are read once it is.
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", trackStart, { once: true });
    } else {
      trackStart();
    }
  }

  function trackStart() {
    tracker.started = true;
    const calls = tracker.early.splice(0);
    if (tracker.on && !tracker.sessionSent) {
      const inflow = captureInflow(); // 70-availability.js, kept for the session
      trackEvent("session", { ...inflow, device: trackDevice() });
    }
    // A `page` call queued by the host page describes this page: it is the page view.
    const described = calls.some((call) => Array.isArray(call) && call[0] === "page");
    if (tracker.on && !tracker.manualPages && !described) trackPage();
    calls.forEach(trackCall);
  }
