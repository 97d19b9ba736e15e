"""How close ApnsSender gets to a bare httpx HTTP/2 client pushing to the same APNs stand-in.

    .venv/bin/python benchmarks/apns_ceiling.py [--count 100000] [--streams 100] [--chunk 500] [--rounds 4]

The stand-in (tests/support/apns_server.py, certificate mode) runs in a child process pinned to
its own core, so its HTTP/2 work does not share a GIL or a core with the client being measured.
The bare client is httpx directly: the same requests, the same TLS client certificate, the same
number of concurrent streams over one connection. Then the same count goes through
``ApnsSender.send_many`` in chunks, as the push worker calls it. Last, the stand-in's own
ceiling, with a raw pipelined h2 client, shows it is not what limits the two. The two alternate in rounds
(after a warm-up that opens both connections) and each figure is the total over the rounds.
The last line is machine-readable:

    bare_per_s=... client_per_s=... ratio=...
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import ssl
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import StreamEnded

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from passes.apple.apns import ApnsSender, CertificateAuth, Outcome

CERTS = ROOT / "certs" / "example"
PASSWORD = "tessera-example"
TOPIC = "pass.dev.tessera.example"
HEADERS = {"apns-topic": TOPIC, "apns-push-type": "background", "apns-priority": "5"}


def _pin(cpu_index: int) -> None:
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) >= 2:
        os.sched_setaffinity(0, {cpus[cpu_index % len(cpus)]})


def _serve(pipe: Connection) -> None:
    from tests.support.apns_server import ApnsStandIn

    _pin(1)
    with ApnsStandIn(mode="certificate", record_headers=False) as standin:
        pipe.send((standin.url, standin.ca_file))
        while pipe.recv() == "stats":
            pipe.send((len(standin.received), standin.connection_count))


def _tokens(count: int) -> list[str]:
    return [f"{i:064x}" for i in range(count)]


class Bare:
    """httpx on its own: one AsyncClient, ``streams`` workers pulling tokens, nothing else."""

    def __init__(self, url: str, ca_file: str, streams: int) -> None:
        context = ssl.create_default_context(cafile=ca_file)
        context.load_cert_chain(CERTS / "pass.pem", CERTS / "pass.key", password=PASSWORD)
        self.prefix = f"{url}/3/device/"
        self.streams = streams
        self.loop = asyncio.new_event_loop()
        limits = httpx.Limits(keepalive_expiry=None)  # as ApnsClient: the connection outlives idle gaps
        self.client = httpx.AsyncClient(http2=True, verify=context, timeout=10.0, limits=limits)

    def send(self, tokens: list[str]) -> int:
        return self.loop.run_until_complete(self._send(tokens))

    async def _send(self, tokens: list[str]) -> int:
        delivered = 0
        indexes = iter(range(len(tokens)))

        async def worker() -> None:
            nonlocal delivered
            for index in indexes:
                response = await self.client.post(self.prefix + tokens[index], content=b"{}", headers=HEADERS)
                delivered += response.status_code == 200

        await asyncio.gather(*(worker() for _ in range(min(self.streams, len(tokens)))))
        return delivered

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


class Client:
    """ApnsSender as the push worker drives it: blocking send_many calls of ``chunk`` tokens."""

    def __init__(self, url: str, ca_file: str, streams: int, chunk: int) -> None:
        auth = CertificateAuth(CERTS / "pass.pem", CERTS / "pass.key", PASSWORD)
        # Rounds leave each client idle while the other runs; keep its one connection throughout.
        self.sender = ApnsSender(url, TOPIC, auth, ca_file=ca_file, max_streams=streams, idle_timeout=3600.0)
        self.chunk = chunk

    def send(self, tokens: list[str]) -> int:
        delivered = 0
        for offset in range(0, len(tokens), self.chunk):
            results = self.sender.send_many(tokens[offset : offset + self.chunk])
            delivered += sum(r.outcome is Outcome.DELIVERED for r in results)
        return delivered

    def close(self) -> None:
        self.sender.close()


def _timed(send: Callable[[list[str]], int], tokens: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    delivered = send(tokens)
    return time.perf_counter() - started, delivered


def _measure(bare: Bare, client: Client, tokens: list[str], rounds: int) -> dict[str, list[float]]:
    """Alternate the two, round by round, so drift and noisy neighbours hit both alike."""
    totals = {"bare": [0.0, 0.0], "client": [0.0, 0.0]}
    size = -(-len(tokens) // rounds)
    for number, offset in enumerate(range(0, len(tokens), size)):
        part = tokens[offset : offset + size]
        order = [("bare", bare.send), ("client", client.send)]
        for name, send in order if number % 2 == 0 else reversed(order):
            seconds, delivered = _timed(send, part)
            totals[name][0] += seconds
            totals[name][1] += delivered
    return totals


def _standin_capacity(url: str, ca_file: str, count: int, window: int) -> float:
    """The stand-in alone: a raw h2 client keeping ``window`` requests pipelined, nothing else."""
    context = ssl.create_default_context(cafile=ca_file)
    context.load_cert_chain(CERTS / "pass.pem", CERTS / "pass.key", password=PASSWORD)
    context.set_alpn_protocols(["h2"])
    host, port = url.removeprefix("https://").split(":")
    path = f"/3/device/{'ab' * 32}"
    pairs = [(":method", "POST"), (":authority", f"{host}:{port}"), (":scheme", "https"), (":path", path)]
    headers = [(k.encode(), v.encode()) for k, v in pairs + list(HEADERS.items())]
    with context.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host) as tls:
        # Validation off: this client only has to be cheaper than the server it measures.
        config = H2Configuration(client_side=True, header_encoding=None, validate_outbound_headers=False)
        h2 = H2Connection(config)
        h2.initiate_connection()
        h2.increment_flow_control_window(2**30)
        sent = done = 0
        started = time.perf_counter()
        while done < count:
            while sent < count and sent - done < window:
                stream_id = h2.get_next_available_stream_id()
                h2.send_headers(stream_id, headers)
                h2.send_data(stream_id, b"{}", end_stream=True)
                sent += 1
            tls.sendall(h2.data_to_send())
            done += sum(isinstance(e, StreamEnded) for e in h2.receive_data(tls.recv(1 << 16)))
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--standin-count", type=int, default=20_000, help="raw h2 requests; 0 skips")
    args = parser.parse_args()
    tokens = _tokens(args.count)

    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    _pin(0)
    try:
        url, ca_file = parent.recv()
        bare, client = Bare(url, ca_file, args.streams), Client(url, ca_file, args.streams, args.chunk)
        try:
            warm = _tokens(args.streams * 5)
            bare.send(warm), client.send(warm)  # connections open, caches warm
            totals = _measure(bare, client, tokens, args.rounds)
            parent.send("stats")
            received, connections = parent.recv()
        finally:
            bare.close()
            client.close()
        standin_per_s = _standin_capacity(url, ca_file, args.standin_count, args.streams) if args.standin_count else 0
    finally:
        parent.send("stop")
        server.join(10)

    (bare_s, bare_ok), (client_s, client_ok) = totals["bare"], totals["client"]
    bare_per_s, client_per_s = args.count / bare_s, args.count / client_s
    print(f"pushes={args.count} streams={args.streams} chunk={args.chunk} rounds={args.rounds}")
    print(f"bare httpx:  {bare_s:7.2f} s  {bare_per_s:7.0f}/s  delivered={bare_ok:.0f}")
    print(f"ApnsSender:  {client_s:7.2f} s  {client_per_s:7.0f}/s  delivered={client_ok:.0f}")
    print(f"stand-in: {received} requests over {connections} TLS connections")
    if standin_per_s:
        print(f"stand-in alone (raw h2, {args.streams} pipelined): {standin_per_s:7.0f}/s")
    print(f"bare_per_s={bare_per_s:.0f} client_per_s={client_per_s:.0f} ratio={client_per_s / bare_per_s:.3f}")


if __name__ == "__main__":
    main()
