// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  function renderMessages() {
    const log = ui.log;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
    const items = wantedItems();
    const existing = new Map([...ui.msgs.children].map((n) => [n.dataset.key, n]));
    const conv = state.conv;
    let lastOwn = -1;
    items.forEach((item, i) => {
      if (item.from === "visitor" && item.state === "sent") lastOwn = i;
    });

    let cursor = ui.msgs.firstChild;
    items.forEach((item, i) => {
      let node = existing.get(item.key);
      if (node) existing.delete(item.key);
      else node = messageNode(item);
      node.classList.toggle("cont", sameSender(items[i - 1], item));
      node.dataset.state = item.state;
      const readByAgent =
        i === lastOwn && !!conv && (conv.agent_read_seq || 0) >= item.order;
      node.querySelector(".meta").textContent = metaText(item, items[i + 1], readByAgent);
      if (node !== cursor) ui.msgs.insertBefore(node, cursor);
      else cursor = cursor.nextSibling;
    });
    for (const node of existing.values()) node.remove();

    if (state.open && (nearBottom || state.scrollToEnd)) {
      log.scrollTop = log.scrollHeight;
      state.scrollToEnd = false;
    }
    renderChatForms();
  }

  // Consecutive messages of one sender form a group: one name above, one time below.
  function sameSender(a, b) {
    return !!a && !!b && a.from !== "event" && a.from === b.from && a.name === b.name;
  }

  function metaText(item, next, readByAgent) {
    let meta = "";
    if (item.state === "sending") meta = t("sending");
    else if (item.state === "failed") meta = t("failed");
    else if (item.message && !sameSender(item, next)) meta = timeOf(item.message.created_at);
    if (readByAgent) meta = meta ? `${meta} · ${t("read")}` : t("read");
    return meta;
  }

  function messageNode(item) {
    const node = el("div", { class: `msg from-${item.from}`, "data-key": item.key });
    if (item.cid) node.dataset.cid = item.cid;
    if (item.order != null) node.dataset.seq = String(item.order);
    if (item.from === "visitor") node.append(el("div", { class: "sender sr", text: t("you") }));
    if (item.from === "agent") {
      node.append(el("div", { class: "sender", text: item.name || t("counselor") }));
    }
    node.append(
      item.from === "event"
        ? el("div", { class: "bubble", text: item.text })
        : bubble(item.message),
      el("div", { class: "meta" })
    );
    return node;
  }

  function bubble(message) {
    const payload = message.payload || {};
    if (message.kind === "card") return cardBubble(payload, message.body);
    if (message.kind === "form") {
      // A lead form is filled in here (76-chat-form-build.js); a plain one is only shown.
      return isLeadForm(message) ? chatFormCard(message) : formBubble(payload, message.body);
    }
    if (message.kind === "form_reply") return replyBubble(payload, message.body);
    return el("div", { class: "bubble", text: message.body || "" });
  }

  function cardBubble(card, body) {
    const image = safeHttpUrl(card.image);
    const link = safeHttpUrl(card.url);
    const box = el("div", { class: "bubble card" });
    if (image) {
      const img = el("img", { src: image, alt: "", loading: "lazy" });
      img.referrerPolicy = "no-referrer";
      img.addEventListener("error", () => img.remove());
      box.append(img);
    }
    box.append(
      el(
        "div",
        { class: "card-body" },
        el("div", { class: "card-title", text: card.title || body || "" }),
        card.text ? el("div", { class: "card-text", text: card.text }) : null,
        card.price ? el("div", { class: "card-price", text: card.price }) : null,
        link
          ? el("a", {
              class: "card-btn",
              href: link,
              target: "_blank",
              rel: "noopener noreferrer",
              text: card.button || card.title || link,
            })
          : null
      )
    );
    return box;
  }

  function formBubble(form, body) {
    const fields = Array.isArray(form.fields) ? form.fields : [];
    return el(
      "div",
      { class: "bubble form" },
      el("div", { class: "form-title", text: form.title || body || "" }),
      el(
        "ul",
        { class: "form-fields" },
        ...fields.map((f) => {
          const label = String(f.label || "");
          return el("li", { text: f.required ? `${label} *` : label });
        })
      )
    );
  }
