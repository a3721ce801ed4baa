// Centre and right columns: the selected conversation (header, messages, typing,
// composer with note and card), the transfer and card dialogs, the visitor panel.

import { $, fmtDateTime, fmtDuration, h, region } from "./dom.js";
import { JourneyPanel } from "./journey.js";
import { MessageList } from "./messages.js";

const STATUS_TEXT = {
  active: "Active",
  waiting: "Visitor away",
  queued: "Queued",
  closed: "Closed",
};

const PRESENCE_TEXT = { online: "Online", away: "Away", offline: "Offline" };

export class ChatView {
  constructor({ store, session, config }) {
    this.store = store;
    this.session = session;
    this.maxChars = config.maxTextChars || 4000;
    this.list = new MessageList({ el: region("messages"), store, session });
    this.input = region("composer-input");
    this.input.maxLength = this.maxChars;
    this.currentId = null;
    this.closeArmed = null;
    this.bindComposer();
    this.bindActions();
    this.bindCardDialog();
    this.bindLeadForm();
    this.transferDialog = region("transfer-dialog");
    this.journey = new JourneyPanel();
  }

  get chat() {
    return this.store.selected;
  }

  bindComposer() {
    const form = region("composer");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      // isComposing: Enter that ends a Korean/Japanese IME composition is not "send".
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      const chat = this.chat;
      if (!chat) return;
      chat.draft = this.input.value;
      this.autosize();
      if (!chat.noteMode && this.input.value.trim()) this.session.typing(chat.id, true);
      this.updateHint();
    });
    $("[data-action=note]").addEventListener("click", () => {
      const chat = this.chat;
      if (!chat) return;
      chat.noteMode = !chat.noteMode;
      if (chat.noteMode) this.session.typing(chat.id, false);
      this.render();
      this.input.focus();
    });
  }

  submit() {
    const chat = this.chat;
    const body = this.input.value;
    if (!chat || !chat.isOpen || !body.trim()) return;
    this.session.send(chat.id, { kind: chat.noteMode ? "note" : "text", body });
    chat.draft = "";
    this.input.value = "";
    this.autosize();
    this.updateHint();
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 180)}px`;
  }

  updateHint() {
    const left = this.maxChars - this.input.value.length;
    const chat = this.chat;
    const hint = region("composer-hint");
    if (left < 200) hint.textContent = `${left} characters left`;
    else if (chat && chat.noteMode) hint.textContent = "Internal note: only counselors see it";
    else hint.textContent = "Enter to send · Shift+Enter for a new line";
  }

  bindActions() {
    $("[data-action=close]").addEventListener("click", (event) => {
      const chat = this.chat;
      if (!chat) return;
      // Two steps instead of a blocking confirm(): the first click arms the button.
      if (this.closeArmed !== chat.id) {
        this.closeArmed = chat.id;
        event.currentTarget.textContent = "Confirm close";
        clearTimeout(this.closeTimer);
        this.closeTimer = setTimeout(() => {
          this.closeArmed = null;
          this.render();
        }, 4000);
        return;
      }
      this.closeArmed = null;
      this.session.close(chat.id);
      this.render();
    });
    $("[data-action=dismiss]").addEventListener("click", () => {
      const chat = this.chat;
      if (!chat) return;
      this.list.forget(chat.id);
      this.session.dismiss(chat.id);
    });
    $("[data-action=transfer]").addEventListener("click", () => this.openTransfer());
    this.transferTargets = (event) => {
      const button = event.target.closest("[data-target]");
      const chat = this.chat;
      if (!button || !chat) return;
      const [kind, id] = button.dataset.target.split(":");
      this.session.transfer(
        chat.id,
        kind === "team" ? { team: Number(id) } : { counselor: Number(id) },
      );
      this.transferDialog.close();
    };
    region("transfer-colleagues").addEventListener("click", this.transferTargets);
    region("transfer-teams").addEventListener("click", this.transferTargets);
  }

  openTransfer() {
    const chat = this.chat;
    if (!chat) return;
    this.session.refresh(); // colleagues' statuses as of now; the list re-renders on hello
    this.renderTransferTargets();
    this.transferDialog.showModal();
  }

  renderTransferTargets() {
    const chat = this.chat;
    if (!chat) return;
    const colleagues = this.store.colleagues.slice().sort((a, b) => a.name.localeCompare(b.name));
    region("transfer-colleagues").replaceChildren(
      ...(colleagues.length
        ? colleagues.map((c) =>
            h(
              "li",
              {},
              h(
                "button",
                {
                  type: "button",
                  className: "target",
                  // `online` also requires a recent heartbeat (server-side grace).
                  disabled: !c.online,
                  dataset: { target: `counselor:${c.id}` },
                },
                h("span", { className: `status-dot dot-${c.status}`, "aria-hidden": "true" }),
                h("span", { className: "target-name", text: c.name }),
                h("span", {
                  className: "target-note",
                  text: c.status === "online" && !c.online ? "Not seen recently" : PRESENCE_TEXT[c.status] || c.status,
                }),
              ),
            ),
          )
        : [h("li", { className: "side-empty" }, "No colleagues on this site.")]),
    );
    const teams = ((this.store.me && this.store.me.teams) || []).filter(
      (t) => t.site === chat.conv.site.id,
    );
    region("transfer-teams").replaceChildren(
      ...(teams.length
        ? teams.map((t) =>
            h(
              "li",
              {},
              h(
                "button",
                { type: "button", className: "target", dataset: { target: `team:${t.id}` } },
                h("span", { className: "target-name", text: t.name }),
                h("span", { className: "target-note" }, "Back to queue"),
              ),
            ),
          )
        : [h("li", { className: "side-empty" }, "You are in no team of this site.")]),
    );
  }

  bindLeadForm() {
    // The form itself (fields, privacy notice) is the site's, built on the server.
    $("[data-action=lead-form]").addEventListener("click", () => {
      const chat = this.chat;
      if (!chat || !chat.isOpen) return;
      this.session.send(chat.id, { kind: "lead_form", body: "Lead form" });
    });
  }

  bindCardDialog() {
    const dialog = region("card-dialog");
    const form = region("card-form");
    $("[data-action=card]").addEventListener("click", () => {
      if (!this.chat || !this.chat.isOpen) return;
      form.reset();
      dialog.showModal();
    });
    $("[data-action=card-cancel]").addEventListener("click", () => dialog.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chat = this.chat;
      if (!chat || !form.reportValidity()) return;
      const data = new FormData(form);
      const value = (name) => String(data.get(name) || "").trim() || null;
      const payload = {
        title: value("title"),
        text: value("text"),
        price: value("price"),
        button: value("button"),
        url: value("url"),
        image: value("image"),
      };
      this.session.send(chat.id, { kind: "card", body: payload.title, payload });
      dialog.close();
    });
  }

  render() {
    const chat = this.chat;
    region("conv-empty").hidden = Boolean(chat);
    region("conv-body").hidden = !chat;
    this.renderDetails(chat);
    if (!chat) {
      this.currentId = null;
      return;
    }
    const switched = this.currentId !== chat.id;
    this.currentId = chat.id;
    region("conv-title").textContent = chat.visitorName;
    const pill = region("conv-status");
    pill.textContent = chat.returned ? "Visitor is back" : STATUS_TEXT[chat.status] || chat.status;
    pill.dataset.status = chat.returned ? "returned" : chat.status;

    const open = chat.isOpen;
    const closeBtn = $("[data-action=close]");
    closeBtn.hidden = !open;
    closeBtn.textContent = this.closeArmed === chat.id ? "Confirm close" : "Close chat";
    $("[data-action=transfer]").hidden = !open;
    $("[data-action=dismiss]").hidden = open;
    region("composer").hidden = !open;
    region("closed-note").hidden = open;

    this.list.render(chat);
    const typing = region("typing");
    typing.textContent = chat.visitorTyping ? `${chat.visitorName} is typing…` : "";

    const noteBtn = $("[data-action=note]");
    noteBtn.setAttribute("aria-pressed", String(chat.noteMode));
    region("composer").classList.toggle("is-note", chat.noteMode);
    this.input.placeholder = chat.noteMode ? "Write an internal note…" : "Write a reply…";
    region("send-btn").textContent = chat.noteMode ? "Add note" : "Send";
    this.updateHint();
    if (switched) {
      this.input.value = chat.draft;
      this.autosize();
      this.updateHint();
      if (open) this.input.focus({ preventScroll: true });
    }
    if (this.transferDialog.open) this.renderTransferTargets();
  }

  renderDetails(chat) {
    const body = region("details-body");
    this.journey.show(chat ? chat.conv.visitor.public_id : null);
    if (!chat) {
      this.detailsKey = null;
      body.replaceChildren(
        h("p", { className: "side-empty" }, "Select a chat to see the visitor."),
      );
      return;
    }
    const conv = chat.conv;
    const team = ((this.store.me && this.store.me.teams) || []).find((t) => t.id === conv.team);
    // Until the first counselor came: assigned_at and queued_at move with every
    // transfer and requeue.
    const waited =
      conv.created_at && conv.first_assigned_at
        ? fmtDuration(new Date(conv.first_assigned_at) - new Date(conv.created_at))
        : null;
    const rows = [
      ["Name", conv.visitor.name],
      ["Language", conv.visitor.language || "Unknown"],
      ["Site", conv.site.name],
      ["Team", team ? team.name : "Any"],
      ["Channel", conv.channel],
      ["Status", chat.returned ? "Visitor is back" : STATUS_TEXT[conv.status] || conv.status],
      ["Started", fmtDateTime(conv.created_at)],
      ["Waited in queue", waited],
      ["Closed", conv.closed_at ? fmtDateTime(conv.closed_at) : null],
      ["Chat", `#${conv.id}`],
      ["Visitor ID", String(conv.visitor.public_id || "").slice(0, 8)],
    ];
    // Rebuilt only when something shown changed, so selecting text there works.
    const key = JSON.stringify(rows);
    if (key === this.detailsKey) return;
    this.detailsKey = key;
    body.replaceChildren(
      h(
        "div",
        { className: "visitor-card" },
        h("div", { className: "visitor-name", text: conv.visitor.name }),
        h("div", { className: "muted", text: conv.site.name }),
      ),
      h(
        "dl",
        { className: "facts" },
        rows.filter(([, v]) => v).map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]),
      ),
      this.journey.el, // kept across rebuilds; it refreshes itself (journey.js)
    );
  }
}
