"""A small chat client on `websockets` for tests against real servers.

It speaks the visitor and counselor socket protocols (chat/consumers) the way the
widget and the console do: every send carries a client id and is pending until acked;
received messages are merged into a timeline keyed by seq; a heartbeat (`ping`, whose
`pong` carries the latest seq) finds gaps and fills them with `sync`; a visitor that
lost its socket resumes with its token, resends what was never acked with the same
client ids, then syncs from the last seq it holds.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

_ids = itertools.count(1)


class ChatClient:
    def __init__(self, name: str, *, origin: str) -> None:
        self.name = name
        self.origin = origin
        self.ws: ClientConnection | None = None
        self.connections = 0
        self.frames: list[dict] = []
        # Live `message` frames per connection number: what the push delivered.
        self.live: dict[int, list[dict]] = {}
        self.timeline: dict[int, dict] = {}
        self.conflicts: list[tuple[dict, dict]] = []
        self.sent: list[str] = []  # client ids, in send order
        self.bodies: dict[str, str] = {}
        self.acks: dict[str, dict] = {}  # latest ack per client id
        self.ack_log: list[dict] = []
        self.errors: list[dict] = []
        self.close_codes: list[int | None] = []
        self.heartbeat_seconds = 20.0
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task | None = None
        self._heartbeat: asyncio.Task | None = None

    # -- transport ---------------------------------------------------------------

    async def _open(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.ws = await connect(
            url,
            origin=self.origin,
            additional_headers=headers,
            proxy=None,
            open_timeout=10,
            close_timeout=2,
        )
        self.connections += 1
        self.live[self.connections] = []
        self._reader = asyncio.create_task(self._read(self.ws, self.connections))

    async def _read(self, ws: ClientConnection, number: int) -> None:
        try:
            async for text in ws:
                self._on_frame(json.loads(text), number)
                async with self._changed:
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            self.close_codes.append(ws.close_code)
            async with self._changed:
                self._changed.notify_all()

    def _on_frame(self, frame: dict, number: int) -> None:
        self.frames.append(frame)
        kind = frame.get("type")
        if kind == "message":
            self.live[number].append(frame["message"])
            self._merge(frame["message"])
        elif kind == "history":
            for message in frame["messages"]:
                self._merge(message)
        elif kind == "ack":
            self.acks[frame["client_id"]] = frame
            self.ack_log.append(frame)
        elif kind == "error":
            self.errors.append(frame)

    def _merge(self, message: dict) -> None:
        known = self.timeline.get(message["seq"])
        if known is not None and known["id"] != message["id"]:
            self.conflicts.append((known, message))
        self.timeline[message["seq"]] = message

    @property
    def is_open(self) -> bool:
        return self.ws is not None and self.ws.state is State.OPEN

    async def send_frame(self, frame: dict) -> None:
        assert self.ws is not None, f"{self.name}: not connected"
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    # -- waiting -----------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        *,
        timeout: float,
        what: str | Callable[[], str],
    ) -> None:
        """`what` may be a callable, so the message shows what is still missing."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                what = what() if callable(what) else what
                raise AssertionError(
                    f"{self.name}: no {what} within {timeout}s; "
                    f"last frames: {self.frames[-5:]}; errors: {self.errors}"
                ) from None

    async def next_frame(
        self,
        kind: str,
        *,
        start: int,
        timeout: float = 10.0,
        match: Callable[[dict], bool] = lambda frame: True,
    ) -> dict:
        """The first frame of `kind` at index >= start that matches."""
        found: list[dict] = []

        def seen() -> bool:
            for frame in self.frames[start:]:
                if frame.get("type") == kind and match(frame):
                    found.append(frame)
                    return True
            return False

        await self.wait_for(seen, timeout=timeout, what=f"'{kind}' frame")
        return found[0]

    async def wait_acked(self, client_ids, *, timeout: float = 10.0) -> None:
        wanted = list(client_ids)
        await self.wait_for(
            lambda: all(cid in self.acks for cid in wanted),
            timeout=timeout,
            what=lambda: f"acks for {[c for c in wanted if c not in self.acks]}",
        )

    async def wait_live(self, client_ids, *, timeout: float = 10.0) -> None:
        """Until every one of `client_ids` arrived as a live `message` frame."""
        wanted = set(client_ids)

        def arrived() -> bool:
            got = {m["client_id"] for frames in self.live.values() for m in frames}
            return wanted <= got

        def missing() -> str:
            got = {m["client_id"] for frames in self.live.values() for m in frames}
            return f"live {sorted(wanted - got)}"

        await self.wait_for(arrived, timeout=timeout, what=missing)

    # -- bookkeeping ---------------------------------------------------------------

    def new_client_id(self) -> str:
        return f"{self.name}-{next(_ids)}-{time.monotonic_ns()}"

    def unacked(self) -> list[str]:
        return [cid for cid in self.sent if cid not in self.acks]

    def contiguous_seq(self) -> int:
        """The highest seq n such that 1..n are all held."""
        seq = 0
        while seq + 1 in self.timeline:
            seq += 1
        return seq

    def ordered(self) -> list[dict]:
        return [self.timeline[seq] for seq in sorted(self.timeline)]

    # -- resync ------------------------------------------------------------------

    def remote_last_seq(self, pong: dict, conversation: int) -> int:
        raise NotImplementedError

    async def sync(self, conversation: int, after_seq: int) -> list[dict]:
        """Fetch every message after `after_seq` (all pages); returns them in order."""
        messages: list[dict] = []
        while True:
            start = len(self.frames)
            await self.send_frame(
                {"type": "sync", "conversation": conversation, "after_seq": after_seq}
            )
            page = await self.next_frame(
                "history",
                start=start,
                match=lambda f: f["conversation"]["id"] == conversation,
            )
            messages += page["messages"]
            if not page["has_more"] or not page["messages"]:
                return messages
            after_seq = page["messages"][-1]["seq"]

    async def catch_up(self, conversation: int) -> int:
        """One heartbeat: ping, and sync when the pong shows seqs we do not hold."""
        start = len(self.frames)
        await self.send_frame({"type": "ping"})
        pong = await self.next_frame("pong", start=start)
        latest = self.remote_last_seq(pong, conversation)
        if self.contiguous_seq() < latest:
            await self.sync(conversation, self.contiguous_seq())
        return latest

    def start_heartbeat(self, conversation: int) -> None:
        async def beat() -> None:
            while self.is_open:
                await asyncio.sleep(self.heartbeat_seconds)
                try:
                    await self.catch_up(conversation)
                except ConnectionClosed:
                    return

        self._heartbeat = asyncio.create_task(beat())


class VisitorClient(ChatClient):
    def __init__(self, name: str, *, site_key: str, origin: str) -> None:
        super().__init__(name, origin=origin)
        self.site_key = site_key
        self.token: str | None = None
        self.hello: dict | None = None

    async def connect(self, ws_base: str) -> dict:
        """Open a socket and resume (with the stored token after the first time)."""
        await self._open(f"{ws_base}/ws/visitor/?site={self.site_key}")
        start = len(self.frames)
        frame = {"type": "resume"}
        if self.token:
            frame["token"] = self.token
        await self.send_frame(frame)
        self.hello = await self.next_frame("hello", start=start)
        self.token = self.hello["visitor"]["token"]
        self.heartbeat_seconds = self.hello["heartbeat"]
        return self.hello

    async def send(self, body: str, *, client_id: str | None = None) -> str:
        cid = client_id or self.new_client_id()
        if cid not in self.bodies:
            self.sent.append(cid)
            self.bodies[cid] = body
        await self.send_frame(
            {"type": "send", "client_id": cid, "body": body, "ref": cid}
        )
        return cid

    async def reconnect(self, ws_base: str, conversation: int) -> list[str]:
        """What the widget does after its socket died: resume on whichever server
        answers, resend unacked sends with their client ids, then sync. Returns the
        client ids it resent."""
        if self.ws is not None and self.ws.state is not State.CLOSED:
            await self.ws.close()
        await self.connect(ws_base)
        resent = self.unacked()
        for cid in resent:
            await self.send(self.bodies[cid], client_id=cid)
        await self.sync(conversation, self.contiguous_seq())
        return resent

    def remote_last_seq(self, pong: dict, conversation: int) -> int:
        snapshot = pong.get("conversation")
        if not snapshot or snapshot["id"] != conversation:
            return 0
        return snapshot["last_seq"]


class CounselorClient(ChatClient):
    def __init__(self, name: str, *, session_cookie: str, origin: str) -> None:
        super().__init__(name, origin=origin)
        self.session_cookie = session_cookie
        self.hello: dict | None = None

    async def connect(self, ws_base: str) -> dict:
        # The server speaks first here (hello on connect), so mark before opening.
        start = len(self.frames)
        await self._open(
            f"{ws_base}/ws/agent/", {"Cookie": f"sessionid={self.session_cookie}"}
        )
        self.hello = await self.next_frame("hello", start=start)
        self.heartbeat_seconds = self.hello["heartbeat"]
        return self.hello

    async def send(
        self, conversation: int, body: str, *, client_id: str | None = None
    ) -> str:
        cid = client_id or self.new_client_id()
        if cid not in self.bodies:
            self.sent.append(cid)
            self.bodies[cid] = body
        await self.send_frame(
            {
                "type": "send",
                "conversation": conversation,
                "client_id": cid,
                "body": body,
                "ref": cid,
            }
        )
        return cid

    def remote_last_seq(self, pong: dict, conversation: int) -> int:
        state = pong.get("conversations", {}).get(str(conversation))
        return state["last_seq"] if state else 0


@dataclass
class Chat:
    """A visitor and the counselor their conversation was routed to."""

    visitor: VisitorClient
    counselor: CounselorClient
    conversation: int
    visitor_pk: int

    @classmethod
    async def open(
        cls,
        *,
        visitor: VisitorClient,
        visitor_ws: str,
        counselor: CounselorClient,
        counselor_ws: str,
    ) -> Chat:
        """The counselor connects first (online, so auto-assignment picks them);
        the visitor's first message starts the conversation."""
        await counselor.connect(counselor_ws)
        await visitor.connect(visitor_ws)
        first = await visitor.send("hello, is anyone there?")
        await visitor.wait_acked([first])
        conversation = visitor.acks[first]["conversation"]
        me = counselor.hello["me"]["id"]
        assigned = await counselor.next_frame(
            "conversation",
            start=0,
            match=lambda f: f["conversation"]["id"] == conversation
            and (f["conversation"]["assignee"] or {}).get("id") == me,
        )
        # Settle: every frame the start published has been pushed to both sides.
        await counselor.wait_live([first])
        await visitor.wait_live([first])
        visitor_pk = assigned["conversation"]["visitor"]["id"]
        return cls(visitor, counselor, conversation, visitor_pk)

    async def exchange(
        self, count: int, *, label: str, gap: float = 0.01
    ) -> tuple[list[str], list[str]]:
        """Both sides send `count` messages at once; returns (visitor ids,
        counselor ids) once every one is acked."""

        async def visitor_side() -> list[str]:
            ids = []
            for i in range(count):
                ids.append(await self.visitor.send(f"{label}: visitor {i}"))
                await asyncio.sleep(gap)
            return ids

        async def counselor_side() -> list[str]:
            ids = []
            for i in range(count):
                body = f"{label}: counselor {i}"
                ids.append(await self.counselor.send(self.conversation, body))
                await asyncio.sleep(gap)
            return ids

        ids = await asyncio.gather(visitor_side(), counselor_side())
        await self.visitor.wait_acked(ids[0])
        await self.counselor.wait_acked(ids[1])
        return ids[0], ids[1]

    async def close(self) -> None:
        await asyncio.gather(self.visitor.close(), self.counselor.close())
