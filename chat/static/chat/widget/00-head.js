// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
/*
 * Live chat widget. Embed on any page with
 *
 *   <script src="https://chat.example/widget.js" data-site-key="pk_..." async></script>
 *
 * Options on the tag: data-lang="ko|en", data-open="true", data-title="Shop name",
 * data-color="#4f46e5", data-track-pages="manual" (no automatic page views). Host page
 * API: window.LiveChat.open() / close() / toggle(), and the tracking calls of
 * 68-track.js (page, search, cartAdd, cartRemove, checkout, purchase, identify, push).
 *
 * A classic script, not a module: host pages (hosted shop platforms included) load it
 * with a plain tag, and one self-contained file served at a stable URL cannot drift
 * out of step with parts of itself. The source is kept as fragments
 * (chat/static/chat/widget/NN-name.js) sharing this one function scope: this one
 * opens it, 90-boot.js closes it, and chat.views.widget_loader joins them in name
 * order, with the stylesheets NN-name.css as string constants (CSS_NAME).
 * Functions may use anything of any fragment (boot() runs last); top-level
 * statements only what earlier fragments declared. The UI lives in an open Shadow DOM so
 * the page's CSS cannot reach it. Frames are those of chat/consumers/visitor.py
 * (docs/protocol.md).
 */
(() => {
  "use strict";

  // A page that includes the tag twice must not get two launchers.
  if (window.LiveChat && window.LiveChat.version) return;
