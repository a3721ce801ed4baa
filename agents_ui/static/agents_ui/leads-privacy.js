// Managers only: one person's data, found by phone or e-mail in a site. Export it
// (a JSON download) or erase it (typed confirmation; shows what was removed).

import { $, h, region } from "./dom.js";

const CONFIRM_WORD = "ERASE";
// What person-erase reports, by key: [one, many, what the row stands for].
const REMOVED = {
  leads: ["lead", "leads", "Leads, with their history, consents and submissions"],
  submissions: ["other submission", "other submissions", "Other submissions with this contact"],
  visitors: ["chat visitor", "chat visitors", "Chat visitors, with their chats"],
  form_replies: ["chat form reply", "chat form replies", "In-chat form replies (blanked)"],
};

export class PrivacyDialog {
  constructor({ config, api, onErased }) {
    this.config = config;
    this.api = api;
    this.onErased = onErased;
    this.dialog = region("privacy-dialog");
    this.form = region("privacy-form");
    this.eraseBox = region("erase-box");
    this.result = region("privacy-result");
    const els = this.form.elements;
    els.site.append(...config.sites.map((site) => h("option", { value: site.id }, site.name)));
    region("privacy-site-field").hidden = config.sites.length < 2;
    this.form.addEventListener("submit", (event) => event.preventDefault());
    $("[data-action=privacy-close]", this.form).addEventListener("click", () =>
      this.dialog.close(),
    );
    $("[data-action=person-export]", this.form).addEventListener("click", () => this.export());
    $("[data-action=erase-start]", this.form).addEventListener("click", () => this.startErase());
    $("[data-action=erase-cancel]", this.form).addEventListener("click", () => this.cancelErase());
    $("[data-action=erase]", this.form).addEventListener("click", () => this.erase());
    els.confirm.addEventListener("input", () => {
      $("[data-action=erase]", this.form).disabled = els.confirm.value.trim() !== CONFIRM_WORD;
    });
    els.person.addEventListener("input", () => this.cancelErase());
    els.site.addEventListener("change", () => this.cancelErase());
  }

  open({ site, person } = {}) {
    const els = this.form.elements;
    if (site) els.site.value = String(site);
    els.person.value = person || "";
    this.cancelErase();
    this.say(null);
    this.dialog.showModal();
    els.person.focus();
  }

  person() {
    const els = this.form.elements;
    const value = els.person.value.trim();
    if (!value) {
      this.say("Enter the person's phone number or e-mail address.", "error");
      els.person.focus();
      return null;
    }
    const key = value.includes("@") ? "email" : "phone";
    return { site: Number(els.site.value), [key]: value };
  }

  busy(on) {
    for (const el of this.form.querySelectorAll("button, input, select")) {
      if (el.dataset.action === "erase" && !on) {
        el.disabled = this.form.elements.confirm.value.trim() !== CONFIRM_WORD;
      } else {
        el.disabled = on;
      }
    }
  }

  async export() {
    const person = this.person();
    if (!person) return;
    this.busy(true);
    this.say("Collecting the data…");
    try {
      const data = await this.api.personExport(person);
      const leads = data.leads.length;
      const chats = data.conversations.length;
      if (!leads && !chats) {
        this.say("Nothing is held about this person on this site.");
        return;
      }
      download(data, `personal-data-${stamp()}.json`);
      this.say(
        `Downloaded: ${plural(leads, "lead", "leads")} and ${plural(chats, "chat", "chats")}.`,
        "ok",
      );
    } catch (err) {
      this.say(err.message, "error");
    } finally {
      this.busy(false);
    }
  }

  startErase() {
    if (!this.person()) return;
    this.say(null);
    this.eraseBox.hidden = false;
    this.form.elements.confirm.value = "";
    $("[data-action=erase]", this.form).disabled = true;
    this.form.elements.confirm.focus();
  }

  cancelErase() {
    this.eraseBox.hidden = true;
    this.form.elements.confirm.value = "";
  }

  async erase() {
    const person = this.person();
    if (!person || this.form.elements.confirm.value.trim() !== CONFIRM_WORD) return;
    this.busy(true);
    try {
      const { removed } = await this.api.personErase(person);
      this.cancelErase();
      const parts = Object.entries(REMOVED)
        .filter(([key]) => removed[key])
        .map(([key, [one, many]]) => plural(removed[key], one, many));
      if (parts.length) this.say(`Erased: ${parts.join(", ")}.`, "ok", removed);
      else this.say("Nothing was held about this person on this site.");
      this.onErased(removed);
    } catch (err) {
      this.say(err.message, "error");
    } finally {
      this.busy(false);
    }
  }

  say(text, kind, removed) {
    this.result.hidden = !text;
    this.result.className = `privacy-result ${kind ? `is-${kind}` : ""}`;
    this.result.setAttribute("role", kind === "error" ? "alert" : "status");
    this.result.replaceChildren();
    if (!text) return;
    this.result.append(h("p", { text }));
    if (removed) {
      this.result.append(
        h(
          "dl",
          { className: "facts removed" },
          Object.entries(REMOVED).map(([key, [, , label]]) => [
            h("dt", {}, label),
            h("dd", { dataset: { removed: key } }, String(removed[key] || 0)),
          ]),
        ),
      );
    }
  }
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function stamp() {
  return new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
}

function download(data, filename) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
