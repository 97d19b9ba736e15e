"""Schemathesis against the live API, from its own OpenAPI document: every phase (the document's
examples, coverage of its edges, random fuzzing, stateful sequences of calls), a fixed seed and a
bounded number of examples. No answer may be a 5xx, or outside what the document promises; the
suite's own recorder (tests/support/openapi_check.py) checks every answer again."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import Api

SEED = 20261208
MAX_EXAMPLES = 12
MAX_SECONDS = 75  # per database: the two runs stay under three minutes together
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance")
ST = Path(sys.executable).with_name("st")


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # thousands of requests: the fuzzer's own summary says what matters


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="fuzzed-api", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def _figures(output: str) -> dict[str, str]:
    figures = {}
    for name, pattern in {"operations": r"(\d+) selected", "requests": r"(\d+) (?:test cases|generated)",
                          "api_calls": r"API probing.*?(\d+)"}.items():
        if match := re.search(pattern, output):
            figures[name] = match.group(1)
    return figures


@pytest.mark.skipif(not ST.exists(), reason="schemathesis is not installed (pip install -e '.[test]')")
def test_the_api_never_answers_5xx_nor_outside_its_document(served: str, owner: Api, program: dict[str, Any],
                                                            member: dict[str, Any], tmp_path: Path) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [str(ST), "run", f"{served}/api/v1/openapi.json", "--header", f"Authorization: Bearer {owner.key}",
         "--checks", CHECKS, "--phases", "examples,coverage,fuzzing,stateful", "--seed", str(SEED),
         "--max-examples", str(MAX_EXAMPLES), "--generation-deterministic", "--workers", "1",
         "--request-timeout", "20", "--max-time", str(MAX_SECONDS), "--no-color", "--suppress-health-check", "all",
         "--report", "ndjson", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=400,
    )
    seconds = time.monotonic() - started
    (Path(__file__).parents[1] / "artifacts").mkdir(exist_ok=True)
    (Path(__file__).parents[1] / "artifacts" / "fuzz-api.txt").write_text(result.stdout + result.stderr)
    summary = result.stdout[-4000:]
    print(summary, f"\nfuzzing took {seconds:.0f} s", _figures(result.stdout))
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-2000:]
