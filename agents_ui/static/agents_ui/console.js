// Entry point of the counselor console: wires the socket, the session (protocol),
// the store (state) and the views together, and owns the top bar.

import { Alerts } from "./alerts.js";
import { ChatView } from "./chatview.js";
import { $, exposeForDebugging, h, region, setTimeZone } from "./dom.js";
import { Session } from "./session.js";
import { Sidebar } from "./sidebar.js";
import { ChatSocket, socketUrl } from "./socket.js";
import { Store } from "./store.js";
import { LiveVisitors } from "./visitors.js";

const config = JSON.parse(document.getElementById("console-config").textContent);
setTimeZone(config.timeZone); // every time shown: the site's zone, labelled
const store = new Store();
const alerts = new Alerts({ toastRegion: region("toasts"), baseTitle: document.title });
const socket = new ChatSocket(socketUrl(config.socket), { heartbeatSeconds: config.heartbeat });

let renderQueued = false;
const pageVisible = () => document.visibilityState === "visible";

const ui = {
  changed() {
    if (renderQueued) return;
    renderQueued = true;
    queueMicrotask(render);
  },
  toast(text, kind) {
    alerts.toast(text, kind);
  },
  alert(kind, chat) {
    const looking = chat && chat.id === store.selectedId && pageVisible() && document.hasFocus();
    if (kind === "returned" && looking) {
      chat.returned = false;
      alerts.flash($(".conv-header"));
    }
    if (kind === "message" && looking) return;
    alerts.chime(kind);
  },
};

const session = new Session({ socket, store, ui });
const sidebar = new Sidebar({ store, session, alerts });
const view = new ChatView({ store, session, config });
const visitors = new LiveVisitors({ toast: (text, kind) => alerts.toast(text, kind) });
// For the browser's console and the browser tests, under DEBUG only.
exposeForDebugging("consoleApp", { store, session, socket, visitors }, config);

function render() {
  renderQueued = false;
  renderTopBar();
  sidebar.render();
  view.render();
  alerts.setTitle(store.totalUnread(), store.returnedCount());
}

// --- top bar -------------------------------------------------------------

const connection = region("connection");
const statusSelect = $("[data-action=status]");

function connectionText() {
  const { state, retryAt } = socket.snapshot();
  if (state === "open")
    return session.ready ? ["open", "Connected"] : ["connecting", "Connecting…"];
  if (state === "reconnecting") {
    const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
    return ["reconnecting", socket.ws ? "Reconnecting…" : `Offline · retrying in ${seconds}s`];
  }
  if (state === "closed") return ["closed", "Disconnected"];
  return ["connecting", "Connecting…"];
}

function renderTopBar() {
  const [state, label] = connectionText();
  connection.dataset.state = state;
  const labelEl = $(".conn-label", connection);
  if (labelEl.textContent !== label) labelEl.textContent = label;
  $(".conn-retry", connection).hidden = state !== "reconnecting" || Boolean(socket.ws);
  const me = store.me || config.me;
  region("me-name").textContent = me.name;
  const status = (store.me && store.me.status) || "offline";
  if (document.activeElement !== statusSelect) statusSelect.value = status;
  statusSelect.disabled = !session.ready;
  region("status-wrap").dataset.status = status;
  const soundBtn = $("[data-action=toggle-sound]");
  soundBtn.setAttribute("aria-pressed", String(alerts.soundOn));
  region("sound-label").textContent = alerts.soundOn ? "Sound on" : "Sound off";
}

statusSelect.addEventListener("change", () => session.setStatus(statusSelect.value));
$("[data-action=retry-now]").addEventListener("click", () => socket.retryNow());
$("[data-action=toggle-sound]").addEventListener("click", () => {
  alerts.soundOn = !alerts.soundOn;
  ui.changed();
});

// --- a session that ended ------------------------------------------------
// A refused handshake looks like any network failure to the browser (code 1006),
// so after repeated failures ask the page itself whether we are still signed in.

let checkingSession = false;
async function checkSignedIn() {
  if (checkingSession) return;
  checkingSession = true;
  try {
    const response = await fetch(location.pathname, { redirect: "manual", cache: "no-store" });
    if (response.type === "opaqueredirect") signInAgain();
    else if (response.status === 403) endSession();
  } catch (err) {
    /* server unreachable: keep retrying */
  } finally {
    checkingSession = false;
  }
}

let leaving = false;

// Signed out (expired, or logged out in another tab): to the login page, which
// brings the counselor back here. Unsent replies wait in this tab's sessionStorage.
function signInAgain() {
  socket.close();
  leaving = true;
  const next = encodeURIComponent(location.pathname);
  location.assign(`${config.loginUrl || "/console/login/"}?next=${next}`);
}

// Signed in but not (any more) a counselor: say so instead of bouncing between pages.
function endSession() {
  socket.close();
  const banner = region("banner");
  const next = encodeURIComponent(location.pathname);
  banner.replaceChildren(
    h("span", {}, "This account can no longer use the console, so no chats arrive here. "),
    h("a", { href: `${config.loginUrl || "/console/login/"}?next=${next}` }, "Sign in again"),
  );
  banner.hidden = false;
}

socket.onState(({ state, attempt }) => {
  if (state === "reconnecting" && attempt >= 2) checkSignedIn();
});

// --- page life -----------------------------------------------------------

function onVisible() {
  if (!pageVisible()) return;
  const chat = store.selected;
  if (chat && chat.returned) chat.returned = false;
  session.markRead();
  socket.retryNow();
  ui.changed();
}
document.addEventListener("visibilitychange", onVisible);
window.addEventListener("focus", onVisible);
window.addEventListener("online", () => socket.retryNow());
window.addEventListener("beforeunload", (event) => {
  // Unsent replies survive a reload of this tab, not closing it.
  if (leaving) return;
  if ([...store.pending.values()].some((p) => p.state === "sending")) event.preventDefault();
});
setInterval(() => {
  sidebar.tick();
  renderTopBar();
}, 1000);

socket.connect();
visitors.start();
ui.changed();
