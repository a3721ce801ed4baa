// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ render

  let renderQueued = false;

  // Many frames can arrive in one task; draw once after them.
  function render() {
    if (renderQueued) return;
    renderQueued = true;
    queueMicrotask(() => {
      renderQueued = false;
      if (!ui.root) return;
      renderChrome();
      renderMessages();
    });
  }

  function renderStatic() {
    if (!ui.root) return;
    ui.root.lang = LANG;
    ui.launcherLabel.textContent = t("launcher");
    ui.win.setAttribute("aria-label", OPTIONS.title || t("title"));
    ui.end.textContent = t("end_chat");
    ui.minimize.setAttribute("aria-label", t("minimize"));
    ui.minimize.title = t("minimize");
    ui.greeting.textContent = t("welcome");
    ui.input.placeholder = t("placeholder");
    ui.input.setAttribute("aria-label", t("placeholder"));
    ui.sendLabel.textContent = t("send");
    ui.send.setAttribute("aria-label", t("send"));
    ui.endedText.textContent = t("closed");
    ui.newChat.textContent = t("new_chat");
    ui.queueCallback.textContent = t("callback_link");
    renderLeadStatic();
    offerRelabel();
    render();
  }

  function renderChrome() {
    leadSettle();
    const form = leadSource(); // the callback form replaces the conversation
    const conv = state.conv;
    const agent = conv && conv.status !== "closed" ? conv.agent : null;
    ui.root.classList.toggle("is-open", state.open);
    ui.launcher.setAttribute("aria-expanded", String(state.open));
    ui.launcher.setAttribute("aria-label", state.open ? t("close") : t("launcher"));

    ui.name.textContent = agent ? agent.name : OPTIONS.title || t("title");
    const who = agent ? agent.name : "";
    if (ui.avatar.dataset.who !== who) {
      ui.avatar.dataset.who = who;
      ui.avatar.textContent = initials(who);
      if (!agent) ui.avatar.append(icon("chat"));
    }
    ui.avatar.classList.toggle("online", !!agent);
    ui.sub.textContent = subtitle(form, conv, agent);
    ui.end.hidden = !conv || conv.status === "closed" || !!form;
    ui.end.disabled = !state.ready;

    ui.conn.hidden = state.ready;
    ui.conn.textContent = state.everReady ? t("reconnecting") : t("connecting");

    const queued = conv && conv.status === "queued";
    ui.queue.hidden = !queued || !!form;
    if (queued) {
      // Nobody online: a place in line would promise an answer that is not coming,
      // so the notice says so and the callback link is the way on.
      const nobody = isOffline() && state.availability.reason === "no_counselor";
      const position = conv.queue_position;
      ui.queueText.textContent = nobody
        ? t("offline_no_counselor")
        : position
          ? `${t("queued")} · ${t("queue_position", { position })}`
          : t("queued");
      ui.queue.classList.toggle("nobody", nobody);
      // Offered by servers that take callback requests (they report availability).
      ui.queueCallback.hidden = !state.availability;
    }

    const ended = isClosed();
    ui.log.hidden = !!form;
    ui.composer.hidden = ended || !!form;
    ui.ended.hidden = !ended || !!form;
    ui.newChat.disabled = !state.ready;

    ui.typing.hidden = !state.agentTyping;
    ui.typingText.textContent = state.agentTyping
      ? t("agent_typing", { name: state.agentTyping })
      : "";

    renderLead(form);
    placeOffer();

    const unread = isViewing() ? 0 : unreadCount();
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 99 ? "99+" : String(unread);
    ui.badge.setAttribute("aria-label", `${unread} ${t("unread")}`);
  }

  function subtitle(form, conv, agent) {
    if (form) return t(form === "offline_form" ? "offline_status" : "callback_title");
    if (!conv) return "";
    if (conv.status === "closed") return t("closed");
    if (conv.status === "queued") return t("queued");
    return agent ? t("counselor") : "";
  }

  // The list is reconciled by key against the state: confirmed messages by seq,
  // event lines between them, then this browser's unacknowledged sends.
  function wantedItems() {
    const inCards = repliesInCards(); // a lead form's answers are in its card
    const items = sortedMessages()
      .filter((m) => !inCards.has(m.seq))
      .map((m) => ({
        key: `s${m.seq}`,
        order: m.seq,
        from: m.sender.kind,
        name: m.sender.name || "",
        message: m,
        state: "sent",
      }));
    for (const e of state.events) {
      items.push({ ...e, from: "event", name: "", state: "sent" });
    }
    items.sort((a, b) => a.order - b.order);
    for (const p of state.pending.values()) {
      items.push({
        key: `c${p.client_id}`,
        from: "visitor",
        name: "",
        message: { kind: "text", body: p.body, created_at: p.created_at },
        cid: p.client_id,
        state: p.failed ? "failed" : "sending",
      });
    }
    return items;
  }
