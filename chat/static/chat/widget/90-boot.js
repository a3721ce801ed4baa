// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ open / close

  function setOpen(open) {
    state.open = open;
    save(session, "open", open);
    if (open) state.scrollToEnd = true;
    render();
    if (!ui.root) return;
    if (open) {
      markRead();
      if (!matchMedia("(pointer: coarse)").matches) {
        // After the render above: the panel shows the composer or the callback form.
        queueMicrotask(() =>
          leadSource() ? focusLead() : ui.input.focus({ preventScroll: true })
        );
      }
    } else {
      stopTyping();
    }
  }

  const open = () => setOpen(true);
  const close = () => setOpen(false);
  const toggle = () => setOpen(!state.open);

  // ------------------------------------------------------------------ boot

  function whenBody(callback) {
    if (document.body) callback();
    else document.addEventListener("DOMContentLoaded", callback, { once: true });
  }

  function boot() {
    const queued = trackTakeQueue(); // the host page's calls before this script ran
    window.LiveChat = Object.freeze({ version: "1", open, close, toggle, ...trackApi() });
    restoreFromStorage();
    leadRestore();
    chatFormRestore();
    offerRestore();
    // The visitor's own choice earlier in this session wins over data-open.
    const chosen = load(session, "open", null);
    state.open = typeof chosen === "boolean" ? chosen : OPTIONS.open;
    connect();
    trackBoot(queued); // 68-track.js: session, page view, the queued calls
    const strings = loadStrings();
    // Wait briefly for the visitor's language, so Korean pages do not flash English.
    const ready = Promise.race([strings, new Promise((r) => setTimeout(r, 1500))]);
    ready.then(() =>
      whenBody(() => {
        buildUI();
        setOpen(state.open);
        strings.then(renderStatic);
      })
    );
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        reconnectNow();
        markRead();
      }
      render();
    });
    window.addEventListener("online", reconnectNow);
  }

  boot();
})();
