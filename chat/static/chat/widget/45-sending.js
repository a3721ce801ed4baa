// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ sending

  function newClientId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  function tooLong(body) {
    // Text limits count UTF-16 units, as String.length does (docs/protocol.md, "Text
    // fields"); the frame limit is checked on the UTF-8 bytes, which are never fewer.
    const bytes = new TextEncoder().encode(body).length + 200;
    return body.length > state.limits.max_text_chars || bytes > state.limits.max_frame_bytes;
  }

  // The server refuses control characters (NUL, ESC...) and lone surrogates in any
  // text; pasted text can carry them unseen, so the widget removes them first.
  const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

  function withoutControls(text) {
    const clean = text.replace(CONTROL_CHARS, "");
    return typeof clean.toWellFormed === "function" ? clean.toWellFormed() : clean;
  }

  function submitComposer() {
    const body = withoutControls(ui.input.value).trim();
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
