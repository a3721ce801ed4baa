// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ conversation

  // Take a conversation snapshot: a newer conversation replaces the current one
  // (and is fetched from the start), the same one is updated, an older one ignored.
  function adopt(snap) {
    if (!snap) return;
    if (!state.conv || snap.id > state.conv.id) {
      state.conv = { ...snap };
      state.seq = 0;
      state.messages.clear();
      state.events = [];
      state.readSent = 0;
      state.agentTyping = "";
      state.syncing = false;
      requestSync();
    } else if (snap.id === state.conv.id) {
      merge(snap);
    }
    saveCacheSoon();
  }

  function merge(snap) {
    const conv = state.conv;
    // Closed is final; a snapshot read just before the close must not reopen it.
    if (conv.status !== "closed") conv.status = snap.status;
    conv.agent = snap.agent;
    conv.closed_at = snap.closed_at || conv.closed_at;
    for (const field of ["last_seq", "agent_read_seq", "visitor_read_seq"]) {
      conv[field] = Math.max(conv[field] || 0, snap[field] || 0);
    }
    // Pushed snapshots carry no position; keep the last one heard while queued.
    conv.queue_position =
      conv.status === "queued" ? snap.queue_position ?? conv.queue_position : null;
  }

  function forgetConversation() {
    state.conv = null;
    state.seq = 0;
    state.messages.clear();
    state.events = [];
    save(local, "conversation", null);
  }

  function requestSync() {
    if (!state.ready || !state.conv) return;
    if (state.syncing) {
      state.syncAgain = true;
      return;
    }
    state.syncing = true;
    send({ type: "sync", conversation: state.conv.id, after_seq: state.seq, ref: "sync" });
  }

  function addMessages(list, { fromHistory = false } = {}) {
    let gap = false;
    for (const m of list) {
      if (!state.conv || m.conversation !== state.conv.id) continue;
      if (m.client_id && m.sender.kind === "visitor") finishPending(m.client_id);
      if (m.sender.kind === "agent") state.agentTyping = "";
      state.messages.set(m.seq, m);
      state.conv.last_seq = Math.max(state.conv.last_seq || 0, m.seq);
    }
    while (state.messages.has(state.seq + 1)) state.seq += 1;
    for (const m of list) if (m.seq > state.seq) gap = true;
    // A hole is either a lost frame or an internal note's seq; sync tells which.
    // (A history page settles its own holes.)
    if (gap && !fromHistory) requestSync();
    saveCacheSoon();
    markRead();
    render();
  }

  function lastAgentSeq() {
    let top = 0;
    for (const m of state.messages.values()) {
      if (m.sender.kind === "agent" && m.seq > top) top = m.seq;
    }
    return top;
  }

  function unreadCount() {
    if (!state.conv) return 0;
    const mark = Math.max(state.conv.visitor_read_seq || 0, state.readSent);
    let count = 0;
    for (const m of state.messages.values()) {
      if (m.sender.kind === "agent" && m.seq > mark) count += 1;
    }
    return count;
  }

  function markRead() {
    if (!isViewing() || !state.ready || !state.conv) return;
    const top = lastAgentSeq();
    if (top <= Math.max(state.readSent, state.conv.visitor_read_seq || 0)) return;
    if (send({ type: "read", conversation: state.conv.id, seq: top })) state.readSent = top;
  }
