// One entry of a lead's timeline, in words: what happened, who did it, when.

import { h } from "./dom.js";
import { fmtExact, fmtRelative, fmtShort } from "./leads-format.js";

// `labels` has statusLabel and sourceLabel maps (the drawer).
function describe(event, zone, labels) {
  const data = event.data || {};
  const status = (value) => labels.statusLabel[value] || value;
  const source = (value) => labels.sourceLabel[value] || value;
  switch (event.kind) {
    case "created":
      return ["Lead created", data.source ? `via ${source(data.source)}` : ""];
    case "submitted":
      return [
        "Submitted again",
        [
          data.source ? `via ${source(data.source)}` : "",
          data.callback_due_at ? `callback now due ${fmtShort(data.callback_due_at, zone)}` : "",
        ]
          .filter(Boolean)
          .join(" · "),
      ];
    case "status":
      return [`Status: ${status(data.from)} → ${status(data.to)}`, ""];
    case "assignee":
      if (!data.to) return [`Unassigned${data.from ? ` (was ${data.from})` : ""}`, ""];
      return [
        data.from ? `Reassigned from ${data.from} to ${data.to}` : `Assigned to ${data.to}`,
        "",
      ];
    case "callback":
      return data.to
        ? [
            `Callback set for ${fmtShort(data.to, zone)}`,
            data.from ? `was ${fmtShort(data.from, zone)}` : "",
          ]
        : ["Callback time cleared", data.from ? `was ${fmtShort(data.from, zone)}` : ""];
    case "note":
      return ["Note", ""];
    case "notified":
      return data.to
        ? ["Team notified", `${data.to} e-mail recipient${data.to === 1 ? "" : "s"}`]
        : ["Nobody e-mailed", "no team or manager e-mail address is set"];
    case "reminded":
      return ["Callback reminder sent", ""];
    case "overdue":
      return ["Callback overdue", "still new past the callback time"];
    default:
      return [event.kind, ""];
  }
}

export function timelineItem(event, { zone, labels }) {
  const [title, detail] = describe(event, zone, labels);
  return h(
    "li",
    { className: `event event-${event.kind}`, dataset: { kind: event.kind } },
    h("span", { className: "event-dot", "aria-hidden": "true" }),
    h(
      "div",
      { className: "event-body" },
      h(
        "div",
        { className: "event-line" },
        h("span", { className: "event-title" }, title),
        detail ? h("span", { className: "muted event-detail" }, detail) : null,
      ),
      event.kind === "note" ? h("p", { className: "event-text", text: event.text }) : null,
      h(
        "div",
        { className: "event-meta muted" },
        h("span", { className: "event-actor" }, event.actor || "System"),
        " · ",
        h(
          "time",
          { datetime: event.created_at, title: fmtExact(event.created_at, zone) },
          fmtRelative(event.created_at, zone),
        ),
      ),
    ),
  );
}
