"""Time from a transaction's API answer to its push arriving at the APNs stand-in.

The service runs as `make run` runs it: one `flask run` process on SQLite with the embedded push
worker. 200 members each hold their card on their own phone; each gets one transaction, one
after the other. Last line: `p50_ms=… p99_ms=…`.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._harness import Client, base_env, free_port, merchant_key, pass_token, percentile, process, FLASK  # noqa: E402
from tests.support.apns_server import ApnsStandIn  # noqa: E402

PASS_TYPE = "pass.dev.tessera.example"
COUNT = 200


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, ApnsStandIn("certificate", record_headers=False) as apns:
        port = free_port()
        env = base_env(f"sqlite:///{Path(tmp) / 'bench.db'}", port, APNS_URL=apns.url, APNS_CA_FILE=apns.ca_file,
                       TESSERA_EMBEDDED_WORKER="1")
        key = merchant_key(env)
        with process([*FLASK, "run", "--port", str(port), "--with-threads"], env, port):
            api = Client(port, key)
            phone = Client(port)
            program = api.json("POST", "/api/v1/programs", {"name": "Latency Club"})
            members = []
            for n in range(COUNT):
                member = api.json("POST", f"/api/v1/programs/{program['id']}/members",
                                  {"name": f"M{n}", "email": f"m{n}@example.com", "consent": {"terms": True}})
                token = pass_token(phone, member["pass_url"])
                status, _, _ = phone.call(
                    "POST", f"/passkit/v1/devices/dev{n:04d}/registrations/{PASS_TYPE}/{member['serial_number']}",
                    {"pushToken": f"{n:064x}"}, {"Authorization": f"ApplePass {token}"})
                assert status == 201, status
                members.append(member)
            latencies = []
            for n, member in enumerate(members):
                api.json("POST", f"/api/v1/members/{member['id']}/transactions", {"points": 10})
                answered = time.monotonic()
                if not apns.wait_for(n + 1, timeout=10):
                    raise SystemExit(f"push {n + 1} never arrived")
                latencies.append(max(0.0, apns.received[n].at - answered) * 1000)
                time.sleep(0.01)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(f"{COUNT} transactions, embedded worker, SQLite: mean {statistics.mean(latencies):.1f} ms, "
          f"max {max(latencies):.1f} ms")
    print(f"p50_ms={p50:.1f} p99_ms={p99:.1f}")


if __name__ == "__main__":
    main()
