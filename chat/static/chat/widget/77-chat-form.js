// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ in-chat lead forms
  // What the visitor does with each lead form (76-chat-form-build.js builds the card):
  // drafts, the submission and its resends, the answers, and drawing the card from
  // that state on every render.

  const chatForms = {
    views: new Map(), // form key -> the card's parts (one per message node)
    fills: new Map(), // form key -> what the visitor did with that form
  };

  const formKey = (conversation, seq) => `${conversation}:${seq}`;

  function isLeadForm(message) {
    const p = message && message.payload;
    return message.kind === "form" && !!p && p.lead === true && Array.isArray(p.fields);
  }

  function blankFill() {
    return {
      cid: null, // made on the first submit, the same on every retry
      values: {}, // what was typed, by field name
      frame: null, // a submission without an answer yet: sent again after `hello`
      sending: false,
      errors: {}, // field -> the server's message
      formError: "",
      receipt: null, // {reference} from the ack, until the reply is in the log
      sent: null, // [{label, value}] shown until the reply arrives
      focusAfter: false, // the visitor pressed the button: move focus to the answer
    };
  }

  function fillOf(key) {
    let fill = chatForms.fills.get(key);
    if (!fill) {
      fill = blankFill();
      chatForms.fills.set(key, fill);
    }
    return fill;
  }

  function fillByCid(cid) {
    for (const [key, fill] of chatForms.fills) if (fill.cid === cid) return [key, fill];
    return null;
  }

  // sessionStorage `chatForms`: {"<conversation>:<seq>": {cid, values, frame, receipt}}.
  // Consent ticks are kept only inside a submission already made (`frame`): a draft
  // is agreed to again on the form that shows the notice.
  function chatFormRestore() {
    const kept = load(session, "chatForms", null);
    if (!kept || typeof kept !== "object") return;
    for (const [key, saved] of Object.entries(kept)) {
      if (!saved || typeof saved !== "object") continue;
      const fill = fillOf(key);
      fill.cid = typeof saved.cid === "string" ? saved.cid : null;
      fill.values = saved.values && typeof saved.values === "object" ? saved.values : {};
      fill.frame = saved.frame && typeof saved.frame === "object" ? saved.frame : null;
      fill.sending = !!fill.frame;
      fill.receipt = saved.receipt && typeof saved.receipt === "object" ? saved.receipt : null;
    }
  }

  function chatFormSave() {
    // Only the current conversation's forms: the others can no longer be sent.
    const prefix = state.conv ? `${state.conv.id}:` : "";
    const kept = {};
    for (const [key, fill] of chatForms.fills) {
      if (prefix && !key.startsWith(prefix)) {
        chatForms.fills.delete(key);
        continue;
      }
      const entry = {};
      if (fill.cid) entry.cid = fill.cid;
      if (Object.values(fill.values).some(Boolean)) entry.values = fill.values;
      if (fill.frame) entry.frame = fill.frame;
      if (fill.receipt) entry.receipt = fill.receipt;
      if (Object.keys(entry).length) kept[key] = entry;
    }
    save(session, "chatForms", Object.keys(kept).length ? kept : null);
  }

  // Which lead forms of the conversation have been answered: seq -> the visitor's
  // `form_reply`. A reply blanked by the retention purge ({"erased": true}) no longer
  // names its form; it is taken as the answer to the nearest open form before it.
  function chatFormAnswers() {
    const answers = new Map();
    const open = [];
    for (const m of sortedMessages()) {
      if (isLeadForm(m)) open.push(m.seq);
      if (m.kind !== "form_reply" || !m.payload) continue;
      let seq = Number(m.payload.form_seq) || 0;
      if (!seq && m.payload.erased) seq = open[open.length - 1] || 0;
      if (!seq) continue;
      answers.set(seq, m);
      const at = open.indexOf(seq);
      if (at >= 0) open.splice(at, 1);
    }
    return answers;
  }

  // The replies a lead form's card shows (as its answers, once sent): these are not
  // drawn a second time as bubbles of their own. A reply whose form is not in the
  // log (not loaded, or not a lead form) stays a bubble.
  function repliesInCards() {
    const shown = new Set();
    for (const [seq, reply] of chatFormAnswers()) {
      if (isLeadForm(state.messages.get(seq))) shown.add(reply.seq);
    }
    return shown;
  }

  // ------------------------------------------------------------------ sending

  function submitChatForm(view, event) {
    event.preventDefault();
    const fill = fillOf(view.key);
    if (fill.sending || fill.receipt || !state.conv || isClosed()) return;
    const values = {};
    const sent = [];
    for (const f of view.fields) {
      if (f.name === "consent") continue;
      values[f.name] = f.control.value.trim();
      if (values[f.name]) sent.push({ label: f.label, value: values[f.name] });
    }
    if (!fill.cid) fill.cid = newClientId();
    const frame = {
      type: "form_submit",
      client_id: fill.cid,
      conversation: view.conversation,
      form_seq: view.seq,
      values,
      consent: {
        collection: view.consent.checked,
        marketing: view.marketing.checked,
        notice_version: String(view.notice.version || ""),
      },
      inflow: lead.inflow, // the visit's, as the callback form sends it (74-lead.js)
    };
    fill.errors = {};
    if (JSON.stringify(frame).length > state.limits.max_frame_bytes) {
      fill.formError = t("error_too_long");
    } else {
      fill.formError = "";
      fill.frame = frame;
      fill.sending = true;
      fill.sent = sent;
      fill.focusAfter = true;
      chatFormSave();
      chatFormTransmit(fill);
    }
    renderChatForm(view);
  }

  function chatFormTransmit(fill) {
    // Not now: sent after the next `hello`, or by the rate-limit retry.
    if (!fill.frame || !state.ready || state.holdSends) return;
    send(fill.frame);
  }

  function chatFormResendAll() {
    for (const fill of chatForms.fills.values()) chatFormTransmit(fill);
  }

  // The `ack` of a form_submit carries the lead's receipt; the `form_reply` message
  // comes as a message of its own (before or after it).
  function chatFormAck(frame) {
    const found = fillByCid(frame.client_id);
    if (!found || !frame.lead) return false;
    const [key, fill] = found;
    fill.frame = null;
    fill.sending = false;
    fill.errors = {};
    fill.formError = "";
    fill.receipt = { reference: String(frame.lead.reference || "") };
    fill.values = {};
    chatFormSave();
    if (state.conv && frame.conversation === state.conv.id && !state.messages.has(frame.seq)) {
      // Its message frame may have been lost in transit: then only a sync brings it.
      clearTimeout(timers.formReply);
      timers.formReply = setTimeout(() => {
        if (!state.messages.has(frame.seq)) requestSync();
      }, 2000);
    }
    const view = chatForms.views.get(key);
    if (view && view.node.isConnected) renderChatForm(view);
    return true;
  }

  // What the form says when the server refused a submission for another reason than
  // its values (those go under the fields).
  const CHAT_FORM_ERRORS = {
    closed: "form_error_closed",
    not_found: "form_error_not_found",
    rate_limited: "lead_error_rate",
    unavailable: "lead_error_network",
  };

  // An error naming a submission (`ref` is its client id). Returns false for others.
  function chatFormError(frame) {
    if (frame.ref == null) return false;
    const found = fillByCid(String(frame.ref));
    if (!found) return false;
    const [key, fill] = found;
    if (fill.receipt) return true; // answered meanwhile (a resend's late refusal)
    fill.frame = null;
    fill.sending = false;
    const view = chatForms.views.get(key);
    if (frame.code === "invalid_form") {
      const names = new Set(view ? view.fields.map((f) => f.name) : []);
      const errors = {};
      let formError = "";
      for (const [name, message] of Object.entries(frame.fields || {})) {
        if (names.has(name)) errors[name] = String(message);
        else formError = formError || String(message);
      }
      fill.errors = errors;
      fill.formError = formError || t("lead_error_fields");
      // Refused consent (or a notice changed since): it must be given again.
      if (errors.consent && view) view.consent.checked = false;
    } else {
      fill.errors = {};
      fill.formError = t(CHAT_FORM_ERRORS[frame.code] || "form_error_failed");
    }
    chatFormSave();
    if (view && view.node.isConnected) renderChatForm(view);
    return true;
  }

  function onChatFormInput(view, event) {
    const name = event.target.name;
    const fill = fillOf(view.key);
    if (name && name !== "consent" && name !== "marketing") {
      fill.values[name] = event.target.value;
      chatFormSave();
    }
    if (fill.errors[name]) {
      delete fill.errors[name];
      renderChatForm(view);
    }
  }

  // ------------------------------------------------------------------ render

  const setText = (node, text) => {
    if (node.textContent !== text) node.textContent = text;
  };

  // After renderMessages: every card on screen follows its form's state.
  function renderChatForms() {
    if (!chatForms.views.size) return;
    const answers = chatFormAnswers();
    for (const [key, view] of chatForms.views) {
      if (!view.node.isConnected) {
        chatForms.views.delete(key);
        continue;
      }
      renderChatForm(view, answers.get(view.seq) || null);
    }
  }

  function renderChatForm(view, answer = chatFormAnswers().get(view.seq)) {
    const fill = fillOf(view.key);
    if (answer && (fill.frame || fill.receipt || fill.cid || Object.keys(fill.values).length)) {
      const settled = blankFill(); // the reply is the record now
      settled.focusAfter = fill.focusAfter;
      chatForms.fills.set(view.key, settled);
      chatFormSave();
      return renderChatForm(view, answer);
    }
    const reply = answer ? answer.payload : null;
    const done = !!answer || !!fill.receipt;
    const ended = !done && isClosed();
    if (ended && !fill.sending && (fill.cid || Object.keys(fill.values).length)) {
      chatForms.fills.set(view.key, blankFill()); // nothing left to send it to
      chatFormSave();
      return renderChatForm(view, answer);
    }

    setText(view.hint, t("form_required"));
    view.hint.hidden = done || ended;
    view.status.hidden = !done;
    view.answers.hidden = !done;
    if (done) {
      view.form.remove(); // for good: a sent form is not sent again
      const reference = (reply && reply.lead) || (fill.receipt && fill.receipt.reference) || "";
      setText(
        view.status,
        reference ? t("form_sent", { reference: String(reference) }) : t("form_sent_plain")
      );
      renderAnswers(view, reply, fill);
    } else {
      renderOpenForm(view, fill, ended);
    }
    if (fill.focusAfter && !fill.sending) {
      // Where the visitor's attention should go once the answer came back.
      fill.focusAfter = false;
      if (done) view.status.focus({ preventScroll: false });
      else focusFirstError(view, fill);
    }
    if (view.fresh && state.open && !ui.log.hidden) {
      view.fresh = false;
      if (!done && !ended) showCardTop(view);
    }
  }

  function renderAnswers(view, reply, fill) {
    const erased = !!(reply && reply.erased);
    const fields = reply
      ? Array.isArray(reply.fields)
        ? reply.fields
        : []
      : fill.sent || [];
    const sig = JSON.stringify([LANG, erased, fields]);
    if (view.answersSig === sig) return;
    view.answersSig = sig;
    if (erased) {
      view.answers.replaceChildren(el("p", { class: "cf-removed", text: t("form_removed") }));
    } else {
      view.answers.replaceChildren(fields.length ? answerList(fields, "cf-list") : "");
    }
    view.answers.hidden = !view.answers.firstChild;
  }

  function renderOpenForm(view, fill, ended) {
    // A closed chat's form is folded to that news: it can no longer be sent.
    view.set.hidden = ended;
    view.set.disabled = fill.sending || ended;
    view.ended.hidden = !ended;
    setText(view.ended, t("closed"));
    setText(view.submit, fill.sending ? t("sending") : t("form_submit"));
    view.submit.setAttribute("aria-busy", String(fill.sending));
    setText(view.more, t("form_notice_details"));
    for (const name of ["purpose", "items", "retention"]) {
      setText(view.terms[name], t(`notice_${name}`));
    }
    setText(view.consentLabel, t("consent_collection"));
    setText(view.marketingLabel, t("consent_marketing"));
    for (const f of view.fields) {
      const message = fill.errors[f.name] || "";
      setText(f.error, message);
      f.error.hidden = !message;
      if (message) f.control.setAttribute("aria-invalid", "true");
      else f.control.removeAttribute("aria-invalid");
      const describedBy = [f.extra, message ? f.error.id : null].filter(Boolean);
      if (describedBy.length) f.control.setAttribute("aria-describedby", describedBy.join(" "));
      else f.control.removeAttribute("aria-describedby");
    }
    setText(view.formError, fill.formError);
    view.formError.hidden = !fill.formError;
  }

  function focusFirstError(view, fill) {
    const first = view.fields.find((f) => fill.errors[f.name]);
    if (first) first.control.focus();
    else if (fill.formError) view.submit.focus();
  }

  // A form taller than the space left: its top (the title) in view, not its button.
  function showCardTop(view) {
    const msg = view.node.closest(".msg");
    if (!msg || msg !== ui.msgs.lastElementChild) return;
    const top = msg.getBoundingClientRect().top - ui.log.getBoundingClientRect().top;
    if (top < 0) ui.log.scrollTop += top - 8;
  }
