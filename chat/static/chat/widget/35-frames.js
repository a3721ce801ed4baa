// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ frames in

  const HANDLERS = {
    hello(frame) {
      clearTimeout(timers.hello);
      state.ready = true;
      state.everReady = true;
      state.attempt = 0;
      save(local, "token", frame.visitor.token);
      if (frame.visitor.new && state.conv) forgetConversation();
      state.heartbeat = Math.max(1, Number(frame.heartbeat) || 20);
      Object.assign(state.limits, frame.limits || {});
      startHeartbeat();
      setAvailability(frame.availability);
      adopt(frame.conversation); // a new conversation is fetched from seq 0 here
      if (!state.syncing) requestSync(); // else: the same one, from where we are
      for (const item of state.pending.values()) if (!item.failed) transmit(item);
      chatFormResendAll(); // form submissions without an answer (77-chat-form.js)
      trackFlush(); // tracking events queued while there was no socket (68-track.js)
      render();
    },

    history(frame) {
      state.syncing = false;
      const snap = frame.conversation;
      if (state.conv && snap.id === state.conv.id) {
        merge(snap);
        const messages = frame.messages || [];
        addMessages(messages, { fromHistory: true });
        // The page is the record up to its last message; a full answer also covers
        // seqs taken by internal notes, which the visitor never receives.
        const last = messages.reduce((top, m) => Math.max(top, m.seq), 0);
        state.seq = Math.max(state.seq, last, frame.has_more ? 0 : snap.last_seq || 0);
        if (frame.has_more) state.syncAgain = true;
      }
      if (state.syncAgain) {
        state.syncAgain = false;
        requestSync();
      }
      saveCacheSoon();
      render();
    },

    message(frame) {
      const m = frame.message;
      if (!state.conv || m.conversation > state.conv.id) {
        send({ type: "ping" }); // a conversation we have not heard of: the pong names it
        return;
      }
      if (m.conversation === state.conv.id) addMessages([m]);
    },

    ack(frame) {
      if (chatFormAck(frame)) return render();
      const item = state.pending.get(frame.client_id);
      finishPending(frame.client_id);
      if (!state.conv || frame.conversation > state.conv.id) send({ type: "ping" });
      if (item && state.conv && frame.conversation === state.conv.id) {
        addMessages([
          {
            id: frame.id,
            conversation: frame.conversation,
            seq: frame.seq,
            sender: { kind: "visitor", name: "" },
            kind: "text",
            body: item.body,
            payload: null,
            client_id: frame.client_id,
            created_at: frame.created_at,
          },
        ]);
      }
      render();
    },

    conversation(frame) {
      const snap = frame.conversation;
      adopt(snap);
      if (frame.reason === "assigned" && snap.agent && state.conv.id === snap.id) {
        state.events.push({
          key: `e${state.events.length}`,
          order: (state.conv.last_seq || 0) + 0.5,
          text: t("agent_joined", { name: snap.agent.name }),
        });
      }
      if (snap.status === "closed" && state.conv.id === snap.id) state.agentTyping = "";
      render();
    },

    queue_position(frame) {
      if (state.conv && frame.conversation === state.conv.id) {
        state.conv.queue_position = frame.position;
        render();
      }
    },

    typing(frame) {
      if (frame.sender !== "agent" || !state.conv) return;
      if (frame.conversation !== state.conv.id) return;
      clearTimeout(timers.agentTyping);
      state.agentTyping = frame.typing
        ? frame.name || (state.conv.agent && state.conv.agent.name) || t("counselor")
        : "";
      if (frame.typing) {
        timers.agentTyping = setTimeout(() => {
          state.agentTyping = "";
          render();
        }, AGENT_TYPING_TIMEOUT_MS);
      }
      render();
    },

    read(frame) {
      if (!state.conv || frame.conversation !== state.conv.id) return;
      const field = frame.reader === "agent" ? "agent_read_seq" : "visitor_read_seq";
      state.conv[field] = Math.max(state.conv[field] || 0, frame.seq);
      saveCacheSoon();
      render();
    },

    pong(frame) {
      state.missedPongs = 0;
      setAvailability(frame.availability);
      const snap = frame.conversation;
      if (!snap) return;
      adopt(snap);
      // Frames lost while Redis restarted show up here as a higher last_seq.
      if (state.conv && snap.id === state.conv.id && snap.last_seq > state.seq) {
        requestSync();
      }
      render();
    },

    availability(frame) {
      setAvailability(frame.availability);
    },

    error(frame) {
      if (trackError(frame)) return; // a refused tracking event (68-track.js)
      if (chatFormError(frame)) return render();
      const item = frame.ref != null ? state.pending.get(String(frame.ref)) : null;
      if (frame.code === "rate_limited") {
        showNotice(t("error_rate"));
        // Refused unexecuted (the ref names the send, or nothing for the frame
        // budget). Sends are idempotent by client_id, so every unacknowledged one is
        // simply sent again a little later, and new ones wait for that, so that none
        // overtakes a refused one.
        clearTimeout(timers.rateRetry);
        state.holdSends = true;
        // Without a ref the refused frame may have been our `sync`.
        if (frame.ref == null) state.resyncAfterHold = true;
        timers.rateRetry = setTimeout(() => {
          state.holdSends = false;
          if (state.resyncAfterHold) {
            state.resyncAfterHold = false;
            state.syncing = false;
            requestSync();
          }
          for (const p of state.pending.values()) if (!p.failed) transmit(p);
          chatFormResendAll();
        }, RATE_RETRY_MS);
      } else if (frame.ref === "sync") {
        state.syncing = false;
        if (frame.code === "not_found") forgetConversation();
      } else if (item) {
        refuseSend(item, frame);
      } else if (frame.code === "too_large") {
        showNotice(t("error_too_long"));
      }
      render();
    },
  };
