// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ tracking: events
  // The events of a `track` frame (docs/protocol.md "Tracking frames"), each cleaned
  // here to the server's limits so that a host page's long title or odd price costs
  // a field, never the whole event: strings are trimmed, numbers out of range left
  // out. Identify is the exception: the site's back end signed it, so it goes exactly
  // as given or not at all. 68-track.js queues and sends them.

  const DEVICES = ["mobile", "tablet", "desktop"];
  const MAX_ITEMS = 50;
  const MAX_ATTRS = 30;

  // Trimmed, without control characters (the server refuses an event with one),
  // at most `max` UTF-16 units (String.length, as the server counts; a surrogate
  // pair is never cut in two), or null when empty. Numbers are accepted as text.
  function clip(value, max) {
    if (typeof value === "number" && Number.isFinite(value)) value = String(value);
    if (typeof value !== "string") return null;
    let text = withoutControls(value).trim();
    if (text.length > max) {
      text = text.slice(0, /[\ud800-\udbff]/.test(text[max - 1]) ? max - 1 : max);
      text = text.trim();
    }
    return text || null;
  }

  function httpUrl(value) {
    const url = clip(value, 500);
    return url && /^https?:\/\/[^/?#\s]/i.test(url) ? url : null;
  }

  // A price or an amount: a number >= 0; data attributes give text ("129,000").
  function amount(value) {
    if (typeof value === "string") value = value.replace(/[\s,_]/g, "");
    if (value === "" || (typeof value !== "number" && typeof value !== "string")) return null;
    const number = Number(value);
    return Number.isFinite(number) && number >= 0 && number <= 1e12 ? number : null;
  }

  function quantity(value) {
    const number = Math.round(Number(value));
    return Number.isFinite(number) ? Math.min(999, Math.max(1, number)) : 1;
  }

  function compact(object) {
    for (const key of Object.keys(object)) if (object[key] == null) delete object[key];
    return object;
  }

  function cleanProduct(raw) {
    if (!raw || typeof raw !== "object") return null;
    const id = clip(raw.id, 80);
    if (!id) return null;
    return compact({
      id,
      name: clip(raw.name, 200),
      category: clip(raw.category, 80),
      price: amount(raw.price),
    });
  }

  function cleanCart(raw) {
    const product = cleanProduct(raw.product);
    return product && { product, qty: quantity(raw.qty) };
  }

  function crmValue(value) {
    if (value === null || typeof value === "boolean") return true;
    if (typeof value === "number") return Number.isFinite(value);
    return typeof value === "string" && value.length <= 200;
  }

  // What the server checks about an identify's shape; the signature is its business.
  function identifyOk(raw) {
    const { user_id: userId, attrs, ts, sig } = raw;
    if (typeof userId !== "string" || !userId.trim() || userId.trim().length > 80) {
      return false;
    }
    if (!Number.isInteger(ts) || typeof sig !== "string" || !sig.trim() || sig.length > 128) {
      return false;
    }
    if (attrs == null) return true;
    if (typeof attrs !== "object" || Array.isArray(attrs)) return false;
    const entries = Object.entries(attrs);
    return (
      entries.length <= MAX_ATTRS &&
      entries.every(([key, value]) => key.length >= 1 && key.length <= 40 && crmValue(value))
    );
  }

  // kind -> fields of the event (without kind and session), or null: not sendable.
  const TRACK_CLEAN = {
    session: (raw) => ({
      landing: httpUrl(raw.landing),
      referrer: httpUrl(raw.referrer),
      ...Object.fromEntries(UTM.map((name) => [name, clip(raw[name], 500)])),
      keyword: clip(raw.keyword, 500),
      device: DEVICES.includes(raw.device) ? raw.device : "desktop",
    }),

    page_view(raw) {
      const url = httpUrl(raw.url);
      if (!url) return null;
      const product = cleanProduct(raw.product);
      const category = clip(raw.category, 80) || (product && product.category) || null;
      return compact({ url, title: clip(raw.title, 200), category, product });
    },

    search(raw) {
      const query = clip(raw.query, 200);
      return query && { query };
    },

    cart_add: cleanCart,
    cart_remove: cleanCart,

    checkout(raw) {
      const step = clip(raw.step, 40);
      return step && { step };
    },

    purchase(raw) {
      const order = clip(raw.order, 80);
      if (!order) return null;
      const items = (Array.isArray(raw.items) ? raw.items : [])
        .map((line) => {
          const product = cleanProduct(line);
          return product && { ...product, qty: quantity(line.qty) };
        })
        .filter(Boolean)
        .slice(0, MAX_ITEMS);
      let total = amount(raw.amount);
      // Left out by the page: the items' sum, when every price is known.
      if (total == null && items.length && items.every((i) => i.price != null)) {
        total = items.reduce((sum, i) => sum + i.price * i.qty, 0);
      }
      return compact({ order, amount: total, items });
    },

    identify(raw) {
      if (!identifyOk(raw)) return null;
      const event = { user_id: raw.user_id, attrs: raw.attrs, ts: raw.ts, sig: raw.sig };
      if (event.attrs != null) event.attrs = { ...event.attrs }; // as it was at the call
      return compact(event);
    },
  };

  // mobile under 768 px wide (or a phone's user agent), tablet under 1024 px with
  // touch (or a tablet's user agent), desktop otherwise.
  function trackDevice() {
    const ua = navigator.userAgent || "";
    const width = window.innerWidth || (window.screen && screen.width) || 1024;
    const hints = navigator.userAgentData;
    const phone =
      hints && typeof hints.mobile === "boolean"
        ? hints.mobile
        : /Mobi|iPhone|iPod|Android.+Mobile/i.test(ua);
    if (phone || width < 768) return "mobile";
    const touch = navigator.maxTouchPoints > 0;
    const tabletUa =
      /iPad|Tablet|Android(?!.*Mobile)/i.test(ua) ||
      (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1); // iPadOS asks for desktop pages
    if (tabletUa || (width < 1024 && touch)) return "tablet";
    return "desktop";
  }
