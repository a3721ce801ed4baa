// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ offers
  // What a targeting rule shows (targeting/actions.py render_action): the server sends
  // `offer` (one at a time) and `offer_closed` when it timed out there; the visitor's
  // answer goes back as `offer_response` (accepted / rejected). Dismissing is a
  // rejection; letting it run out is the server's "ignored". Every text is set with
  // textContent; image and link URLs must be http(s).
  //
  // Chat invitations, corner banners, coupons, callback offers and surveys sit above
  // the launcher (inside the window while it is open); a "bar" banner runs along the
  // top of the page and a "modal" one is a dialog with a backdrop. The offer survives
  // a page navigation in this tab until it expires (sessionStorage).

  Object.assign(ICONS, {
    copy: [
      { ...STROKE, "stroke-width": "2" },
      "M9 9h10v10H9zM5 15V5h10",
    ],
    gift: [
      { ...STROKE, "stroke-width": "2" },
      "M4 11h16v9H4zM3 7h18v4H3zM12 7v13M12 7c-1.5-3-5-3.5-5-1s3 1 5 1c2 0 5 1.5 5-1s-3.5-2-5 1",
    ],
  });

  const OFFER_KINDS = ["chat_invite", "banner", "coupon", "callback", "survey"];
  const THANKS_MS = 2500;

  const offers = {
    current: null, // the offer frame's content, plus `deadline` (epoch ms)
    node: null,
    answered: false, // accepted already (coupon copied, survey answered)
    returnFocus: null, // the modal gives the focus back where it found it
  };

  HANDLERS.offer = (frame) => {
    const offer = frame.offer;
    if (!offer || typeof offer !== "object" || !OFFER_KINDS.includes(offer.kind)) return;
    const seconds = Math.max(1, Number(offer.expires_in) || 30);
    showOffer({ ...offer, deadline: Date.now() + seconds * 1000 });
  };

  HANDLERS.offer_closed = (frame) => {
    if (offers.current && offers.current.id === frame.offer) removeOffer();
  };

  function offerRestore() {
    const kept = load(session, "offer", null);
    if (kept && kept.deadline > Date.now() && OFFER_KINDS.includes(kept.kind)) {
      offers.current = kept;
      offerArmExpiry();
    } else {
      save(session, "offer", null);
    }
  }

  function showOffer(offer) {
    removeOffer();
    offers.current = offer;
    offers.answered = false;
    save(session, "offer", offer);
    offerArmExpiry();
    renderOffer();
  }

  function offerArmExpiry() {
    clearTimeout(timers.offer);
    const left = offers.current.deadline - Date.now();
    timers.offer = setTimeout(removeOffer, Math.max(0, left));
  }

  function removeOffer() {
    clearTimeout(timers.offer);
    clearTimeout(timers.offerThanks);
    const node = offers.node;
    const hadFocus = node && node.contains(ui.root && ui.root.getRootNode().activeElement);
    offers.current = null;
    offers.node = null;
    save(session, "offer", null);
    if (!node) return;
    node.remove();
    const back = offers.returnFocus;
    offers.returnFocus = null;
    if (hadFocus && back && back.isConnected) back.focus({ preventScroll: true });
  }

  function answerOffer(outcome) {
    const offer = offers.current;
    if (!offer) return;
    send({ type: "offer_response", offer: offer.id, outcome });
  }

  // Dismissed: rejected, unless the visitor already took it (a copied coupon).
  function dismissOffer() {
    if (!offers.current) return;
    if (!offers.answered) answerOffer("rejected");
    removeOffer();
  }

  function acceptOffer() {
    const offer = offers.current;
    if (!offer) return;
    if (!offers.answered) answerOffer("accepted");
    offers.answered = true;
    if (offer.kind === "chat_invite") {
      removeOffer();
      open(); // the server opens the conversation: a `conversation` frame follows
    } else if (offer.kind === "callback") {
      removeOffer();
      openCallback("targeting");
      open();
    }
  }

  // ------------------------------------------------------------------ offers: DOM

  // Where an offer sits: bar and modal on their own; the others above the launcher,
  // or at the top of the window while it is open (the window covers that corner).
  const offerPlacement = (offer) =>
    offer.kind === "banner" && ["bar", "modal"].includes(offer.placement)
      ? offer.placement
      : "corner";

  function renderOffer() {
    const offer = offers.current;
    if (!ui.root || !offer || offers.node) return;
    const placement = offerPlacement(offer);
    const card = buildOfferCard(offer, placement);
    if (placement === "modal") {
      offers.returnFocus = document.activeElement;
      offers.node = el(
        "div",
        {
          class: "offer-backdrop",
          onclick: (event) => event.target === offers.node && dismissOffer(),
        },
        card
      );
    } else {
      offers.node = card;
    }
    offers.node.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation(); // not the window's own Escape (close)
      dismissOffer();
    });
    placeOffer();
    if (placement === "modal") {
      const first = card.querySelector(".offer-actions a, .offer-actions button, .offer-x");
      queueMicrotask(() => first && first.focus({ preventScroll: true }));
      card.addEventListener("keydown", trapFocus);
    }
  }

  // The strings arrived (or the language changed): build it again in them.
  function offerRelabel() {
    if (!offers.node) return;
    offers.node.remove();
    offers.node = null;
    renderOffer();
  }

  function placeOffer() {
    const node = offers.node;
    if (!node || !offers.current) return;
    const inWindow = state.open && offerPlacement(offers.current) === "corner";
    node.classList.toggle("in-win", inWindow);
    if (inWindow) {
      if (node.parentNode !== ui.win || node.nextSibling !== ui.conn) ui.win.insertBefore(node, ui.conn);
    } else if (node.parentNode !== ui.root) {
      ui.root.append(node);
    }
  }

  function trapFocus(event) {
    if (event.key !== "Tab") return;
    const items = [...event.currentTarget.querySelectorAll("a[href], button:not(:disabled)")];
    if (!items.length) return;
    const active = ui.root.getRootNode().activeElement;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && active === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function buildOfferCard(offer, placement) {
    const titleId = `lc-offer-title-${offer.id}`;
    const close = el(
      "button",
      {
        class: "offer-x",
        type: "button",
        "aria-label": t("close"),
        title: t("close"),
        onclick: dismissOffer,
      },
      icon("close")
    );
    const modal = placement === "modal";
    const card = el("div", {
      class: `offer offer-${offer.kind} at-${placement}`,
      role: modal ? "dialog" : "region",
      "aria-modal": modal ? "true" : null,
      "aria-labelledby": titleId,
      "data-offer": String(offer.id),
      "data-kind": offer.kind,
    });
    const title = el("p", { class: "offer-title", id: titleId, text: offer.title || "" });
    const body = offer.body ? el("p", { class: "offer-body", text: offer.body }) : null;
    const build = OFFER_BUILDERS[offer.kind] || OFFER_BUILDERS.banner;
    card.append(close, ...build(offer, title, body).filter(Boolean));
    return card;
  }

  function offerButton(text, onclick, primary) {
    return el("button", {
      class: primary ? "offer-btn primary" : "offer-btn",
      type: "button",
      text,
      onclick,
    });
  }

  function offerImage(offer) {
    const src = offer.image && safeHttpUrl(offer.image);
    return src ? el("img", { class: "offer-img", src, alt: "", loading: "lazy" }) : null;
  }

  const OFFER_BUILDERS = {
    chat_invite(offer, title, body) {
      const persona = (offer.persona && typeof offer.persona === "object" && offer.persona) || {};
      const name = String(persona.name || OPTIONS.title || t("counselor"));
      const avatar = el("span", { class: "offer-avatar", "aria-hidden": "true" });
      const src = persona.avatar && safeHttpUrl(persona.avatar);
      if (src) avatar.append(el("img", { src, alt: "" }));
      else avatar.textContent = initials(name);
      return [
        el(
          "div",
          { class: "offer-from" },
          avatar,
          el("span", { class: "offer-name", text: name }),
          el("span", { class: "offer-online", text: t("offer_online") })
        ),
        title,
        body,
        el(
          "div",
          { class: "offer-actions" },
          offerButton(t("offer_chat_now"), acceptOffer, true),
          offerButton(t("offer_no_thanks"), dismissOffer)
        ),
      ];
    },

    banner(offer, title, body) {
      const cta = offer.cta && typeof offer.cta === "object" ? offer.cta : null;
      const href = cta && safeHttpUrl(cta.url);
      const link = href
        ? el("a", {
            class: "offer-btn primary",
            href,
            target: "_self",
            rel: "noopener",
            text: cta.label || href,
            onclick: () => {
              answerOffer("accepted");
              offers.answered = true;
              save(session, "offer", null); // the next page must not show it again
            },
          })
        : null;
      return [
        offerImage(offer),
        el("div", { class: "offer-text" }, title, body),
        link ? el("div", { class: "offer-actions" }, link) : null,
      ];
    },

    coupon(offer, title, body) {
      const code = String(offer.code || "");
      const status = el("span", { class: "offer-copied", role: "status" });
      const copy = el(
        "button",
        { class: "offer-btn primary offer-copy", type: "button" },
        icon("copy"),
        el("span", { text: t("offer_copy") })
      );
      copy.addEventListener("click", async () => {
        const done = await copyText(code);
        status.textContent = done ? t("offer_copied") : "";
        if (!done) selectCode(codeBox);
        if (!offers.answered) answerOffer("accepted");
        offers.answered = true;
      });
      const codeBox = el("code", { class: "offer-code", text: code, tabindex: "0" });
      return [
        el("div", { class: "offer-badge", "aria-hidden": "true" }, icon("gift")),
        title,
        body,
        el(
          "div",
          { class: "offer-coupon" },
          el("span", { class: "sr", text: t("offer_code") }),
          codeBox,
          copy
        ),
        status,
      ];
    },

    callback(offer, title, body) {
      return [
        el("div", { class: "offer-badge", "aria-hidden": "true" }, icon("phone")),
        title,
        body,
        el(
          "div",
          { class: "offer-actions" },
          offerButton(t("offer_callback_yes"), acceptOffer, true),
          offerButton(t("offer_no_thanks"), dismissOffer)
        ),
      ];
    },

    survey(offer, title, body) {
      const question = el("p", { class: "offer-question", text: offer.question || "" });
      const choices = Array.isArray(offer.choices) ? offer.choices.slice(0, 5) : [];
      const list = el("div", { class: "offer-choices", role: "group", "aria-label": offer.question || "" });
      for (const choice of choices) {
        list.append(
          el("button", {
            class: "offer-choice",
            type: "button",
            text: String(choice),
            onclick: () => surveyAnswered(list),
          })
        );
      }
      return [title, body, question, list];
    },
  };

  // The server keeps only "accepted": thank, then go.
  function surveyAnswered(list) {
    if (!offers.answered) answerOffer("accepted");
    offers.answered = true;
    save(session, "offer", null);
    list.replaceWith(el("p", { class: "offer-thanks", role: "status", text: t("offer_thanks") }));
    clearTimeout(timers.offerThanks);
    timers.offerThanks = setTimeout(removeOffer, THANKS_MS);
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      return false; // no clipboard permission (an iframe, http): the code is selected
    }
  }

  function selectCode(node) {
    const selection = node.getRootNode().getSelection
      ? node.getRootNode().getSelection()
      : window.getSelection();
    const range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
  }
