"""A real HTTP/2-over-TLS server on 127.0.0.1 that answers like APNs, for tests and benchmarks.

    with ApnsStandIn(mode="certificate") as apns:
        apns.script(token, [(410, "Unregistered")])
        ...  # point an ApnsClient at apns.url, trusting apns.ca_file

It runs its own asyncio loop in a background thread and speaks HTTP/2 with the `h2` library.
Certificate mode demands a client certificate chaining to ``client_ca_files`` (the example pass
chain by default); token mode checks ``authorization: bearer <ES256 JWT>``. Responses can be
scripted per device token; anything unscripted gets 200. Scripted responses:

    200                                   status only (a 200 has no body)
    (410, "Unregistered")                 status and the JSON body {"reason": ...}
    (429, "TooManyRequests", {"retry-after": "3"})   plus response headers
    "drop"                                abort the TCP connection without answering
    "goaway"                              GOAWAY refusing this stream, then close the connection
    "delay:2.0"                           answer 200 after two seconds

Every request is kept in ``received`` (token, headers, body, time.monotonic()), with the client
certificate's CN in ``client_cns``; ``connections`` lists each TLS connection with its ALPN
protocol. ``close_connections()`` hangs up on every client, as APNs does with idle ones.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import ssl
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hpack import NeverIndexedHeaderTuple

from tests.support.certs import mint_server_certificate

EXAMPLE_CERTS = Path(__file__).resolve().parents[2] / "certs" / "example"
EXAMPLE_CLIENT_CAS = (EXAMPLE_CERTS / "root.pem", EXAMPLE_CERTS / "wwdr.pem")

Scripted = int | str | tuple[int, str] | tuple[int, str, dict[str, str]]
_PREFIX = b"/3/device/"
_HEX = re.compile(rb"[0-9A-Fa-f]+")
# Header validation and normalisation cost more than everything else per request; the client
# under test is httpx, whose headers h2 has already validated on its side.
_WINDOW_TOP_UP = 1 << 20
_STATUS = {200: b"200"}
_CONFIG = h2.config.H2Configuration(
    client_side=False,
    header_encoding=None,
    validate_inbound_headers=False,
    normalize_inbound_headers=False,
    validate_outbound_headers=False,
    normalize_outbound_headers=False,
)


class Received(NamedTuple):
    token: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class ConnectionInfo:
    peer_cn: str | None
    alpn: str | None
    opened_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class _Action:
    kind: str  # "respond", "drop" or "goaway"
    status: int = 200
    reason: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()
    delay: float = 0.0


_OK = _Action("respond")


def _action(response: Scripted) -> _Action:
    if isinstance(response, int):
        return _Action("respond", response)
    if isinstance(response, tuple):
        extra = response[2] if len(response) > 2 else {}
        headers = tuple((k.lower().encode(), str(v).encode()) for k, v in extra.items())
        return _Action("respond", response[0], response[1], headers)
    if response in ("drop", "goaway"):
        return _Action(response)
    if response.startswith("delay:"):
        return _Action("respond", delay=float(response.removeprefix("delay:")))
    raise ValueError(f"not a scripted APNs response: {response!r}")


class ApnsStandIn:
    def __init__(
        self,
        mode: str = "certificate",
        *,
        client_ca_files: Sequence[str | Path] | None = None,
        jwt_public_key: ec.EllipticCurvePublicKey | bytes | None = None,
        team_id: str | None = None,
        key_id: str | None = None,
        topic: str | None = None,
        record_headers: bool = True,
        max_concurrent_streams: int = 1000,
    ) -> None:
        if mode not in ("certificate", "token"):
            raise ValueError("mode is 'certificate' or 'token'")
        if mode == "token" and (jwt_public_key is None or not team_id or not key_id):
            raise ValueError("token mode needs jwt_public_key, team_id and key_id")
        self.mode = mode
        self.client_ca_files = list(client_ca_files or EXAMPLE_CLIENT_CAS)
        self.public_key = _public_key(jwt_public_key) if jwt_public_key is not None else None
        self.team_id, self.key_id, self.topic = team_id, key_id, topic
        self.record_headers = record_headers
        self.max_concurrent_streams = max_concurrent_streams
        self.received: list[Received] = []
        self.client_cns: list[str | None] = []  # one per request, in the order of `received`
        self.connections: list[ConnectionInfo] = []
        self.loop_errors: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._scripts: dict[str, deque[_Action]] = {}
        self._good_jwts: set[bytes] = set()
        self._cond = threading.Condition()
        self._waiting = 0
        self._protocols: set[_Http2Protocol] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._thread: threading.Thread | None = None
        self.url = ""
        self.ca_file = ""

    # Test-facing API

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def script(self, token: str, responses: Iterable[Scripted]) -> None:
        self._scripts.setdefault(token, deque()).extend(_action(r) for r in responses)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            self._waiting += 1
            try:
                while len(self.received) < count:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._cond.wait(remaining):
                        return len(self.received) >= count
                return True
            finally:
                self._waiting -= 1

    @property
    def connection_count(self) -> int:
        return len(self.connections)

    def close_connections(self, *, goaway: bool = True) -> None:
        """Close every open connection, as APNs does with idle ones: GOAWAY first, or just TCP."""
        done = threading.Event()

        def close_all() -> None:
            for protocol in list(self._protocols):
                protocol.close(goaway=goaway)
            done.set()

        self._loop.call_soon_threadsafe(close_all)
        done.wait(5)

    def start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="apns-standin-")
        files = mint_server_certificate(Path(self._tmp.name))
        self.ca_file = str(files.ca_file)
        context = self._ssl_context(files.cert_file, files.key_file)
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda loop, ctx: self.loop_errors.append(ctx))
        self._startup_error: Exception | None = None
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(context, ready), name="apns-standin", daemon=True)
        self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._tmp.cleanup()
            raise self._startup_error

    def stop(self) -> None:
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = None
        self._tmp.cleanup()

    # Server side (runs on the stand-in's loop)

    def _ssl_context(self, cert_file: Path, key_file: Path) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_file, key_file)
        context.set_alpn_protocols(["h2"])
        if self.mode == "certificate":
            context.verify_mode = ssl.CERT_REQUIRED
            for ca in self.client_ca_files:
                context.load_verify_locations(cafile=str(ca))
        return context

    def _serve(self, context: ssl.SSLContext, ready: threading.Event) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(
                loop.create_server(lambda: _Http2Protocol(self), "127.0.0.1", 0, ssl=context)
            )
        except Exception as exc:  # noqa: BLE001 (re-raised by start(), in the caller's thread)
            self._startup_error = exc
            loop.close()
            ready.set()
            return
        self.url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        ready.set()
        loop.run_forever()
        self._shutdown(server)

    def _shutdown(self, server: asyncio.Server) -> None:
        server.close()
        for timer in self._timers:
            timer.cancel()
        for protocol in list(self._protocols):
            protocol.transport.abort()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.run_until_complete(asyncio.sleep(0.01))
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        self._loop.close()

    def _record(self, token: str, headers: list[tuple[bytes, bytes]], body: bytes, peer_cn: str | None) -> None:
        decoded = {k.decode(): v.decode() for k, v in headers} if self.record_headers else {}
        with self._cond:
            self.received.append(Received(token, decoded, body, time.monotonic()))
            self.client_cns.append(peer_cn)
            if self._waiting:
                self._cond.notify_all()

    def _next_action(self, token: str) -> _Action:
        queue = self._scripts.get(token)
        if not queue:
            return _OK
        try:
            return queue.popleft()
        except IndexError:
            return _OK

    def _auth_failure(self, headers: dict[bytes, bytes]) -> str | None:
        if self.mode != "token":
            return None
        value = headers.get(b"authorization")
        if not value:
            return "MissingProviderToken"
        if value in self._good_jwts:
            return None
        if not self._jwt_is_valid(value):
            return "InvalidProviderToken"
        self._good_jwts.add(value)
        return None

    def _jwt_is_valid(self, value: bytes) -> bool:
        scheme, _, jwt = value.partition(b" ")
        parts = jwt.split(b".")
        if scheme != b"bearer" or len(parts) != 3 or self.public_key is None:
            return False
        try:
            header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except ValueError:
            return False
        if header != {"alg": "ES256", "kid": self.key_id} or claims.get("iss") != self.team_id:
            return False
        if not isinstance(claims.get("iat"), int) or len(signature) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            self.public_key.verify(der, parts[0] + b"." + parts[1], ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    def _later(self, delay: float, callback: Any, *args: Any) -> None:
        timer: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(timer)
            callback(*args)

        timer = self._loop.call_later(delay, fire)
        self._timers.add(timer)


class _Http2Protocol(asyncio.Protocol):
    def __init__(self, standin: ApnsStandIn) -> None:
        self.standin = standin
        self.streams: dict[int, tuple[list[tuple[bytes, bytes]], bytearray]] = {}
        self.open = False
        self.unacknowledged = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        ssl_object = transport.get_extra_info("ssl_object")
        self.info = ConnectionInfo(_peer_cn(ssl_object), ssl_object.selected_alpn_protocol())
        self.standin.connections.append(self.info)
        self.standin._protocols.add(self)
        if self.info.alpn != "h2":
            transport.close()  # APNs speaks nothing but HTTP/2
            return
        self.open = True
        self.conn = h2.connection.H2Connection(config=_CONFIG)
        self.conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.standin.max_concurrent_streams},
        )
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(2**24)
        self.transport.write(self.conn.data_to_send())

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self.standin._protocols.discard(self)

    def data_received(self, data: bytes) -> None:
        if not self.open:
            return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self._flush()
            self.transport.close()
            return
        for event in events:
            self._on_event(event)
        self._flush()

    def close(self, *, goaway: bool) -> None:
        if self.open and goaway:
            self.conn.close_connection()  # last_stream_id: the highest stream it has seen
            self._flush()
        self.open = False
        self.transport.close()

    def _on_event(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self.streams[event.stream_id] = (list(event.headers or ()), bytearray())
        elif isinstance(event, h2.events.DataReceived):
            self.streams[event.stream_id][1].extend(event.data or b"")
            self._consumed(event.flow_controlled_length or 0)
        elif isinstance(event, h2.events.StreamEnded):
            self._on_request(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            self.streams.pop(event.stream_id, None)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.transport.close()

    def _on_request(self, stream_id: int) -> None:
        raw_headers, body = self.streams.pop(stream_id)
        headers = dict(raw_headers)
        path = headers.get(b":path", b"")
        token = path[len(_PREFIX) :]
        if headers.get(b":method") != b"POST":
            return self._respond(stream_id, 405, "MethodNotAllowed")
        if not path.startswith(_PREFIX) or not _HEX.fullmatch(token):
            return self._respond(stream_id, 404, "BadPath")
        standin = self.standin
        standin._record(token.decode(), raw_headers, bytes(body), self.info.peer_cn)
        failure = standin._auth_failure(headers)
        if failure is not None:
            return self._respond(stream_id, 403, failure)
        if standin.topic is not None and headers.get(b"apns-topic") != standin.topic.encode():
            return self._respond(stream_id, 400, "TopicDisallowed")
        self._act(stream_id, standin._next_action(token.decode()))

    def _act(self, stream_id: int, action: _Action) -> None:
        if action.kind == "drop":
            self.open = False
            self.transport.abort()
        elif action.kind == "goaway":
            self.conn.close_connection(last_stream_id=max(stream_id - 2, 0))
            self._flush()
            self.open = False
            self.transport.close()
        elif action.delay:
            self._track(+1)
            self.standin._later(action.delay, self._respond_late, stream_id, action)
        else:
            self._respond(stream_id, action.status, action.reason, action.headers)

    def _consumed(self, size: int) -> None:
        # Each stream carries a two-byte body, far inside its own window, so only the connection
        # window needs topping up, and in bulk rather than with an update per request.
        self.unacknowledged += size
        if self.unacknowledged >= _WINDOW_TOP_UP:
            self.conn.increment_flow_control_window(self.unacknowledged)
            self.unacknowledged = 0

    def _respond_late(self, stream_id: int, action: _Action) -> None:
        self._track(-1)
        if self.open:
            self._respond(stream_id, action.status, action.reason, action.headers)
            self._flush()

    def _track(self, change: int) -> None:
        standin = self.standin
        standin.in_flight += change
        standin.peak_in_flight = max(standin.peak_in_flight, standin.in_flight)

    def _respond(
        self, stream_id: int, status: int, reason: str | None = None, extra: tuple[tuple[bytes, bytes], ...] = ()
    ) -> None:
        # Never indexed: a fresh id per response would only churn the HPACK dynamic table.
        apns_id = NeverIndexedHeaderTuple(b"apns-id", str(uuid.uuid4()).encode())
        headers = [(b":status", _STATUS.get(status) or str(status).encode()), apns_id, *extra]
        try:
            if reason is None:
                self.conn.send_headers(stream_id, headers, end_stream=True)
                return
            body = {"reason": reason}
            if status == 410:
                body["timestamp"] = str(int(time.time() * 1000))
            headers.append((b"content-type", b"application/json"))
            self.conn.send_headers(stream_id, headers)
            self.conn.send_data(stream_id, json.dumps(body).encode(), end_stream=True)
        except h2.exceptions.StreamClosedError:
            pass  # the client gave up on this stream

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.transport.write(data)


def _peer_cn(ssl_object: ssl.SSLObject | None) -> str | None:
    certificate = ssl_object.getpeercert() if ssl_object is not None else None
    for rdn in (certificate or {}).get("subject", ()):
        for attribute in rdn:
            if attribute[0] == "commonName":
                return str(attribute[1])
    return None


def _public_key(key: ec.EllipticCurvePublicKey | bytes) -> ec.EllipticCurvePublicKey:
    if isinstance(key, bytes):
        loaded = serialization.load_pem_public_key(key)
        assert isinstance(loaded, ec.EllipticCurvePublicKey)
        return loaded
    return key


def _unb64(part: bytes) -> bytes:
    return base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
