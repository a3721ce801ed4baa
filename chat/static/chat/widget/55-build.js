// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
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
      buildQueue(),
      (ui.notice = el("div", { class: "notice", role: "alert", hidden: true })),
      buildComposer(),
      buildEnded()
    );
    buildLead(); // placed after the log while it is shown (renderLead)
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
    renderOffer(); // one that arrived before the window was built (78-offers.js)
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

  function buildQueue() {
    ui.queueText = el("span", { role: "status" });
    ui.queueCallback = el("button", {
      class: "queue-cb",
      type: "button",
      hidden: true,
      onclick: openCallback,
    });
    ui.queue = el("div", { class: "queue", hidden: true }, ui.queueText, ui.queueCallback);
    return ui.queue;
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
      sheet.replaceSync(CSS_TEXT + CSS_LEADS + CSS_OFFERS);
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.append(el("style", { text: CSS_TEXT + CSS_LEADS + CSS_OFFERS }));
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
