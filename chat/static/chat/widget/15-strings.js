// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ strings

  // Used until /widget/i18n.json answers, or if it never does (a blocked request
  // must not leave a launcher without labels). The server's catalog is the source.
  const FALLBACK_STRINGS = {
    launcher: "Chat with us",
    title: "Chat",
    placeholder: "Type a message…",
    send: "Send",
    close: "Close",
    minimize: "Minimize",
    start: "Start chat",
    end_chat: "End chat",
    queued: "Waiting for a counselor",
    queue_position: "You are number %(position)s in line",
    agent_joined: "%(name)s joined the chat",
    agent_typing: "%(name)s is typing…",
    connecting: "Connecting…",
    reconnecting: "Connection lost. Reconnecting…",
    closed: "This chat has ended.",
    new_chat: "Start a new chat",
    sending: "Sending…",
    failed: "Not sent. Tap to retry.",
    read: "Read",
    welcome: "Hello! How can we help you today?",
    counselor: "Counselor",
    you: "You",
    unread: "unread messages",
    error_too_long: "The message is too long.",
    error_rate: "You are sending too fast. Please wait a moment.",
    offline_status: "Not available right now",
    offline_closed_hours: "We are closed right now",
    offline_holiday: "We are closed for a public holiday",
    offline_closure: "We are temporarily closed",
    offline_no_hours: "Chat is not available right now",
    offline_no_counselor: "No counselor is available right now",
    offline_busy: "All our counselors are busy",
    offline_holiday_named: "Today is %(name)s.",
    offline_wait: "The wait is about %(minutes)s minutes right now.",
    opens_today: "We are back today at %(time)s.",
    opens_tomorrow: "We are back tomorrow at %(time)s.",
    opens_on: "We are back on %(day)s at %(time)s.",
    offline_cta: "Leave your number and we will call you back.",
    today: "Today",
    tomorrow: "Tomorrow",
    callback_title: "Request a callback",
    callback_link: "Leave a callback instead of waiting",
    callback_intro:
      "Leave your number and we will call you back. Your place in the queue will be given up.",
    back_to_chat: "Back to chat",
    field_name: "Name",
    field_phone: "Phone number",
    field_email: "E-mail",
    field_slot: "When should we call?",
    field_message: "How can we help?",
    optional: "optional",
    slot_asap: "As soon as possible",
    slot_zone: "Times are in your time zone (%(zone)s).",
    notice_purpose: "Purpose",
    notice_items: "Items collected",
    notice_retention: "Retention",
    consent_collection:
      "I agree to the collection and use of my personal information (required)",
    consent_marketing: "I agree to receive marketing information (optional)",
    lead_submit: "Request a callback",
    lead_loading: "Loading…",
    lead_load_failed: "The form could not be loaded.",
    lead_retry: "Try again",
    lead_error_name: "Enter your name.",
    lead_error_phone: "Enter your phone number so we can call you back.",
    lead_error_phone_invalid: "Enter a valid phone number, for example 010-1234-5678.",
    lead_error_email: "Enter a valid e-mail address.",
    lead_error_consent:
      "Please agree to the collection and use of your personal information.",
    lead_error_fields: "Please check the highlighted fields.",
    lead_error_rate:
      "Too many requests. Please wait a minute and try again; what you typed is kept.",
    lead_error_network:
      "Your request could not be sent. Check your connection and try again.",
    lead_error_forbidden: "Callback requests are not available on this page.",
    done_title: "Callback requested",
    done_at: "We will call you on %(time)s.",
    done_asap: "We will call you back as soon as possible.",
    done_reference: "Reference %(reference)s",
    done_ok: "Done",
    form_required: "Fields marked * are required.",
    form_submit: "Submit",
    form_notice_details: "Details",
    form_sent: "Sent ✓ — reference %(reference)s",
    form_sent_plain: "Sent ✓",
    form_removed: "(removed)",
    form_error_closed: "This chat has ended, so the form can no longer be sent.",
    form_error_not_found: "This form is no longer available.",
    form_error_failed: "The form could not be sent. Please try again.",
    offer_chat_now: "Chat now",
    offer_no_thanks: "No thanks",
    offer_online: "Online now",
    offer_copy: "Copy",
    offer_copied: "Copied to the clipboard.",
    offer_code: "Coupon code",
    offer_callback_yes: "Yes, call me",
    offer_thanks: "Thank you for your answer!",
  };
  let strings = FALLBACK_STRINGS;

  function t(key, params) {
    const text = strings[key] || FALLBACK_STRINGS[key] || key;
    if (!params) return text;
    return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
  }

  async function loadStrings() {
    try {
      const url = `${ORIGIN}/widget/i18n.json?lang=${LANG}`;
      const response = await fetch(url, { credentials: "omit" });
      if (!response.ok) return;
      const data = await response.json();
      if (data && data.strings) {
        strings = { ...FALLBACK_STRINGS, ...data.strings };
        LANG = pickLanguage(data.language);
      }
    } catch {
      /* keep the fallback */
    }
  }
