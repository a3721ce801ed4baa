// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ in-chat lead forms: DOM
  // A counselor's "Lead form" arrives as a `form` message whose payload has
  // `lead: true` (docs/protocol.md "Lead capture frames"). It is filled in where it
  // stands in the chat and answered with `form_submit` on the socket; the server checks
  // it against the form as it was sent, captures the lead and appends the visitor's
  // `form_reply`. A form with a reply is shown as sent, in every tab and after a
  // reload, because the reply is part of the conversation.
  //
  // One client id per form fill, kept with what was typed (sessionStorage, like the
  // callback form's draft): a submission resent after a reconnect or a reload is the
  // same submission, and the server answers it with the same lead and message.
  // Checks are the server's own: the socket is open anyway, and its messages are in
  // the visitor's language.

  Object.assign(ICONS, {
    form: [
      { ...STROKE, "stroke-width": "2" },
      "M9 3.5h6v3H9zM7 5H5.5A1.5 1.5 0 0 0 4 6.5v13A1.5 1.5 0 0 0 5.5 21h13a1.5 1.5 0 0 0 " +
        "1.5-1.5v-13A1.5 1.5 0 0 0 18.5 5H17M8 11.5h8M8 15.5h5",
    ],
  });

  // The longest values the server takes (leads/forms.py): the browser stops there
  // instead of the server refusing the answer.
  const CHAT_FORM_MAX = { name: 80, tel: 40, email: 254, textarea: 2000, text: 500 };
  const CHAT_FORM_TYPES = ["text", "tel", "email", "textarea"];

  // ------------------------------------------------------------------ the card

  const safeId = (name) => String(name).replace(/[^A-Za-z0-9_-]/g, "_");

  function chatFormCard(message) {
    const form = message.payload;
    const key = formKey(message.conversation, message.seq);
    const fill = fillOf(key);
    const base = `lcf-${message.seq}`;
    const notice = form.notice && typeof form.notice === "object" ? form.notice : {};
    const view = {
      key,
      conversation: message.conversation,
      seq: message.seq,
      notice,
      fields: [], // {name, label, control, error, extra}: in the order shown
      fresh: true,
      answersSig: null,
    };
    view.title = el("div", {
      class: "cf-title",
      id: `${base}-title`,
      text: String(form.title || message.body || ""),
    });
    view.hint = el("div", { class: "cf-hint" });
    view.status = el("p", { class: "cf-status", role: "status", tabindex: "-1", hidden: true });
    view.answers = el("div", { class: "cf-answers", hidden: true });

    const specs = form.fields.filter((spec) => spec && typeof spec.name === "string");
    const fields = specs.map((spec) => chatFormField(view, spec, base, fill));

    view.formError = el("p", { class: "cf-error", role: "alert", hidden: true });
    view.submit = el("button", { class: "cf-submit", type: "submit" });
    view.ended = el("p", { class: "cf-ended", hidden: true });
    view.set = el(
      "fieldset",
      { class: "cf-set" },
      el("div", { class: "fields" }, ...fields),
      chatFormConsents(view, base),
      view.formError,
      view.submit
    );
    view.form = el(
      "form",
      {
        class: "cf-form",
        novalidate: true, // the server's messages, in the visitor's language
        "aria-labelledby": `${base}-title`,
        onsubmit: (event) => submitChatForm(view, event),
        oninput: (event) => onChatFormInput(view, event),
      },
      view.set,
      view.ended
    );
    view.node = el(
      "div",
      { class: "bubble cf", "data-form": key },
      el(
        "div",
        { class: "cf-head" },
        el("span", { class: "cf-icon" }, icon("form")),
        el("div", { class: "cf-head-text" }, view.title, view.hint)
      ),
      view.status,
      view.answers,
      view.form
    );
    chatForms.views.set(key, view);
    return view.node;
  }

  function chatFormField(view, spec, base, fill) {
    const name = spec.name;
    const type = CHAT_FORM_TYPES.includes(spec.type) ? spec.type : "text";
    const id = `${base}-f-${safeId(name)}`;
    const props = {
      class: "inp",
      id,
      name,
      "aria-required": spec.required ? "true" : null,
    };
    let control;
    if (type === "textarea") {
      control = el("textarea", { ...props, rows: "3" });
    } else {
      const kinds = {
        tel: { inputmode: "tel", autocomplete: "tel", placeholder: "010-1234-5678" },
        email: {
          inputmode: "email",
          autocomplete: "email",
          autocapitalize: "off",
          spellcheck: "false",
        },
        text: name === "name" ? { autocomplete: "name" } : {},
      };
      control = el("input", { ...props, type, ...kinds[type] });
    }
    control.maxLength = name === "name" ? CHAT_FORM_MAX.name : CHAT_FORM_MAX[type];
    control.value = typeof fill.values[name] === "string" ? fill.values[name] : "";
    const label = String(spec.label || name);
    const error = el("p", { class: "err", id: `${id}-err`, hidden: true });
    view.fields.push({ name, label, control, error });
    return el(
      "div",
      { class: "field" },
      el(
        "label",
        { class: "lbl", for: id },
        label,
        spec.required ? el("span", { class: "req", "aria-hidden": "true", text: " *" }) : null
      ),
      control,
      error
    );
  }

  // The notice the consent is given to (its version goes with the consent): folded
  // to its title, the checkboxes below it always in view.
  function chatFormConsents(view, base) {
    const notice = view.notice;
    view.terms = {};
    const row = (name) => {
      view.terms[name] = el("dt");
      return [view.terms[name], el("dd", { text: String(notice[name] || "") })];
    };
    view.more = el("span", { class: "cf-notice-more" });
    const details = el(
      "details",
      { class: "cf-notice", id: `${base}-notice` },
      el(
        "summary",
        {},
        el("span", { class: "cf-notice-title", text: String(notice.title || "") }),
        view.more,
        icon("down")
      ),
      el(
        "div",
        { class: "privacy" },
        el(
          "dl",
          { class: "privacy-list" },
          ...row("purpose"),
          ...row("items"),
          ...row("retention")
        ),
        notice.refusal ? el("p", { class: "cf-refusal", text: String(notice.refusal) }) : null
      )
    );

    view.consent = el("input", {
      type: "checkbox",
      id: `${base}-consent`,
      name: "consent",
      "aria-required": "true",
    });
    const consentError = el("p", { class: "err", id: `${base}-consent-err`, hidden: true });
    view.fields.push({
      name: "consent",
      control: view.consent,
      error: consentError,
      extra: `${base}-notice`,
    });
    view.consentLabel = el("span");

    view.marketing = el("input", { type: "checkbox", id: `${base}-marketing`, name: "marketing" });
    view.marketingLabel = el("span");
    const marketingText = notice.marketing
      ? el("small", { id: `${base}-marketing-text`, text: String(notice.marketing) })
      : null;
    if (marketingText) view.marketing.setAttribute("aria-describedby", marketingText.id);

    return el(
      "div",
      { class: "consents" },
      details,
      el(
        "label",
        { class: "check required", for: view.consent.id },
        view.consent,
        el("span", { class: "box", "aria-hidden": "true" }, icon("check")),
        view.consentLabel
      ),
      consentError,
      el(
        "label",
        { class: "check", for: view.marketing.id },
        view.marketing,
        el("span", { class: "box", "aria-hidden": "true" }, icon("check")),
        el("span", { class: "check-text" }, view.marketingLabel, marketingText)
      )
    );
  }

  // ------------------------------------------------------------------ answers

  function replyBubble(payload, body) {
    if (payload.erased) return el("div", { class: "bubble reply erased", text: t("form_removed") });
    const fields = Array.isArray(payload.fields) ? payload.fields : [];
    if (!fields.length) return el("div", { class: "bubble", text: body || "" });
    return el("div", { class: "bubble reply" }, answerList(fields, "reply-list"));
  }

  function answerList(fields, className) {
    return el(
      "dl",
      { class: className },
      ...fields.flatMap((f) => [
        el("dt", { text: String(f.label ?? f.name ?? "") }),
        el("dd", { text: String(f.value ?? "") }),
      ])
    );
  }
