// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ styles: callback form
  // Appended to CSS_TEXT (80-css.js) in one constructed sheet; same variables.

  const CSS_LEADS = `
.queue { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; }
.queue > span { flex: 1 1 auto; }
.queue-cb {
  border: 0; background: none; padding: 2px 0; color: inherit; font-size: 12.5px;
  font-weight: 700; text-decoration: underline; text-underline-offset: 3px;
}

.lead {
  flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain;
  display: flex; flex-direction: column; gap: 12px; padding: 14px 14px 18px;
  background: var(--soft);
}
.lead p, .lead h2 { margin: 0; }
.away {
  display: flex; align-items: flex-start; gap: 12px; padding: 14px; border-radius: 14px;
  background: #fff; border: 1px solid var(--line);
}
.away-icon {
  flex: none; width: 38px; height: 38px; border-radius: 50%; display: grid;
  place-items: center; color: var(--accent); background: #eef2ff;
  background: color-mix(in srgb, var(--accent) 11%, white);
}
.away-icon .icon { width: 20px; height: 20px; }
.away-body { min-width: 0; }
.lead .away-body > * + * { margin-top: 3px; }
.away-title { font-size: 15px; font-weight: 700; line-height: 1.35; }
.away-text { color: var(--muted); font-size: 13px; }
.away-cta { font-size: 13px; }

.lead-top { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; }
.lead-back {
  display: inline-flex; align-items: center; gap: 2px; margin-left: -4px; padding: 4px 8px 4px 2px;
  border: 0; border-radius: 8px; background: none; color: var(--accent);
  font-size: 13px; font-weight: 600;
}
.lead-back:hover { background: color-mix(in srgb, var(--accent) 8%, transparent); }
.lead-back .icon { width: 18px; height: 18px; }
.lead-intro { color: var(--muted); font-size: 13px; }

.lead-form {
  position: relative; padding: 16px 14px 14px; border-radius: 14px; background: #fff;
  border: 1px solid var(--line);
}
.lead .lead-title { margin-bottom: 12px; font-size: 15px; font-weight: 700; }
.fields { display: flex; flex-direction: column; gap: 13px; }
.field { min-width: 0; display: flex; flex-direction: column; gap: 5px; }
.lbl { font-size: 12.5px; font-weight: 600; color: #374151; }
.req { color: #dc2626; }
.inp {
  width: 100%; height: 40px; margin: 0; padding: 0 11px; border: 1px solid #d1d5db;
  border-radius: 10px; background: #fff; color: inherit; font: inherit; outline: none;
  transition: border-color .12s ease, box-shadow .12s ease;
}
textarea.inp {
  height: auto; min-height: 76px; padding: 9px 11px; resize: vertical; line-height: 1.4;
}
.inp::placeholder { color: #9ca3af; }
.inp:focus {
  border-color: var(--accent);
  box-shadow: 0 0 0 3px color-mix(in srgb, var(--accent) 18%, transparent);
}
.inp[aria-invalid="true"] { border-color: #dc2626; background: #fffafa; }
.inp[aria-invalid="true"]:focus { box-shadow: 0 0 0 3px rgba(220, 38, 38, .16); }
.hint { color: var(--muted); font-size: 12px; }
.err {
  display: flex; align-items: flex-start; gap: 5px; color: #b91c1c; font-size: 12px;
  line-height: 1.4;
}
.err::before {
  content: "!"; flex: none; width: 14px; height: 14px; margin-top: 1px; border-radius: 50%;
  display: grid; place-items: center; background: #dc2626; color: #fff; font-size: 10px;
  font-weight: 800; line-height: 1;
}

.consents { display: flex; flex-direction: column; gap: 9px; margin-top: 16px; }
.privacy {
  padding: 11px 12px; border-radius: 10px; background: var(--soft); border: 1px solid var(--line);
  color: #4b5563; font-size: 12px; line-height: 1.5;
}
.lead .privacy-title { margin-bottom: 6px; color: var(--ink); font-size: 12.5px; font-weight: 700; }
.privacy-list { display: grid; grid-template-columns: auto 1fr; gap: 3px 10px; margin: 0; }
.privacy-list dt { color: #374151; font-weight: 600; white-space: nowrap; }
.privacy-list dd { margin: 0; }
.lead .privacy-refusal { margin-top: 6px; }
.privacy-wait { display: flex; align-items: center; gap: 10px; }
.link-btn {
  border: 0; background: none; padding: 0; color: var(--accent); font-size: inherit;
  font-weight: 600; text-decoration: underline;
}
.check {
  position: relative; display: flex; align-items: flex-start; gap: 9px; cursor: pointer;
  font-size: 13px; line-height: 1.45;
}
.check input {
  position: absolute; top: 0; left: 0; width: 20px; height: 20px; margin: 0; opacity: 0;
}
.box {
  flex: none; width: 20px; height: 20px; margin-top: -1px; border: 1.5px solid #9ca3af;
  border-radius: 6px; display: grid; place-items: center; background: #fff;
  color: transparent; transition: background .12s ease, border-color .12s ease;
}
.box .icon { width: 14px; height: 14px; }
.check:hover .box { border-color: var(--accent); }
.check input:checked + .box { background: var(--accent); border-color: var(--accent); color: #fff; }
.check input:focus-visible + .box {
  outline: 3px solid color-mix(in srgb, var(--accent) 35%, white); outline-offset: 1px;
}
.check input[aria-invalid="true"] + .box {
  border-color: #dc2626; box-shadow: 0 0 0 3px rgba(220, 38, 38, .14);
}
.check.required { font-weight: 600; }
.check-text small { display: block; margin-top: 2px; color: var(--muted); font-size: 12px; }
.hp { position: absolute; left: -10000px; top: 0; width: 1px; height: 1px; overflow: hidden; }
.lead .form-error {
  margin-top: 14px; padding: 9px 12px; border-radius: 10px; background: #fef2f2;
  border: 1px solid #fecaca; color: #991b1b; font-size: 13px;
}
.lead-submit {
  width: 100%; height: 46px; margin-top: 14px; border: 0; border-radius: 12px;
  background: var(--accent); color: #fff; font-size: 15px; font-weight: 700;
}
.lead-submit:hover:not(:disabled) { background: color-mix(in srgb, var(--accent) 88%, black); }
.lead-submit:focus-visible, .done-ok:focus-visible {
  outline: 3px solid color-mix(in srgb, var(--accent) 40%, white); outline-offset: 2px;
}

.done {
  margin: auto 0; padding: 28px 20px 22px; border-radius: 16px; background: #fff;
  border: 1px solid var(--line); text-align: center; display: flex; flex-direction: column;
  align-items: center; gap: 6px;
}
.done-icon {
  width: 58px; height: 58px; margin-bottom: 8px; border-radius: 50%; display: grid;
  place-items: center; background: #dcfce7; color: #16a34a;
}
.done-icon .icon { width: 28px; height: 28px; }
.done-title { font-size: 17px; font-weight: 700; outline: none; }
.done-when { color: #374151; }
.lead .done-ref {
  margin-top: 4px; padding: 4px 12px; border-radius: 999px; background: var(--soft);
  color: var(--muted); font-size: 12.5px; font-variant-numeric: tabular-nums;
}
.done-ok {
  margin-top: 14px; padding: 10px 30px; border: 0; border-radius: 12px; background: var(--accent);
  color: #fff; font-weight: 600;
}

/* In-chat lead form (76-chat-form-build.js): a card in the counselor's message. */
.bubble.cf {
  width: 100%; max-width: 100%; padding: 0; overflow: hidden; white-space: normal;
  border-radius: 16px; box-shadow: 0 1px 2px rgba(17, 24, 39, .05);
}
.from-agent .bubble.cf { border-bottom-left-radius: 6px; }
.cf p { margin: 0; }
.cf-head {
  display: flex; align-items: center; gap: 10px; padding: 11px 14px;
  border-bottom: 1px solid var(--line); background: #f5f6ff;
  background: color-mix(in srgb, var(--accent) 6%, white);
}
.cf-icon {
  flex: none; width: 32px; height: 32px; border-radius: 50%; display: grid;
  place-items: center; color: var(--accent); background: #fff;
  box-shadow: inset 0 0 0 1px color-mix(in srgb, var(--accent) 20%, white);
}
.cf-icon .icon { width: 17px; height: 17px; }
.cf-head-text { min-width: 0; }
.cf-title { font-size: 14.5px; font-weight: 700; line-height: 1.35; }
.cf-hint { margin-top: 1px; color: var(--muted); font-size: 12px; }
.cf-form { padding: 12px 14px 14px; }
.cf-set { min-width: 0; margin: 0; padding: 0; border: 0; }
.cf .fields { gap: 11px; }
.cf .consents { margin-top: 14px; gap: 8px; }
.inp:disabled { background: var(--soft); color: var(--muted); }
.cf-notice {
  border: 1px solid var(--line); border-radius: 10px; background: var(--soft);
  color: #4b5563; font-size: 12px; line-height: 1.5;
}
.cf-notice summary {
  display: flex; align-items: center; gap: 8px; padding: 8px 10px; list-style: none;
  cursor: pointer; border-radius: 10px;
}
.cf-notice summary::-webkit-details-marker { display: none; }
.cf-notice summary:focus-visible {
  outline: 3px solid color-mix(in srgb, var(--accent) 35%, white); outline-offset: 1px;
}
.cf-notice-title { flex: 1; min-width: 0; color: var(--ink); font-size: 12.5px; font-weight: 700; }
.cf-notice-more { color: var(--accent); font-weight: 600; white-space: nowrap; }
.cf-notice summary .icon {
  flex: none; width: 16px; height: 16px; color: var(--accent); transition: transform .15s ease;
}
.cf-notice[open] summary .icon { transform: rotate(180deg); }
.cf-notice .privacy {
  padding: 8px 10px 10px; border: 0; border-top: 1px solid var(--line); border-radius: 0;
  background: none;
}
.cf .cf-refusal { margin-top: 6px; }
.cf .cf-error {
  margin-top: 12px; padding: 8px 11px; border-radius: 10px; background: #fef2f2;
  border: 1px solid #fecaca; color: #991b1b; font-size: 13px;
}
.cf-submit {
  width: 100%; height: 42px; margin-top: 12px; border: 0; border-radius: 11px;
  background: var(--accent); color: #fff; font-size: 14.5px; font-weight: 700;
}
.cf-submit:hover:not(:disabled) { background: color-mix(in srgb, var(--accent) 88%, black); }
.cf-submit:focus-visible {
  outline: 3px solid color-mix(in srgb, var(--accent) 40%, white); outline-offset: 2px;
}
.cf .cf-ended { color: var(--muted); font-size: 13px; text-align: center; }
.cf .cf-status {
  margin: 12px 14px 0; padding: 8px 11px; border-radius: 10px; background: #dcfce7;
  color: #166534; font-size: 13px; font-weight: 600; outline: none;
  font-variant-numeric: tabular-nums;
}
.cf-answers { padding: 10px 14px 13px; font-size: 13px; }
.cf-list, .reply-list {
  display: grid; grid-template-columns: minmax(0, auto) minmax(0, 1fr); gap: 4px 12px;
  margin: 0;
}
.cf-list dt { color: var(--muted); }
.cf-list dd, .reply-list dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.bubble.reply { white-space: normal; }
.reply-list { gap: 2px 10px; }
.reply-list dt { opacity: .82; }
.bubble.erased, .cf-removed { font-style: italic; }
.cf-removed { color: var(--muted); }

/* Korean breaks between words, not inside them. */
.lc:lang(ko) { word-break: keep-all; overflow-wrap: anywhere; }

@media (max-width: 480px) {
  .inp { height: 44px; font-size: 16px; } /* below 16px iOS zooms into the page */
  .cf input.inp { height: 42px; }
  textarea.inp { font-size: 16px; }
}
`;
