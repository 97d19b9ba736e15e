"""The APNs client against a real HTTP/2 TLS server on loopback that answers like APNs."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from passes.apple.apns import (
    MAX_ATTEMPTS,
    ApnsAuthError,
    ApnsClient,
    ApnsSender,
    CertificateAuth,
    Outcome,
    PushResult,
    TokenAuth,
    backoff_delay,
    classify,
    retry_delay,
)
from tests.support.apns_server import ApnsStandIn
from tests.support.certs import write_p8_key

CERTS = Path(__file__).resolve().parents[2] / "certs" / "example"
TOPIC = "pass.dev.tessera.example"
TEAM = "TESSERA000"
KEY_ID = "ABC123DEFG"
TOKEN = "a1" * 32
T = TypeVar("T")
P8 = tuple[Path, ec.EllipticCurvePublicKey]


def tokens(count: int) -> list[str]:
    return [f"{i:064x}" for i in range(1, count + 1)]


def certificate_auth() -> CertificateAuth:
    return CertificateAuth(CERTS / "pass.pem", CERTS / "pass.key", "tessera-example")


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def run(
    standin: ApnsStandIn,
    auth: CertificateAuth | TokenAuth,
    use: Callable[[ApnsClient], Awaitable[T]],
    **options: Any,
) -> T:
    async def main() -> T:
        async with ApnsClient(standin.url, TOPIC, auth, ca_file=standin.ca_file, **options) as client:
            return await use(client)

    return asyncio.run(main())


def send(
    standin: ApnsStandIn, auth: CertificateAuth | TokenAuth, *push_tokens: str, **options: Any
) -> list[PushResult]:
    """Each token sent in turn over one client, so scripted sequences play out in order."""

    async def use(client: ApnsClient) -> list[PushResult]:
        return [await client.send(token) for token in push_tokens]

    return run(standin, auth, use, **options)


def jwt_parts(authorization: str) -> tuple[dict[str, object], dict[str, object]]:
    scheme, _, jwt = authorization.partition(" ")
    assert scheme == "bearer"
    header, claims, _ = (base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in jwt.split("."))
    return json.loads(header), json.loads(claims)


@pytest.fixture
def apns() -> Iterator[ApnsStandIn]:
    with ApnsStandIn(mode="certificate") as standin:
        yield standin


@pytest.fixture
def p8(tmp_path: Path) -> P8:
    path = tmp_path / f"AuthKey_{KEY_ID}.p8"
    return path, write_p8_key(path)


@pytest.fixture
def token_apns(p8: P8) -> Iterator[ApnsStandIn]:
    with ApnsStandIn(mode="token", jwt_public_key=p8[1], team_id=TEAM, key_id=KEY_ID) as standin:
        yield standin


# The request on the wire


def test_request_is_an_http2_post_with_the_pass_headers_and_an_empty_dictionary(apns: ApnsStandIn) -> None:
    [result] = send(apns, certificate_auth(), TOKEN)

    assert result.outcome is Outcome.DELIVERED and result.status == 200 and result.reason is None
    assert uuid.UUID(result.apns_id or "") and result.elapsed_ms > 0
    [(token, headers, body, _)] = apns.received
    assert token == TOKEN and body == b"{}"
    assert headers[":method"] == "POST" and headers[":path"] == f"/3/device/{TOKEN}"
    assert headers[":scheme"] == "https"
    assert headers["apns-topic"] == TOPIC
    assert headers["apns-push-type"] == "background"
    assert headers["apns-priority"] == "5"
    assert "authorization" not in headers and "apns-expiration" not in headers
    assert [c.alpn for c in apns.connections] == ["h2"]


def test_many_pushes_share_one_tls_connection(apns: ApnsStandIn) -> None:
    batch = tokens(300)
    results = run(apns, certificate_auth(), lambda client: client.send_many(batch))

    assert [r.token for r in results] == batch
    assert {r.outcome for r in results} == {Outcome.DELIVERED}
    assert apns.connection_count == 1 and len(apns.received) == 300


def test_streams_in_flight_never_exceed_max_streams(apns: ApnsStandIn) -> None:
    batch = tokens(20)
    for token in batch:
        apns.script(token, ["delay:0.15"])

    started = time.monotonic()
    results = run(apns, certificate_auth(), lambda client: client.send_many(batch), max_streams=4)

    assert {r.outcome for r in results} == {Outcome.DELIVERED}
    assert apns.peak_in_flight == 4
    assert time.monotonic() - started >= 5 * 0.15
    assert apns.connection_count == 1


# Certificate mode


def test_certificate_mode_presents_the_pass_certificate(apns: ApnsStandIn) -> None:
    send(apns, certificate_auth(), TOKEN, TOKEN)

    assert apns.client_cns == [f"Pass Type ID: {TOPIC}"] * 2


def test_a_client_without_a_certificate_is_refused(apns: ApnsStandIn, p8: P8) -> None:
    no_certificate = TokenAuth(p8[0], KEY_ID, TEAM)

    [result] = send(apns, no_certificate, TOKEN)

    assert result.outcome is Outcome.RETRY and result.status is None
    assert apns.received == [] and apns.connection_count == 0


def test_a_wrong_key_password_is_reported_without_echoing_it() -> None:
    auth = CertificateAuth(CERTS / "pass.pem", CERTS / "pass.key", "not-the-password")

    with pytest.raises(ApnsAuthError, match="pass.pem") as raised:
        ApnsClient("https://127.0.0.1:1", TOPIC, auth)

    assert "not-the-password" not in str(raised.value)
    assert "not-the-password" not in repr(auth) and "tessera-example" not in repr(certificate_auth())


# Token mode


def test_token_mode_sends_an_es256_jwt_the_server_verifies(token_apns: ApnsStandIn, p8: P8) -> None:
    clock = FakeClock()
    [result] = send(token_apns, TokenAuth(p8[0], KEY_ID, TEAM, clock=clock), TOKEN)

    assert result.outcome is Outcome.DELIVERED
    header, claims = jwt_parts(token_apns.received[0].headers["authorization"])
    assert header == {"alg": "ES256", "kid": KEY_ID}
    assert claims == {"iss": TEAM, "iat": int(clock.now)}
    assert token_apns.client_cns == [None]


def test_a_token_signed_with_another_key_is_refused(token_apns: ApnsStandIn, tmp_path: Path) -> None:
    other = tmp_path / "other.p8"
    write_p8_key(other)

    [result] = send(token_apns, TokenAuth(other, KEY_ID, TEAM), TOKEN)

    assert (result.status, result.reason, result.outcome) == (403, "InvalidProviderToken", Outcome.FAILED)


def test_the_token_is_reused_for_40_minutes_then_regenerated(token_apns: ApnsStandIn, p8: P8) -> None:
    clock = FakeClock()
    auth = TokenAuth(p8[0], KEY_ID, TEAM, clock=clock)
    start = clock.now

    async def use(client: ApnsClient) -> list[PushResult]:
        results = []
        for minutes in (0, 1, 19, 39.9, 40, 41, 79.9, 80):
            clock.now = start + minutes * 60
            results.append(await client.send(TOKEN))
        return results

    results = run(token_apns, auth, use)

    assert {r.outcome for r in results} == {Outcome.DELIVERED}
    iats = [jwt_parts(r.headers["authorization"])[1]["iat"] for r in token_apns.received]
    assert iats == [int(start)] * 4 + [int(start + 2400)] * 3 + [int(start + 4800)]
    assert len({r.headers["authorization"] for r in token_apns.received}) == 3 == auth.generated


def test_refresh_after_stays_within_apples_20_to_60_minutes(p8: P8) -> None:
    for seconds in (19 * 60, 60 * 60):
        with pytest.raises(ValueError):
            TokenAuth(p8[0], KEY_ID, TEAM, refresh_after=seconds)
    assert TokenAuth(p8[0], KEY_ID, TEAM, refresh_after=20 * 60).refresh_after == 1200


def test_a_key_that_is_not_p256_is_refused(tmp_path: Path) -> None:
    not_a_key = tmp_path / "AuthKey.p8"
    not_a_key.write_bytes((CERTS / "pass.pem").read_bytes())

    with pytest.raises(ApnsAuthError, match="AuthKey.p8"):
        TokenAuth(not_a_key, KEY_ID, TEAM)


def test_expired_provider_token_is_renewed_once_and_the_push_retried(token_apns: ApnsStandIn, p8: P8) -> None:
    clock = FakeClock()
    auth = TokenAuth(p8[0], KEY_ID, TEAM, clock=clock)
    token_apns.script(TOKEN, [(403, "ExpiredProviderToken")])

    async def use(client: ApnsClient) -> PushResult:
        await client.send("b2" * 32)  # the token is minted here
        clock.now += 5 * 60  # well inside the 20 minutes; only APNs' verdict may force a renewal
        return await client.send(TOKEN)

    result = run(token_apns, auth, use)

    assert result.outcome is Outcome.DELIVERED and result.status == 200
    first, retried = (r.headers["authorization"] for r in token_apns.received[1:])
    assert first != retried and auth.generated == 2
    assert jwt_parts(retried)[1]["iat"] == int(clock.now)
    assert token_apns.received[0].headers["authorization"] == first


def test_a_second_expired_provider_token_fails_instead_of_looping(token_apns: ApnsStandIn, p8: P8) -> None:
    auth = TokenAuth(p8[0], KEY_ID, TEAM, clock=FakeClock())
    token_apns.script(TOKEN, [(403, "ExpiredProviderToken")] * 3)

    [result] = send(token_apns, auth, TOKEN)

    assert (result.status, result.reason, result.outcome) == (403, "ExpiredProviderToken", Outcome.FAILED)
    assert len(token_apns.received) == 2 and auth.generated == 2


def test_concurrent_expired_pushes_renew_the_token_only_once(token_apns: ApnsStandIn, p8: P8) -> None:
    auth = TokenAuth(p8[0], KEY_ID, TEAM, clock=FakeClock())
    batch = tokens(30)
    for token in batch:
        token_apns.script(token, [(403, "ExpiredProviderToken")])

    results = run(token_apns, auth, lambda client: client.send_many(batch))

    assert {r.outcome for r in results} == {Outcome.DELIVERED}
    assert auth.generated == 2 and len(token_apns.received) == 60


# Every answer APNs gives, mapped to what the caller does next


@pytest.mark.parametrize(
    ("response", "status", "reason", "outcome"),
    [
        (200, 200, None, Outcome.DELIVERED),
        ((410, "Unregistered"), 410, "Unregistered", Outcome.UNREGISTERED),
        ((410, "ExpiredToken"), 410, "ExpiredToken", Outcome.UNREGISTERED),
        ((400, "BadDeviceToken"), 400, "BadDeviceToken", Outcome.UNREGISTERED),
        ((400, "DeviceTokenNotForTopic"), 400, "DeviceTokenNotForTopic", Outcome.UNREGISTERED),
        ((400, "BadTopic"), 400, "BadTopic", Outcome.FAILED),
        ((403, "BadCertificate"), 403, "BadCertificate", Outcome.FAILED),
        ((413, "PayloadTooLarge"), 413, "PayloadTooLarge", Outcome.FAILED),
        ((429, "TooManyRequests"), 429, "TooManyRequests", Outcome.RETRY),
        ((500, "InternalServerError"), 500, "InternalServerError", Outcome.RETRY),
        ((503, "ServiceUnavailable"), 503, "ServiceUnavailable", Outcome.RETRY),
    ],
)
def test_each_answer_maps_to_an_outcome(
    apns: ApnsStandIn, response: object, status: int, reason: str | None, outcome: Outcome
) -> None:
    apns.script(TOKEN, [response])  # type: ignore[list-item]

    [result] = send(apns, certificate_auth(), TOKEN)

    assert (result.status, result.reason, result.outcome) == (status, reason, outcome)
    assert result.apns_id is not None and result.retry_after is None
    assert len(apns.received) == 1  # nothing is retried inside the client
    assert classify(status, reason) is outcome


def test_service_unavailable_then_delivered(apns: ApnsStandIn) -> None:
    apns.script(TOKEN, [(503, "ServiceUnavailable")])

    first, second = send(apns, certificate_auth(), TOKEN, TOKEN)

    assert (first.outcome, second.outcome) == (Outcome.RETRY, Outcome.DELIVERED)
    assert apns.connection_count == 1


def test_retry_after_is_read_and_honoured(apns: ApnsStandIn) -> None:
    apns.script(TOKEN, [(429, "TooManyRequests", {"retry-after": "7"})])

    [result] = send(apns, certificate_auth(), TOKEN)

    assert result.outcome is Outcome.RETRY and result.retry_after == 7.0
    assert retry_delay(result, 1, rng=lambda: 0.5) == 7.0
    assert retry_delay(result, 9, max_attempts=12, rng=lambda: 1.0) == 256.0


def test_a_dropped_connection_is_retried_and_the_next_send_reconnects(apns: ApnsStandIn) -> None:
    apns.script(TOKEN, ["drop"])

    dropped, after = send(apns, certificate_auth(), TOKEN, TOKEN)

    assert dropped.outcome is Outcome.RETRY and dropped.status is None and dropped.reason
    assert after.outcome is Outcome.DELIVERED
    assert apns.connection_count == 2 and len(apns.received) == 2


def test_a_drop_during_a_batch_loses_no_push(apns: ApnsStandIn) -> None:
    batch = tokens(50)
    apns.script(batch[10], ["drop"])

    async def use(client: ApnsClient) -> tuple[list[PushResult], list[PushResult]]:
        return await client.send_many(batch), await client.send_many(batch)

    first, second = run(apns, certificate_auth(), use)

    assert [r.token for r in first] == batch
    assert {r.outcome for r in first} <= {Outcome.DELIVERED, Outcome.RETRY}
    assert first[10].outcome is Outcome.RETRY
    assert {r.outcome for r in second} == {Outcome.DELIVERED}


def test_goaway_is_retried_and_the_next_send_reconnects(apns: ApnsStandIn) -> None:
    apns.script(TOKEN, ["goaway"])

    refused, after = send(apns, certificate_auth(), TOKEN, TOKEN)

    assert refused.outcome is Outcome.RETRY and after.outcome is Outcome.DELIVERED
    assert apns.connection_count == 2


def test_a_connection_left_idle_is_replaced_before_the_next_batch(apns: ApnsStandIn) -> None:
    async def use(client: ApnsClient) -> list[PushResult]:
        await client.send_many(tokens(20))
        apns.close_connections(goaway=False)  # as a NAT forgetting an idle flow might
        await asyncio.sleep(0.5)
        return await client.send_many(tokens(20))

    results = run(apns, certificate_auth(), use, idle_timeout=0.3)

    assert {r.outcome for r in results} == {Outcome.DELIVERED}
    assert apns.connection_count == 2


def test_apns_closing_the_connection_with_goaway_loses_no_push(apns: ApnsStandIn) -> None:
    async def use(client: ApnsClient) -> tuple[list[PushResult], list[PushResult]]:
        await client.send_many(tokens(20))
        apns.close_connections(goaway=True)
        await asyncio.sleep(0.1)
        return await client.send_many(tokens(20)), await client.send_many(tokens(20))

    during, after = run(apns, certificate_auth(), use)

    assert {r.outcome for r in during} <= {Outcome.DELIVERED, Outcome.RETRY}
    assert {r.outcome for r in after} == {Outcome.DELIVERED}


def test_an_answer_slower_than_the_timeout_is_retried(apns: ApnsStandIn) -> None:
    apns.script(TOKEN, ["delay:2.0"])

    slow, after = send(apns, certificate_auth(), TOKEN, TOKEN, timeout=0.3)

    assert slow.outcome is Outcome.RETRY and slow.status is None and slow.reason == "ReadTimeout"
    assert 300 <= slow.elapsed_ms < 2000
    assert after.outcome is Outcome.DELIVERED


def test_an_unreachable_server_is_retried() -> None:
    async def use() -> PushResult:
        async with ApnsClient("https://127.0.0.1:9", TOPIC, certificate_auth(), timeout=1.0) as client:
            return await client.send(TOKEN)

    result = asyncio.run(use())

    assert result.outcome is Outcome.RETRY and result.reason == "ConnectError"


def test_a_malformed_push_token_never_reaches_the_path(apns: ApnsStandIn) -> None:
    [result] = send(apns, certificate_auth(), "../../admin?x=1")

    assert (result.reason, result.outcome) == ("BadDeviceToken", Outcome.UNREGISTERED)
    assert apns.received == []


# The blocking front used by worker threads


def test_sender_keeps_one_connection_across_batches_and_threads(apns: ApnsStandIn) -> None:
    batch = tokens(120)
    apns.script(batch[3], [(410, "Unregistered")])
    outcomes: dict[str, list[Outcome]] = {}

    with ApnsSender(apns.url, TOPIC, certificate_auth(), ca_file=apns.ca_file, max_streams=10) as sender:
        first = sender.send_many(batch[:60])
        second = sender.send_many(batch[60:])

        def push_from_a_thread(name: str) -> None:
            outcomes[name] = [r.outcome for r in sender.send_many(batch[:30])]

        workers = [threading.Thread(target=push_from_a_thread, args=(name,)) for name in ("a", "b")]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        single = sender.send(TOKEN)
        thread = sender._thread

    assert [r.token for r in first + second] == batch
    assert first[3].outcome is Outcome.UNREGISTERED
    assert [r.outcome for r in first + second].count(Outcome.DELIVERED) == 119
    assert outcomes["a"] == outcomes["b"] == [Outcome.DELIVERED] * 30
    assert single.outcome is Outcome.DELIVERED
    assert apns.connection_count == 1
    assert not thread.is_alive()


def test_sender_reports_bad_material_and_leaves_no_thread_behind() -> None:
    before = threading.active_count()
    bad = CertificateAuth(CERTS / "pass.pem", CERTS / "pass.key", "wrong")

    with pytest.raises(ApnsAuthError):
        ApnsSender("https://127.0.0.1:1", TOPIC, bad)

    assert threading.active_count() == before


# Retry policy for the outbox


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    ceilings = [backoff_delay(attempt, rng=lambda: 1.0) for attempt in range(1, 12)]

    assert ceilings == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert backoff_delay(10_000, rng=lambda: 1.0) == 300
    assert backoff_delay(3, base=0.5, cap=10, rng=lambda: 1.0) == 2.0


def test_backoff_is_fully_jittered() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(6, rng=rng.random) for _ in range(200)]

    assert all(0 <= d < 32 for d in delays)
    assert min(delays) < 4 and max(delays) > 28
    assert len(set(delays)) == 200


def test_retry_delay_only_for_retryable_results_within_the_attempts() -> None:
    def result(outcome: Outcome) -> PushResult:
        return PushResult(TOKEN, 503, "ServiceUnavailable", None, outcome, None, 1.0)

    assert MAX_ATTEMPTS == 8
    assert retry_delay(result(Outcome.RETRY), 1, rng=lambda: 1.0) == 1.0
    assert retry_delay(result(Outcome.RETRY), 7, rng=lambda: 1.0) == 64.0
    assert retry_delay(result(Outcome.RETRY), MAX_ATTEMPTS) is None
    for final in (Outcome.DELIVERED, Outcome.UNREGISTERED, Outcome.FAILED):
        assert retry_delay(result(final), 1) is None
