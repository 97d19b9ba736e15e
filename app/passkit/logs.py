"""Wallet's log messages, stored bounded and parsed where Apple's English formats allow."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MESSAGES_PER_REQUEST = 50
MAX_MESSAGE_CHARS = 2000

_REGISTER = re.compile(
    r"Register task \(for device (?P<device>[^,]+), pass type (?P<type>[^,]+), serial number (?P<serial>[^;]+);"
    r".*?\) encountered error: (?P<error>.*)$", re.S
)
_GET = re.compile(
    r"Get (?:pass|serial #s) task \(pass type (?P<type>[^,]+), serial number (?P<serial>[^,]+),"
    r".*?\) encountered (?:error|warning): (?P<error>.*)$", re.S
)
_UNREGISTER = re.compile(
    r"Unregister task \(for device (?P<device>[^,]+), pass type (?P<type>[^,]+), serial number (?P<serial>[^;]+);"
    r".*?\) encountered error: (?P<error>.*)$", re.S
)
_WEB_SERVICE = re.compile(r"Web service error for (?P<type>[^ ]+) \((?P<url>[^)]*)\): (?P<error>.*)$", re.S)
_PATTERNS = (("register", _REGISTER), ("get", _GET), ("unregister", _UNREGISTER), ("web_service", _WEB_SERVICE))


@dataclass(frozen=True)
class ParsedLog:
    message: str
    task: str | None = None
    device: str | None = None
    pass_type: str | None = None
    serial: str | None = None
    error: str | None = None


def parse(message: str) -> ParsedLog:
    message = message[:MAX_MESSAGE_CHARS]
    for task, pattern in _PATTERNS:
        if match := pattern.search(message):
            groups = match.groupdict()
            return ParsedLog(
                message,
                task,
                (groups.get("device") or "").strip()[:128] or None,
                (groups.get("type") or "").strip()[:128] or None,
                (groups.get("serial") or "").strip().strip("'\"")[:64] or None,
                (groups.get("error") or "").strip() or None,
            )
    return ParsedLog(message)
