// Getting the counselor's attention: toasts, the title badge (seen from another
// tab), a flashing title while a visitor who came back waits, and a short chime.

import { h } from "./dom.js";

const SOUND_KEY = "console.sound";

export class Alerts {
  constructor({ toastRegion, baseTitle }) {
    this.toastRegion = toastRegion;
    this.baseTitle = baseTitle;
    this.flashTimer = null;
    this.flashOn = false;
    this.badge = "";
    this.audio = null;
    // Browsers only let a page play sound after a user gesture.
    const unlock = () => {
      this.ensureAudio();
      window.removeEventListener("pointerdown", unlock);
      window.removeEventListener("keydown", unlock);
    };
    window.addEventListener("pointerdown", unlock);
    window.addEventListener("keydown", unlock);
  }

  get soundOn() {
    return localStorage.getItem(SOUND_KEY) !== "off";
  }

  set soundOn(value) {
    localStorage.setItem(SOUND_KEY, value ? "on" : "off");
  }

  toast(text, kind = "info") {
    const close = h(
      "button",
      { type: "button", className: "toast-close", "aria-label": "Dismiss" },
      "×",
    );
    const el = h(
      "div",
      { className: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
      h("span", { className: "toast-text", text }),
      close,
    );
    const remove = () => el.remove();
    close.addEventListener("click", remove);
    this.toastRegion.appendChild(el);
    setTimeout(remove, kind === "error" ? 9000 : 6000);
    while (this.toastRegion.children.length > 4) this.toastRegion.firstElementChild.remove();
  }

  // unread: visitor messages not yet read; returned: chats whose visitor came back.
  setTitle(unread, returned) {
    this.badge = unread > 0 ? `(${unread}) ` : "";
    if (returned > 0 && !this.flashTimer) {
      this.flashTimer = setInterval(() => {
        this.flashOn = !this.flashOn;
        this.applyTitle();
      }, 1000);
      this.flashOn = true;
    } else if (returned === 0 && this.flashTimer) {
      clearInterval(this.flashTimer);
      this.flashTimer = null;
      this.flashOn = false;
    }
    this.applyTitle();
  }

  applyTitle() {
    document.title = this.flashOn
      ? `● Visitor is back — ${this.baseTitle}`
      : `${this.badge}${this.baseTitle}`;
  }

  ensureAudio() {
    if (this.audio) return this.audio;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    try {
      this.audio = new Ctx();
    } catch (err) {
      this.audio = null;
    }
    return this.audio;
  }

  chime(kind) {
    if (!this.soundOn || !this.audio || this.audio.state !== "running") return;
    const notes = {
      returned: [880, 1175, 1397],
      new_chat: [660, 880],
      queue: [523],
      message: [740],
    };
    const ctx = this.audio;
    let at = ctx.currentTime;
    for (const freq of notes[kind] || notes.message) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.3);
      at += 0.14;
    }
  }

  // Restart a CSS flash animation on an element.
  flash(el) {
    if (!el) return;
    el.classList.remove("flash");
    void el.offsetWidth; // reflow, so the animation starts again
    el.classList.add("flash");
  }
}
