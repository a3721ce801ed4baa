"""A lean WebSocket client for the load generator (RFC 6455, text frames only).

The `websockets` client spends most of a small frame's cost in its stream and task
machinery; on two cores the generator must stay well under one core while it plays
thousands of clients, so this is a bare `asyncio.Protocol`: the handshake, masking of
outgoing frames, and a parser that hands each complete text frame to a callback.
No compression is offered, as none is negotiated by a browser widget behind most
proxies and deflate would add per-connection memory on both ends.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import struct
from collections.abc import Callable

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class HandshakeError(Exception):
    pass


class WSClient(asyncio.Protocol):
    """One connection. `on_text(client, payload)` runs for every text frame, in
    order, from the event loop; `on_close(client)` once when the socket goes away."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        path: str,
        headers: dict[str, str],
        on_text: Callable[[WSClient, bytes], None],
        on_close: Callable[[WSClient], None],
        tag: int = 0,
        want: str | None = None,
    ) -> None:
        self.tag = tag
        self.sent = 0  # frames the load generator sent and the acks it got
        self.acked = 0
        self.on_text = on_text
        self.on_close = on_close
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.is_open = False
        self.closed = False
        self.close_code: int | None = None
        self.fragments: list[bytes] | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future = loop.create_future()
        # A frame type the owner awaits; armed before connecting, because a server
        # may greet in the same packet as its handshake answer.
        self.want = want
        self.waiter: asyncio.Future | None = loop.create_future() if want else None
        key = base64.b64encode(os.urandom(16))
        self.expect_accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key.decode()}",
            "Sec-WebSocket-Version: 13",
        ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.is_open:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            del self.buf[: end + 4]
            status = head.split("\r\n", 1)[0]
            if " 101 " not in status + " ":
                self._fail(HandshakeError(status))
                return
            if self.expect_accept.decode() not in head:
                self._fail(HandshakeError("bad Sec-WebSocket-Accept"))
                return
            self.is_open = True
            if not self.opened.done():
                self.opened.set_result(True)
        self._parse()

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or HandshakeError("closed during handshake"))
        if not self.closed:
            self.closed = True
            self.on_close(self)

    # frames
    def _parse(self) -> None:
        buf = self.buf
        size = len(buf)
        pos = 0
        while size - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if b1 & 0x80:  # servers must not mask
                self._fail(HandshakeError("masked frame from server"))
                return
            end = pos + head + length
            if end > size:
                break
            payload = bytes(buf[pos + head : end])
            pos = end
            opcode = b0 & 0x0F
            if opcode == OP_TEXT or opcode == OP_BINARY:
                if b0 & 0x80:
                    self.on_text(self, payload)
                else:
                    self.fragments = [payload]
            elif opcode == OP_CONT and self.fragments is not None:
                self.fragments.append(payload)
                if b0 & 0x80:
                    whole = b"".join(self.fragments)
                    self.fragments = None
                    self.on_text(self, whole)
            elif opcode == OP_PING:
                self._send_frame(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                self.close_code = (
                    int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                )
                self._send_frame(OP_CLOSE, payload[:2])
                if self.transport is not None:
                    self.transport.close()
                break
        del buf[:pos]

    def _send_frame(self, opcode: int, data: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        n = len(data)
        if n < 126:
            header = bytes((0x80 | opcode, 0x80 | n))
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0xFE, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0xFF, n)
        mask = random.getrandbits(32).to_bytes(4, "big")
        if n:
            key = (mask * ((n + 3) // 4))[:n]
            masked = (
                int.from_bytes(data, "big") ^ int.from_bytes(key, "big")
            ).to_bytes(n, "big")
        else:
            masked = b""
        transport.write(header + mask + masked)

    def send(self, text: bytes) -> None:
        self._send_frame(OP_TEXT, text)

    def close(self, code: int = 1000) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self._send_frame(OP_CLOSE, code.to_bytes(2, "big"))
        self.transport.close()

    def _fail(self, exc: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()


async def connect(
    *,
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    on_text: Callable[[WSClient, bytes], None],
    on_close: Callable[[WSClient], None],
    tag: int = 0,
    want: str | None = None,
    timeout: float = 30.0,
) -> WSClient:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: WSClient(
            host=host,
            port=port,
            path=path,
            headers=headers,
            on_text=on_text,
            on_close=on_close,
            tag=tag,
            want=want,
        ),
        host,
        port,
    )
    await asyncio.wait_for(client.opened, timeout)
    return client
