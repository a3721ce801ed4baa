// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ styles: offers
  // Appended to CSS_TEXT (80-css.js) in one constructed sheet; same variables.

  const CSS_OFFERS = `
.offer {
  position: fixed; right: 20px; bottom: 94px; width: 320px; max-width: calc(100vw - 40px);
  padding: 16px 16px 14px; background: #fff; color: var(--ink); border-radius: 18px;
  border: 1px solid var(--line);
  box-shadow: 0 16px 44px rgba(17, 24, 39, .22), 0 2px 8px rgba(17, 24, 39, .08);
  animation: lc-offer-in .22s ease-out;
}
@keyframes lc-offer-in { from { opacity: 0; transform: translateY(10px) scale(.98); } }
.offer p { margin: 0; }
.offer-x {
  position: absolute; top: 8px; right: 8px; width: 30px; height: 30px; padding: 7px;
  border: 0; border-radius: 50%; background: transparent; color: var(--muted);
  display: grid; place-items: center;
}
.offer-x:hover { background: var(--soft); color: var(--ink); }
.offer-title { font-size: 15.5px; font-weight: 700; line-height: 1.35; padding-right: 26px; }
.offer-body { margin-top: 4px !important; color: #374151; white-space: pre-line; overflow-wrap: anywhere; }
.offer-actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 14px; }
.offer-btn {
  display: inline-flex; align-items: center; justify-content: center; gap: 6px;
  min-height: 38px; padding: 8px 14px; border-radius: 11px; border: 1px solid var(--line);
  background: #fff; color: var(--ink); font-weight: 600; font-size: 14px;
  text-decoration: none; line-height: 1.2;
}
.offer-btn:hover { background: var(--soft); }
.offer-btn.primary { background: var(--accent); border-color: transparent; color: #fff; }
.offer-btn.primary:hover { background: color-mix(in srgb, var(--accent) 86%, #000); }
.offer-btn:focus-visible, .offer-x:focus-visible, .offer-choice:focus-visible,
.offer-code:focus-visible {
  outline: 3px solid color-mix(in srgb, var(--accent) 40%, white); outline-offset: 2px;
}
.offer-actions .offer-btn { flex: 1 1 auto; }

/* The chat invitation: a message bubble from the persona, pointing at the launcher. */
.offer-chat_invite { border-bottom-right-radius: 6px; }
.offer-chat_invite:not(.in-win)::after {
  content: ""; position: absolute; right: 22px; bottom: -7px; width: 14px; height: 14px;
  background: #fff; border-right: 1px solid var(--line); border-bottom: 1px solid var(--line);
  transform: rotate(45deg);
}
.offer-from { display: flex; align-items: center; gap: 10px; margin-bottom: 10px; padding-right: 26px; }
.offer-avatar {
  position: relative; flex: none; width: 38px; height: 38px; border-radius: 50%;
  display: grid; place-items: center; background: var(--accent); color: #fff;
  font-weight: 700; font-size: 14px; overflow: visible;
}
.offer-avatar img { width: 100%; height: 100%; border-radius: 50%; object-fit: cover; }
.offer-avatar::after {
  content: ""; position: absolute; right: -1px; bottom: -1px; width: 11px; height: 11px;
  border-radius: 50%; background: #22c55e; border: 2px solid #fff;
}
.offer-name { font-weight: 700; font-size: 14px; }
.offer-online { color: var(--muted); font-size: 12.5px; }
.offer-online::before { content: "· "; }

/* Badges of coupons and callback offers. */
.offer-badge {
  width: 40px; height: 40px; border-radius: 50%; display: grid; place-items: center;
  margin-bottom: 10px; color: var(--accent); background: #eef2ff;
  background: color-mix(in srgb, var(--accent) 11%, white);
}
.offer-badge .icon { width: 21px; height: 21px; }

.offer-coupon { display: flex; gap: 8px; margin-top: 14px; }
.offer-code {
  flex: 1; min-width: 0; display: flex; align-items: center; justify-content: center;
  padding: 8px 10px; border: 2px dashed color-mix(in srgb, var(--accent) 45%, white);
  border-radius: 11px; background: var(--soft); font: 700 16px/1.2 ui-monospace,
    "SFMono-Regular", Menlo, Consolas, monospace; letter-spacing: .06em;
  overflow-wrap: anywhere; user-select: all;
}
.offer-copy .icon { width: 16px; height: 16px; }
.offer-copied { display: block; margin-top: 6px; font-size: 12.5px; color: #15803d; }
.offer-copied:empty { display: none; }

.offer-question { margin-top: 8px !important; font-weight: 600; }
.offer-choices { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
.offer-choice {
  padding: 8px 14px; border-radius: 999px; border: 1px solid var(--line); background: #fff;
  color: var(--ink); font-weight: 600;
}
.offer-choice:hover { border-color: var(--accent); color: var(--accent); }
.offer-thanks { margin-top: 12px !important; font-weight: 600; color: #15803d; }

.offer-img {
  display: block; width: calc(100% + 32px); max-height: 160px; margin: -16px -16px 12px;
  object-fit: cover; border-radius: 17px 17px 0 0; background: var(--soft);
}

/* Inside the open window, under its header. */
.offer.in-win {
  position: relative; right: auto; bottom: auto; width: auto; max-width: none;
  margin: 10px 12px 0; box-shadow: 0 4px 14px rgba(17, 24, 39, .1); border-radius: 14px;
  flex: none;
}

/* A bar along the top of the page. */
.offer.at-bar {
  top: 0; right: 0; bottom: auto; left: 0; width: auto; max-width: none;
  display: flex; flex-wrap: wrap; align-items: center; gap: 6px 16px;
  padding: 10px 52px 10px 20px; border: 0; border-radius: 0; color: #fff;
  background: var(--accent);
  background: linear-gradient(90deg, var(--accent), color-mix(in srgb, var(--accent) 70%, #000));
  box-shadow: 0 4px 18px rgba(17, 24, 39, .2); animation-name: lc-bar-in;
}
@keyframes lc-bar-in { from { transform: translateY(-100%); } }
.at-bar .offer-img { display: none; }
.at-bar .offer-text { flex: 1 1 260px; min-width: 0; }
.at-bar .offer-title { padding: 0; font-size: 14.5px; }
.at-bar .offer-body { margin-top: 1px !important; color: inherit; opacity: .9; font-size: 13px; }
.at-bar .offer-actions { margin: 0; }
.at-bar .offer-btn.primary { background: #fff; color: var(--accent); min-height: 34px; }
.at-bar .offer-x { top: 50%; transform: translateY(-50%); right: 10px; color: #fff; }
.at-bar .offer-x:hover { background: rgba(255, 255, 255, .18); color: #fff; }

/* A dialog in the middle of the page. */
.offer-backdrop {
  position: fixed; inset: 0; display: grid; place-items: center; padding: 16px;
  background: rgba(17, 24, 39, .45); animation: lc-fade .18s ease-out;
}
@keyframes lc-fade { from { opacity: 0; } }
.offer.at-modal {
  position: relative; right: auto; bottom: auto; width: 420px; max-width: 100%;
  max-height: calc(100vh - 32px); overflow-y: auto; padding: 20px; border: 0;
}
.at-modal .offer-img { width: calc(100% + 40px); margin: -20px -20px 16px; max-height: 220px; }
.at-modal .offer-title { font-size: 19px; }
.at-modal .offer-x { background: rgba(255, 255, 255, .85); }

@media (max-width: 480px) {
  .offer:not(.at-bar):not(.at-modal):not(.in-win) {
    right: 12px; left: 12px; width: auto; max-width: none; bottom: 90px;
  }
  .offer-btn { min-height: 44px; font-size: 15px; }
  .at-bar .offer-btn.primary { min-height: 36px; }
  .offer-chat_invite:not(.in-win)::after { right: 30px; }
}
@media (prefers-reduced-motion: reduce) {
  .offer, .offer-backdrop { animation: none; }
}
`;
