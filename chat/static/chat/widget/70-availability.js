// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ availability
  // The server says whether chat is open (hello, every pong, pushed `availability`
  // frames; docs/protocol.md "Widget: availability and lead forms"). Closed, a visitor
  // without an open conversation gets the callback-request form instead of the
  // composer; a visitor who is already chatting keeps chatting.

  const OFFLINE_TITLES = {
    closed_hours: "offline_closed_hours",
    holiday: "offline_holiday",
    closure: "offline_closure",
    no_hours: "offline_no_hours",
    no_counselor: "offline_no_counselor",
    queue_too_long: "offline_busy",
  };

  function setAvailability(value) {
    if (!value || typeof value !== "object" || typeof value.open !== "boolean") return;
    const before = JSON.stringify(state.availability);
    const after = JSON.stringify(value);
    if (before === after) return;
    state.availability = value;
    save(session, "availability", value);
    render();
  }

  const isOffline = () => !!state.availability && state.availability.open === false;

  // The header card of the offline form: why, until when, and what to do instead.
  function offlineCopy(a) {
    const lines = [];
    if (a.reason === "holiday" && a.holiday_name) {
      lines.push(t("offline_holiday_named", { name: a.holiday_name }));
    }
    if (a.reason === "queue_too_long" && a.expected_wait > 0) {
      const minutes = Math.max(1, Math.round(a.expected_wait / 60));
      lines.push(t("offline_wait", { minutes }));
    }
    const opens = opensText(a.opens_at);
    if (opens) lines.push(opens);
    return {
      title: t(OFFLINE_TITLES[a.reason] || "offline_no_hours"),
      text: lines.join(" "),
    };
  }

  // ------------------------------------------------------------------ local time
  // Every time is shown in the visitor's own time zone (the browser's), which may
  // differ from the site's.

  const dateFormats = {};

  function formatDate(date, options) {
    const key = `${LANG}|${JSON.stringify(options)}`;
    if (!dateFormats[key]) {
      dateFormats[key] = new Intl.DateTimeFormat(LANG === "ko" ? "ko-KR" : "en-US", options);
    }
    return dateFormats[key].format(date);
  }

  function dateOf(iso) {
    const date = iso ? new Date(iso) : null;
    return date && !Number.isNaN(date.getTime()) ? date : null;
  }

  const localDay = (date) => `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;

  // Calendar days from today, in local time (0 today, 1 tomorrow).
  function daysFromToday(date) {
    const now = new Date();
    const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    const day = new Date(date.getFullYear(), date.getMonth(), date.getDate());
    return Math.round((day - today) / 86400000);
  }

  const dayName = (date) =>
    formatDate(date, { weekday: "long", month: "short", day: "numeric" });

  function opensText(iso) {
    const date = dateOf(iso);
    if (!date) return "";
    const time = timeOf(iso);
    const days = daysFromToday(date);
    if (days <= 0) return t("opens_today", { time });
    if (days === 1) return t("opens_tomorrow", { time });
    return t("opens_on", { day: dayName(date), time });
  }

  // A slot group's label: "Today · Tuesday, Nov 25".
  function dayLabel(date) {
    const days = daysFromToday(date);
    const name = dayName(date);
    if (days === 0) return `${t("today")} · ${name}`;
    if (days === 1) return `${t("tomorrow")} · ${name}`;
    return name;
  }

  // "Tue, Nov 25, 10:30 AM" / "11월 25일 (화) 오전 10:30".
  function whenText(iso) {
    const date = dateOf(iso);
    if (!date) return "";
    return formatDate(date, {
      weekday: "short",
      month: "short",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
    });
  }

  function visitorZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch {
      return "";
    }
  }

  // ------------------------------------------------------------------ inflow
  // Where the visitor came from, taken once per browser session on its first page
  // (the landing page) and sent with a callback request for attribution.

  const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  // Search engines and the query parameter that holds what was searched for.
  const SEARCH_ENGINES = [
    [/(^|\.)google\.[a-z.]+$/, ["q"]],
    [/(^|\.)naver\.com$/, ["query"]],
    [/(^|\.)daum\.net$/, ["q"]],
    [/(^|\.)bing\.com$/, ["q"]],
    [/(^|\.)yahoo\.[a-z.]+$/, ["p", "q"]],
    [/(^|\.)duckduckgo\.com$/, ["q"]],
    [/(^|\.)zum\.com$/, ["query"]],
    [/(^|\.)nate\.com$/, ["q"]],
    [/(^|\.)baidu\.com$/, ["wd", "word"]],
    [/(^|\.)yandex\.[a-z.]+$/, ["text"]],
  ];

  function searchKeyword(referrer) {
    let url;
    try {
      url = new URL(referrer);
    } catch {
      return "";
    }
    for (const [host, params] of SEARCH_ENGINES) {
      if (!host.test(url.hostname)) continue;
      for (const name of [...params, "keyword"]) {
        const value = (url.searchParams.get(name) || "").trim();
        if (value) return value;
      }
    }
    return "";
  }

  function captureInflow() {
    const kept = load(session, "inflow", null);
    if (kept && typeof kept === "object") return kept;
    const params = new URLSearchParams(location.search);
    const inflow = {
      referrer: document.referrer,
      landing: location.href,
      keyword: searchKeyword(document.referrer),
    };
    for (const name of UTM) inflow[name] = params.get(name) || "";
    for (const [key, value] of Object.entries(inflow)) {
      inflow[key] = String(value || "").slice(0, 500);
    }
    save(session, "inflow", inflow);
    return inflow;
  }
