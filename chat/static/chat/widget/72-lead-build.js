// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ callback form: DOM
  // Built once with the rest of the window; 74-lead.js fills and shows it. Labels are
  // set in renderLeadStatic (the language can change when the strings arrive).

  Object.assign(ICONS, {
    clock: [
      { ...STROKE, "stroke-width": "2" },
      "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2",
    ],
    check: [{ ...STROKE, "stroke-width": "2.6" }, "M5 12.5l4.5 4.5L19 7.5"],
    back: [{ ...STROKE, "stroke-width": "2.2" }, "M15 18l-6-6 6-6"],
    phone: [
      { ...STROKE, "stroke-width": "2" },
      "M5 4h3.5l1.7 4.3-2.2 1.4a11 11 0 0 0 6.3 6.3l1.4-2.2L20 15.5V19a1.5 1.5 0 0 1-1.6 " +
        "1.5A16.5 16.5 0 0 1 3.5 5.6 1.5 1.5 0 0 1 5 4z",
    ],
  });

  // In the order they appear: the first one with an error gets the focus.
  const LEAD_FIELDS = ["name", "phone", "email", "slot", "message", "consent"];

  function buildLead() {
    ui.leadFields = {};
    ui.lead = el(
      "div",
      { class: "lead", hidden: true },
      buildAway(),
      buildLeadTop(),
      buildLeadForm(),
      buildLeadDone()
    );
    fillLeadForm(leadDraft());
    return ui.lead;
  }

  function buildAway() {
    ui.awayTitle = el("p", { class: "away-title" });
    ui.awayText = el("p", { class: "away-text" });
    ui.awayCta = el("p", { class: "away-cta" });
    ui.away = el(
      "div",
      { class: "away", role: "status" },
      el("span", { class: "away-icon" }, icon("clock")),
      el("div", { class: "away-body" }, ui.awayTitle, ui.awayText, ui.awayCta)
    );
    return ui.away;
  }

  // Instead of waiting in the queue: a way back to the chat, and what happens.
  function buildLeadTop() {
    ui.leadBackLabel = el("span");
    ui.leadBack = el(
      "button",
      { class: "lead-back", type: "button", onclick: closeCallback },
      icon("back"),
      ui.leadBackLabel
    );
    ui.leadIntro = el("p", { class: "lead-intro" });
    ui.leadTop = el("div", { class: "lead-top" }, ui.leadBack, ui.leadIntro);
    return ui.leadTop;
  }

  function leadField(name, control) {
    control.id = `lc-${name}`;
    control.name = name;
    const label = el("label", { class: "lbl", for: control.id });
    const error = el("p", { class: "err", id: `lc-err-${name}`, hidden: true });
    ui.leadFields[name] = { control, label, error, hint: null };
    return el("div", { class: `field f-${name}` }, label, control, error);
  }

  function buildLeadForm() {
    const input = (props) => el("input", { class: "inp", ...props });
    ui.leadHeading = el("h2", { class: "lead-title", id: "lc-lead-title" });
    const slot = el("select", { class: "inp sel" });
    const slotField = leadField("slot", slot);
    ui.slotHint = el("p", { class: "hint", id: "lc-hint-slot", hidden: true });
    ui.leadFields.slot.hint = ui.slotHint;
    slotField.insertBefore(ui.slotHint, ui.leadFields.slot.error);

    ui.leadSubmit = el("button", { class: "lead-submit", type: "submit" });
    ui.leadFormError = el("p", {
      class: "form-error",
      id: "lc-err-form",
      role: "alert",
      hidden: true,
    });
    ui.leadForm = el(
      "form",
      {
        class: "lead-form",
        novalidate: true, // our messages, in the visitor's language, under each field
        "aria-labelledby": "lc-lead-title",
        onsubmit: submitLead,
        oninput: onLeadInput,
        onchange: onLeadInput,
      },
      ui.leadHeading,
      el(
        "div",
        { class: "fields" },
        leadField(
          "name",
          input({ type: "text", autocomplete: "name", "aria-required": "true" })
        ),
        leadField(
          "phone",
          input({
            type: "tel",
            inputmode: "tel",
            autocomplete: "tel",
            placeholder: "010-1234-5678",
            maxlength: "40",
            "aria-required": "true",
          })
        ),
        leadField("email", input({ type: "email", inputmode: "email", autocomplete: "email" })),
        slotField,
        leadField("message", el("textarea", { class: "inp", rows: "3" }))
      ),
      buildPrivacy(),
      buildHoneypot(),
      ui.leadFormError,
      ui.leadSubmit
    );
    return ui.leadForm;
  }

  // The notice the consent is given to (its version goes with the consent).
  function buildPrivacy() {
    ui.noticeTitle = el("p", { class: "privacy-title" });
    ui.noticeRows = {};
    const row = (name) => {
      const term = el("dt");
      const value = el("dd");
      ui.noticeRows[name] = { term, value };
      return [term, value];
    };
    ui.noticeList = el(
      "dl",
      { class: "privacy-list" },
      ...row("purpose"),
      ...row("items"),
      ...row("retention")
    );
    ui.noticeRefusal = el("p", { class: "privacy-refusal" });
    ui.noticeStatus = el("p", { class: "privacy-status" });
    ui.noticeRetry = el("button", {
      class: "link-btn",
      type: "button",
      hidden: true,
      onclick: () => leadLoadConfig(true),
    });
    ui.privacy = el(
      "div",
      { class: "privacy", id: "lc-privacy" },
      ui.noticeTitle,
      ui.noticeList,
      ui.noticeRefusal,
      el("div", { class: "privacy-wait" }, ui.noticeStatus, ui.noticeRetry)
    );

    ui.consent = el("input", {
      type: "checkbox",
      id: "lc-consent",
      name: "consent",
      "aria-required": "true",
    });
    ui.consentLabel = el("span");
    const consentError = el("p", { class: "err", id: "lc-err-consent", hidden: true });
    ui.leadFields.consent = { control: ui.consent, label: null, error: consentError };

    ui.marketing = el("input", { type: "checkbox", id: "lc-marketing", name: "marketing" });
    ui.marketingLabel = el("span");
    ui.marketingText = el("small", { id: "lc-marketing-text" });
    ui.marketing.setAttribute("aria-describedby", "lc-marketing-text");

    return el(
      "div",
      { class: "consents" },
      ui.privacy,
      el(
        "label",
        { class: "check required", for: "lc-consent" },
        ui.consent,
        el("span", { class: "box", "aria-hidden": "true" }, icon("check")),
        ui.consentLabel
      ),
      consentError,
      el(
        "label",
        { class: "check", for: "lc-marketing" },
        ui.marketing,
        el("span", { class: "box", "aria-hidden": "true" }, icon("check")),
        el("span", { class: "check-text" }, ui.marketingLabel, ui.marketingText)
      )
    );
  }

  // Hidden from people (off screen, out of the tab order and the accessibility tree);
  // bots that fill every field fill it, and the server drops their submissions.
  function buildHoneypot() {
    ui.honeypot = el("input", {
      type: "text",
      name: "website",
      tabindex: "-1",
      autocomplete: "off",
      "aria-hidden": "true",
    });
    return el("div", { class: "hp", "aria-hidden": "true" }, ui.honeypot);
  }

  function buildLeadDone() {
    ui.doneTitle = el("h2", { class: "done-title", tabindex: "-1" });
    ui.doneWhen = el("p", { class: "done-when" });
    ui.doneRef = el("p", { class: "done-ref" });
    ui.doneOk = el("button", { class: "done-ok", type: "button", onclick: leadDismiss });
    ui.leadDone = el(
      "div",
      { class: "done", role: "status", hidden: true },
      el("span", { class: "done-icon" }, icon("phone")),
      ui.doneTitle,
      ui.doneWhen,
      ui.doneRef,
      ui.doneOk
    );
    return ui.leadDone;
  }

  function renderLeadStatic() {
    const f = ui.leadFields;
    const optional = ` (${t("optional")})`;
    const labels = {
      name: t("field_name"),
      phone: t("field_phone"),
      email: t("field_email") + optional,
      slot: t("field_slot"),
      message: t("field_message") + optional,
    };
    for (const [name, text] of Object.entries(labels)) {
      const required = f[name].control.getAttribute("aria-required") === "true";
      f[name].label.replaceChildren(
        text,
        required ? el("span", { class: "req", "aria-hidden": "true", text: " *" }) : ""
      );
    }
    ui.leadHeading.textContent = t("callback_title");
    ui.leadBackLabel.textContent = t("back_to_chat");
    ui.leadIntro.textContent = t("callback_intro");
    ui.awayCta.textContent = t("offline_cta");
    ui.consentLabel.textContent = t("consent_collection");
    ui.marketingLabel.textContent = t("consent_marketing");
    ui.noticeRows.purpose.term.textContent = t("notice_purpose");
    ui.noticeRows.items.term.textContent = t("notice_items");
    ui.noticeRows.retention.term.textContent = t("notice_retention");
    ui.noticeRetry.textContent = t("lead_retry");
    ui.doneOk.textContent = t("done_ok");
    ui.doneTitle.textContent = t("done_title");
    ui.leadFields.slot.control.dataset.sig = ""; // "As soon as possible" in the new language
  }
