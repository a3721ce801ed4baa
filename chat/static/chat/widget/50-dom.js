// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
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
