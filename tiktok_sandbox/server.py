"""The sandbox's HTTP server: Django's development server, plus the time each request reached
the machine, which the rate limits count by (traffic.py). Under load the handler thread can get
to a request tens of milliseconds after its bytes arrived; TikTok's gateway would have counted
it on arrival.

The kernel stamps what it receives once the listening socket asks for it (SO_TIMESTAMPNS,
inherited by accepted connections). Before every read from the network the connection's reader
peeks one byte with that stamp: the arrival of the first bytes waiting. Where there is no stamp
(another platform, or a request already read with the one before it) the request is stamped when
its handler starts on it.
"""

from __future__ import annotations

import io
import socket
import struct
import sys
import time

from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

ARRIVED_AT = "sandbox.arrived_at"  # the WSGI environ key: unix seconds, like time.time()

# Linux's value: Python's socket module does not name it. The control message it asks for has
# the same number.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35) if sys.platform == "linux" else None
_TIMESPEC = struct.Struct("ll")  # struct timespec: seconds, nanoseconds


def _arrival(sock: socket.socket) -> float | None:
    """When the first bytes waiting on the connection arrived; blocks until there are some.

    Linux merges segments that wait together into one buffer stamped with the latest; a client
    sends a request's head and body back to back, so that is still its arrival.
    """
    try:
        data, ancillary, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(_TIMESPEC.size), socket.MSG_PEEK)
    except OSError:
        return None  # the read that follows meets the same error and deals with it as before
    for level, kind, payload in ancillary:
        if data and level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(payload)
            return seconds + nanoseconds / 1e9
    return None


class _ArrivalSocketIO(socket.SocketIO):
    """A socket reader that notes when the bytes each of its reads returns began to arrive."""

    arrived_at: float | None = None

    def readinto(self, buffer) -> int | None:
        self.arrived_at = _arrival(self._sock)
        return super().readinto(buffer)


class ArrivalRequestHandler(WSGIRequestHandler):
    """Django's handler, putting each request's arrival in its environ under ARRIVED_AT."""

    arrived_at: float

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self.rfile = io.BufferedReader(_ArrivalSocketIO(self.connection, "rb"))

    def handle_one_request(self) -> None:
        # Wait for the request (keep-alive connections carry many). peek goes to the socket only
        # when nothing is buffered: then the read it makes returns this request's first bytes.
        reader = self.rfile.raw
        reader.arrived_at = None
        self.rfile.peek(1)
        self.arrived_at = reader.arrived_at or time.time()
        super().handle_one_request()

    def get_environ(self) -> dict:
        return super().get_environ() | {ARRIVED_AT: self.arrived_at}


class SandboxWSGIServer(WSGIServer):
    def server_bind(self) -> None:
        if SO_TIMESTAMPNS is not None:
            # Before any connection: the kernel stamps only what arrives after this.
            self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        super().server_bind()

    def finish_request(self, request, client_address) -> None:
        # basehttp.run hands every server Django's handler class; the sandbox serves with its own.
        ArrivalRequestHandler(request, client_address, self)
