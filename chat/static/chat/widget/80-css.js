// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ styles

  const CSS_TEXT = `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap;
}
.lc {
  --accent: #4f46e5; --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --soft: #f4f5f7;
  font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", "Apple SD Gothic Neo",
    "Malgun Gothic", "Noto Sans KR", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); -webkit-font-smoothing: antialiased;
}
button { font: inherit; cursor: pointer; }
button:disabled { cursor: default; opacity: .55; }
.icon { display: inline-grid; place-items: center; }
.icon svg { width: 100%; height: 100%; }

.launcher {
  position: fixed; right: 20px; bottom: 20px; width: 60px; height: 60px; padding: 0;
  border: 0; border-radius: 50%; background: var(--accent); color: #fff;
  display: grid; place-items: center;
  box-shadow: 0 10px 30px rgba(17, 24, 39, .28); transition: transform .15s ease;
}
.launcher:hover { transform: scale(1.06); }
.launcher:focus-visible {
  outline: 3px solid color-mix(in srgb, var(--accent) 40%, white); outline-offset: 3px;
}
.launcher .icon {
  grid-area: 1 / 1; width: 28px; height: 28px; transition: transform .2s ease, opacity .2s ease;
}
.launcher .i-close { opacity: 0; transform: rotate(-90deg) scale(.6); width: 24px; height: 24px; }
.is-open .launcher .i-chat { opacity: 0; transform: rotate(90deg) scale(.6); }
.is-open .launcher .i-close { opacity: 1; transform: none; }
.badge {
  position: absolute; top: -3px; right: -3px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; border: 2px solid #fff; background: #ef4444; color: #fff;
  font-size: 12px; font-weight: 700; line-height: 18px; text-align: center;
}

.win {
  position: fixed; right: 20px; bottom: 94px; width: 376px;
  height: min(640px, calc(100vh - 118px)); display: none; flex-direction: column;
  overflow: hidden; background: #fff; border-radius: 18px;
  box-shadow: 0 16px 50px rgba(17, 24, 39, .24), 0 2px 8px rgba(17, 24, 39, .08);
}
.is-open .win { display: flex; animation: lc-pop .18s ease-out; }
@keyframes lc-pop { from { opacity: 0; transform: translateY(14px) scale(.98); } }

.head {
  display: flex; align-items: center; gap: 12px; padding: 16px 14px 16px 18px; color: #fff;
  background: var(--accent); /* for browsers without color-mix() */
  background: linear-gradient(135deg, var(--accent), color-mix(in srgb, var(--accent) 70%, #000));
}
.avatar {
  position: relative; flex: none; width: 42px; height: 42px; border-radius: 50%;
  display: grid; place-items: center; background: rgba(255, 255, 255, .2);
  font-weight: 700; font-size: 15px; letter-spacing: .02em;
}
.avatar .icon { width: 22px; height: 22px; }
.avatar.online::after {
  content: ""; position: absolute; right: 0; bottom: 0; width: 11px; height: 11px;
  border-radius: 50%; background: #22c55e; border: 2px solid #fff;
}
.who { flex: 1; min-width: 0; }
.name {
  font-size: 16px; font-weight: 700; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis;
}
.sub {
  font-size: 12.5px; opacity: .85; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis;
}
.head button {
  border: 0; color: inherit; background: rgba(255, 255, 255, .16); border-radius: 9px;
}
.head button:hover:not(:disabled) { background: rgba(255, 255, 255, .28); }
.end { padding: 6px 10px; font-size: 12.5px; font-weight: 600; white-space: nowrap; }
.min { width: 34px; height: 34px; padding: 7px; display: grid; place-items: center; }

.conn {
  padding: 7px 16px; background: #fef3c7; color: #92400e; font-size: 12.5px; text-align: center;
}
.log {
  flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 16px 14px 10px;
  background: var(--soft);
}
.greeting {
  max-width: 85%; padding: 10px 14px; border-radius: 18px 18px 18px 6px;
  background: #fff; border: 1px solid var(--line); margin-bottom: 6px;
}

.msg { display: flex; flex-direction: column; align-items: flex-start; margin-top: 12px; }
.msg.cont { margin-top: 3px; }
.msg.from-visitor { align-items: flex-end; }
.msg.from-system, .msg.from-event { align-items: center; }
.sender { margin: 0 6px 3px; font-size: 12px; color: var(--muted); }
.cont .sender { display: none; }
.bubble {
  max-width: 82%; padding: 9px 13px; border-radius: 18px; background: #fff;
  border: 1px solid var(--line); white-space: pre-wrap; overflow-wrap: anywhere;
}
.from-agent .bubble { border-bottom-left-radius: 6px; }
.from-visitor .bubble {
  background: var(--accent); color: #fff; border-color: transparent;
  border-bottom-right-radius: 6px;
}
.from-system .bubble, .from-event .bubble {
  background: transparent; border: 0; padding: 2px 10px; color: var(--muted);
  font-size: 12.5px; text-align: center;
}
.msg[data-state="sending"] .bubble { opacity: .6; }
.msg[data-state="failed"] .bubble { background: #fee2e2; color: #991b1b; }
.msg[data-state="failed"] .meta { color: #b91c1c; text-decoration: underline; cursor: pointer; }
.meta { margin: 3px 8px 0; font-size: 11px; color: var(--muted); }
.meta:empty { display: none; }

.card { width: 250px; padding: 0; overflow: hidden; white-space: normal; }
.card img {
  display: block; width: 100%; height: 150px; object-fit: cover; background: var(--line);
}
.card-body { padding: 11px 13px 13px; }
.card-title { font-weight: 700; }
.card-text { margin-top: 3px; color: var(--muted); font-size: 13px; white-space: pre-wrap; }
.card-price { margin-top: 6px; font-weight: 700; color: var(--accent); }
.card-btn {
  display: block; margin-top: 10px; padding: 8px 10px; border-radius: 10px; text-align: center;
  background: var(--accent); color: #fff; font-weight: 600; text-decoration: none;
}
.form { white-space: normal; }
.form-title { font-weight: 700; }
.form-fields { margin: 6px 0 0; padding-left: 18px; color: var(--muted); }

.typing {
  display: flex; align-items: center; gap: 8px; margin-top: 12px; color: var(--muted);
  font-size: 12.5px;
}
.dots {
  display: inline-flex; gap: 3px; padding: 9px 11px; background: #fff;
  border: 1px solid var(--line); border-radius: 14px;
}
.dots i {
  width: 6px; height: 6px; border-radius: 50%; background: #9ca3af;
  animation: lc-blink 1.2s infinite ease-in-out;
}
.dots i:nth-child(2) { animation-delay: .15s; }
.dots i:nth-child(3) { animation-delay: .3s; }
@keyframes lc-blink {
  0%, 60%, 100% { opacity: .35; transform: none; }
  30% { opacity: 1; transform: translateY(-2px); }
}

.queue {
  padding: 9px 16px; background: #eef2ff; color: #3730a3;
  background: color-mix(in srgb, var(--accent) 9%, white);
  color: color-mix(in srgb, var(--accent) 75%, black); font-size: 13px; font-weight: 500;
  border-top: 1px solid var(--line);
}
.notice {
  padding: 8px 16px; background: #fef2f2; color: #991b1b; font-size: 13px;
  border-top: 1px solid #fecaca;
}
.composer {
  display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px 12px;
  border-top: 1px solid var(--line); background: #fff;
}
.composer textarea {
  flex: 1; min-height: 42px; max-height: 120px; resize: none; margin: 0; padding: 10px 13px;
  border: 1px solid var(--line); border-radius: 14px; outline: none; background: #fff;
  font: inherit; line-height: 1.4; color: inherit;
}
.composer textarea:focus {
  border-color: var(--accent);
  box-shadow: 0 0 0 3px color-mix(in srgb, var(--accent) 18%, transparent);
}
.send {
  flex: none; height: 42px; display: inline-flex; align-items: center; gap: 6px; padding: 0 14px;
  border: 0; border-radius: 14px; background: var(--accent); color: #fff; font-weight: 600;
}
.send .icon { width: 16px; height: 16px; }
.ended { padding: 16px; text-align: center; border-top: 1px solid var(--line); background: #fff; }
.ended p { margin: 0 0 10px; color: var(--muted); }
.new-chat {
  padding: 10px 18px; border: 0; border-radius: 12px; background: var(--accent); color: #fff;
  font-weight: 600;
}

@media (max-width: 480px) {
  .win { inset: 0; width: 100%; height: 100%; height: 100dvh; border-radius: 0; }
  .is-open .launcher { display: none; }
  .composer textarea { font-size: 16px; } /* below 16px iOS zooms into the page */
  .send-label { display: none; }
  .send { width: 42px; justify-content: center; padding: 0; }
}
@media (prefers-reduced-motion: reduce) {
  .is-open .win, .dots i, .launcher, .launcher .icon { animation: none; transition: none; }
}
`;
