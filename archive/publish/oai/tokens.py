"""Stateless, tamper-evident OAI-PMH resumption tokens.

A token carries everything needed to continue a list, so the server keeps no state between
requests: the verb and its arguments, the (datestamp, id) position of the last record sent,
the cursor, and an expiry time. It is signed with HMAC-SHA256 under a key kept in the
instance folder (`oai-token.key`, made on first use); a token that was altered, cut short,
signed with another key or has expired is refused. Continuing from a position rather than an
offset keeps a harvest exact while the archive changes: a record that changes mid-harvest
moves to a later datestamp and is sent again at the end, and nothing is skipped.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive.storage import atomic_write

KEY_FILE = "oai-token.key"
KEY_BYTES = 32


class BadToken(ValueError):
    """A resumption token this repository did not issue as it stands, or that has expired."""


@dataclass(frozen=True)
class ListPosition:
    """Where a list stands: its arguments and how far it has gone."""

    verb: str
    metadata_prefix: str
    set_spec: str | None
    from_: str | None
    until: str | None
    after: tuple[str, str]
    cursor: int
    expires: int  # seconds since the epoch, UTC

    @property
    def expiration_date(self) -> str:
        return datetime.fromtimestamp(self.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_key(instance: Path) -> bytes:
    """The instance's signing key, created (readable by its owner only) on first use."""
    path = instance / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
        atomic_write(path, os.urandom(KEY_BYTES), overwrite=False, mode=0o600)
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(key: bytes, position: ListPosition) -> str:
    body = _b64(json.dumps(asdict(position), separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(hmac.new(key, body.encode('ascii'), hashlib.sha256).digest())}"


def read(key: bytes, token: str, now: datetime) -> ListPosition:
    """The position a token carries; BadToken if it is forged, damaged or expired."""
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            raise BadToken("the resumptionToken is not one this repository issued")
        data = json.loads(_unb64(body))
        data["after"] = tuple(data["after"])
        position = ListPosition(**data)
    except (UnicodeError, binascii.Error, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, BadToken):
            raise
        raise BadToken("the resumptionToken is not one this repository issued") from None
    if position.expires < now.timestamp():
        raise BadToken(
            f"the resumptionToken expired at {position.expiration_date}; start the list again"
        )
    return position
