// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ callback form
  // GET /public/v1/lead-form (slots, privacy notice) and POST /public/v1/leads
  // (leads/public.py). What the visitor types is kept in sessionStorage until the
  // request is taken, so a page navigation loses nothing; one idempotency key per
  // form fill makes a retry after a lost answer the same request.

  const lead = {
    // "queue_overflow": the visitor chose a callback over waiting; "targeting": they
    // accepted a callback offer (78-offers.js).
    want: null,
    config: null, // the lead-form answer, in `configLang`
    configLang: "",
    loading: false,
    loadFailed: false,
    sending: false,
    errors: {}, // field -> message: the server's (translated) or the client's checks
    formError: "",
    receipt: null, // {reference, callback_at, ..., source} once a request is taken
    key: null,
    inflow: {},
  };

  function leadRestore() {
    const want = load(session, "leadWant", null);
    lead.want = want === "queue_overflow" || want === "targeting" ? want : null;
    lead.receipt = load(session, "leadReceipt", null);
    lead.key = leadDraft().key || null;
    lead.inflow = captureInflow();
  }

  function leadDraft() {
    const draft = load(session, "leadDraft", null);
    return draft && typeof draft === "object" ? draft : {};
  }

  // Which form the panel shows instead of the conversation, if any.
  function leadSource() {
    if (lead.want) return lead.want;
    if (hasOpenConversation()) return null;
    if (lead.receipt && lead.receipt.source === "offline_form") return "offline_form";
    return isOffline() ? "offline_form" : null;
  }

  // A counselor took the chat while the visitor looked at the form: back to it.
  function leadSettle() {
    const queued = !!state.conv && state.conv.status === "queued";
    if (lead.want !== "queue_overflow") return; // an accepted offer stays until answered
    if (!queued && !lead.receipt && !lead.sending) setWant(null);
  }

  function setWant(value) {
    lead.want = value;
    save(session, "leadWant", value);
  }

  function openCallback(source = "queue_overflow") {
    setWant(source === "targeting" ? "targeting" : "queue_overflow");
    render();
    queueMicrotask(focusLead); // after the render above has shown the form
  }

  function closeCallback() {
    setWant(null);
    render();
    if (!matchMedia("(pointer: coarse)").matches) {
      queueMicrotask(() => ui.input.focus({ preventScroll: true }));
    }
  }

  // "Done" under the confirmation: the window closes; opened again, it shows the
  // chat or, still offline, an empty form.
  function leadDismiss() {
    lead.receipt = null;
    save(session, "leadReceipt", null);
    setWant(null);
    close();
  }

  function focusLead() {
    const name = ui.leadFields.name.control;
    if (ui.lead.isConnected && !ui.leadForm.hidden) name.focus({ preventScroll: true });
  }

  async function leadLoadConfig(force = false) {
    if (lead.loading || (!force && lead.config && lead.configLang === LANG)) return;
    lead.loading = true;
    lead.loadFailed = false;
    render();
    const lang = LANG;
    try {
      const url = new URL("/public/v1/lead-form", ORIGIN);
      url.searchParams.set("site", SITE_KEY);
      url.searchParams.set("lang", lang);
      const response = await fetch(url.href, { credentials: "omit" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (!data || !data.notice) throw new Error("no notice");
      lead.config = data;
      lead.configLang = lang;
    } catch {
      lead.loadFailed = true;
    }
    lead.loading = false;
    render();
  }

  function readLeadForm() {
    const value = (name) => ui.leadFields[name].control.value;
    return {
      name: value("name"),
      phone: value("phone"),
      email: value("email"),
      slot: value("slot"),
      message: value("message"),
    };
  }

  function fillLeadForm(draft) {
    for (const name of ["name", "phone", "email", "message"]) {
      ui.leadFields[name].control.value = typeof draft[name] === "string" ? draft[name] : "";
    }
    ui.consent.checked = false;
    ui.marketing.checked = false;
  }

  function leadKey() {
    if (!lead.key) lead.key = newClientId();
    return lead.key;
  }

  // Typed values only: consent is given again on the page where it is asked.
  function onLeadInput(event) {
    save(session, "leadDraft", { ...readLeadForm(), key: leadKey() });
    const name = event.target.name;
    if (lead.errors[name]) {
      delete lead.errors[name];
      renderLeadErrors();
    }
  }

  // The server checks everything again; these spare a round trip and name every
  // error at once (a wrong number is not news only after consent is ticked). The
  // phone rule is the server's (73-phone.js); the e-mail check is looser than the
  // server's, never stricter.
  function checkLead(values) {
    const errors = {};
    if (!values.name.trim()) errors.name = t("lead_error_name");
    if (!values.phone.trim()) errors.phone = t("lead_error_phone");
    else if (!phoneLooksValid(values.phone, lead.config && lead.config.phone)) {
      errors.phone = t("lead_error_phone_invalid");
    }
    const email = values.email.trim();
    if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) errors.email = t("lead_error_email");
    if (!ui.consent.checked) errors.consent = t("lead_error_consent");
    return errors;
  }

  function setLeadErrors(errors, formError = "") {
    lead.errors = errors;
    lead.formError = formError;
    renderLeadErrors();
    const first = LEAD_FIELDS.find((name) => errors[name]);
    if (first) ui.leadFields[first].control.focus();
  }

  async function submitLead(event) {
    event.preventDefault();
    if (lead.sending || !lead.config) return;
    const values = readLeadForm();
    const errors = checkLead(values);
    if (Object.keys(errors).length) {
      setLeadErrors(errors);
      return;
    }
    setLeadErrors({});
    const source = leadSource() || "offline_form";
    const body = {
      site: SITE_KEY,
      idempotency_key: leadKey(), // the same on every retry of this fill
      source,
      visitor_token: load(local, "token", null),
      lang: LANG,
      ...values,
      consent: {
        collection: ui.consent.checked,
        marketing: ui.marketing.checked,
        notice_version: lead.config.notice.version,
      },
      website: ui.honeypot.value,
      inflow: lead.inflow,
    };
    lead.sending = true;
    render();
    let status = 0;
    let data = null;
    try {
      const response = await fetch(new URL("/public/v1/leads", ORIGIN).href, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      status = response.status;
      data = await response.json().catch(() => null);
    } catch {
      status = 0; // offline, or the answer was lost: the same key will be sent again
    }
    lead.sending = false;
    if (status >= 200 && status < 300) leadTaken((data && data.lead) || {}, source);
    else if (status === 400 && data && data.errors) leadRefused(data.errors);
    else if (status === 429) setLeadErrors({}, t("lead_error_rate"));
    else if (status === 403 || status === 404) setLeadErrors({}, t("lead_error_forbidden"));
    else setLeadErrors({}, t("lead_error_network"));
    render();
  }

  function leadRefused(errors) {
    const fields = {};
    let formError = "";
    for (const [name, message] of Object.entries(errors)) {
      if (LEAD_FIELDS.includes(name)) fields[name] = String(message);
      else formError = formError || String(message);
    }
    // A slot taken meanwhile, or a notice changed since the page loaded: fetch the
    // current ones; consent must then be given to the new notice.
    if (fields.slot || fields.consent) leadLoadConfig(true);
    if (fields.consent) ui.consent.checked = false;
    setLeadErrors(fields, formError || t("lead_error_fields"));
  }

  function leadTaken(receipt, source) {
    lead.receipt = {
      reference: String(receipt.reference || ""),
      callback_at: receipt.callback_at || null,
      source,
    };
    save(session, "leadReceipt", lead.receipt);
    save(session, "leadDraft", null);
    lead.key = null;
    fillLeadForm({});
    ui.leadFields.slot.control.value = "";
    render();
    queueMicrotask(() => ui.doneTitle.focus({ preventScroll: true }));
  }

  // ------------------------------------------------------------------ render

  function renderLead(source) {
    // Out of the document while unused: the chat's own fields stay the only ones
    // (host-page scripts and tests find "the" textarea), and hidden inputs cannot
    // be autofilled.
    if (!source) {
      ui.lead.remove();
      return;
    }
    if (!ui.lead.isConnected) ui.log.after(ui.lead);
    ui.lead.hidden = false;
    if (!lead.loading && !lead.loadFailed && (!lead.config || lead.configLang !== LANG)) {
      leadLoadConfig();
    }
    const offline = source === "offline_form";
    const a = state.availability;
    const done = !!lead.receipt;
    ui.away.hidden = !offline || done || !a || a.open !== false;
    if (!ui.away.hidden) {
      const copy = offlineCopy(a);
      ui.awayTitle.textContent = copy.title;
      ui.awayText.textContent = copy.text;
      ui.awayText.hidden = !copy.text;
    }
    ui.leadTop.hidden = offline || done;
    // Leaving the queue is only a consequence when the visitor was queued.
    ui.leadIntro.textContent = t(source === "targeting" ? "offline_cta" : "callback_intro");
    ui.leadForm.hidden = done;
    ui.leadDone.hidden = !done;
    if (done) renderReceipt();
    renderSlots();
    renderPrivacy();
    const limits = (lead.config && lead.config.limits) || {};
    ui.leadFields.name.control.maxLength = limits.name || 80;
    ui.leadFields.message.control.maxLength = limits.message || 2000;
    ui.leadSubmit.disabled = lead.sending || !lead.config;
    ui.leadSubmit.textContent = lead.sending ? t("sending") : t("lead_submit");
    ui.leadSubmit.setAttribute("aria-busy", String(lead.sending));
    renderLeadErrors();
  }

  function renderReceipt() {
    const r = lead.receipt;
    const when = whenText(r.callback_at);
    ui.doneWhen.textContent = when ? t("done_at", { time: when }) : t("done_asap");
    ui.doneRef.textContent = r.reference ? t("done_reference", { reference: r.reference }) : "";
    ui.doneRef.hidden = !r.reference;
  }

  // "As soon as possible", then the slots grouped by the visitor's local day.
  function renderSlots() {
    const select = ui.leadFields.slot.control;
    const slots = (lead.config && lead.config.slots) || [];
    const sig = `${LANG}|${slots.map((s) => s.start).join(",")}`;
    if (select.dataset.sig === sig) return;
    const wanted = select.value || leadDraft().slot || "";
    select.replaceChildren(el("option", { value: "", text: t("slot_asap") }));
    let group = null;
    let day = "";
    for (const slot of slots) {
      const date = dateOf(slot.start);
      if (!date) continue;
      if (localDay(date) !== day) {
        day = localDay(date);
        group = el("optgroup", { label: dayLabel(date) });
        select.append(group);
      }
      group.append(el("option", { value: slot.start, text: timeOf(slot.start) }));
    }
    select.value = wanted;
    if (select.value !== wanted) select.value = "";
    select.dataset.sig = sig;
    const zone = visitorZone();
    const siteZone = lead.config && lead.config.time_zone;
    ui.slotHint.hidden = !zone || !siteZone || zone === siteZone;
    ui.slotHint.textContent = t("slot_zone", { zone });
  }

  function renderPrivacy() {
    const notice = lead.config && lead.config.notice;
    ui.noticeTitle.hidden = ui.noticeList.hidden = ui.noticeRefusal.hidden = !notice;
    ui.noticeStatus.parentNode.hidden = !!notice;
    ui.noticeRetry.hidden = !lead.loadFailed;
    ui.noticeStatus.textContent = lead.loadFailed ? t("lead_load_failed") : t("lead_loading");
    ui.marketingText.textContent = notice ? notice.marketing || "" : "";
    if (!notice) return;
    ui.noticeTitle.textContent = notice.title || "";
    for (const name of ["purpose", "items", "retention"]) {
      ui.noticeRows[name].value.textContent = notice[name] || "";
    }
    ui.noticeRefusal.textContent = notice.refusal || "";
  }

  function renderLeadErrors() {
    for (const name of LEAD_FIELDS) {
      const { control, error, hint } = ui.leadFields[name];
      const message = lead.errors[name] || "";
      error.textContent = message;
      error.hidden = !message;
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
      const describedBy = [];
      if (hint && !hint.hidden) describedBy.push(hint.id);
      if (name === "consent") describedBy.push("lc-privacy");
      if (message) describedBy.push(error.id);
      if (describedBy.length) control.setAttribute("aria-describedby", describedBy.join(" "));
      else control.removeAttribute("aria-describedby");
    }
    ui.leadFormError.textContent = lead.formError;
    ui.leadFormError.hidden = !lead.formError;
  }
