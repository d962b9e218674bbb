"""Explicit configuration, built once from options and the environment and passed down.

No module of the library reads `os.environ` itself: the command line and the web app call
`Config.from_env()` (or build a `Config` directly, as tests do) and hand it on.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
SCHEMA_DIR = PROJECT_ROOT / "schemas"

# The archive's own name for its documents: the permalinks the encoder writes into a
# document (idno type="URI") and the OAI-PMH identifiers (oai:appeals-archive.org:<id>) are
# built on it, whatever host serves them, so that they never change.
CANONICAL_BASE_URL = "https://appeals-archive.org"
# Where links point when no base URL is configured and no request says where the archive
# is being read: the address `archive serve` listens on by default.
LOCAL_BASE_URL = "http://127.0.0.1:5000"
# The archive's name, as citations, exports and feeds give it.
ARCHIVE_NAME = "Appeals Archive"


@dataclass(frozen=True)
class Config:
    """Where the data lives and how the archive presents itself."""

    corpus: Path = BUNDLED_CORPUS
    instance: Path = DEFAULT_INSTANCE
    # The public address of this deployment ($ARCHIVE_BASE_URL). Unset, links are made on
    # the address each web request came to (`for_request`), so that links copied from a
    # local run work; outside a request, on LOCAL_BASE_URL.
    base_url: str | None = None
    request_base_url: str | None = None
    page_size: int = 20
    # Who answers for the archive (OAI-PMH Identify names them).
    admin_email: str = "editors@appeals-archive.org"

    @property
    def documents_dir(self) -> Path:
        return self.corpus / "documents"

    @property
    def authority_dir(self) -> Path:
        return self.corpus / "authority"

    @property
    def versions_dir(self) -> Path:
        return self.corpus / "versions"

    @property
    def index_dir(self) -> Path:
        return self.instance / "index"

    @property
    def link_base(self) -> str:
        """The address links are made on: the configured base URL, else the address of
        the request being answered, else LOCAL_BASE_URL."""
        return (self.base_url or self.request_base_url or LOCAL_BASE_URL).rstrip("/")

    @property
    def canonical_base(self) -> str:
        """The base of names that must not depend on the host (stored permalinks, OAI-PMH
        identifiers): the configured base URL, else CANONICAL_BASE_URL."""
        return (self.base_url or CANONICAL_BASE_URL).rstrip("/")

    def for_request(self, url_root: str) -> Config:
        """This configuration as one web request sees it: with no base URL configured, links
        point where the request came (`url_root`, e.g. http://127.0.0.1:5000/)."""
        if self.base_url:
            return self
        return replace(self, request_base_url=url_root.rstrip("/"))

    def permalink(self, doc_id: str, version: int | None = None) -> str:
        """The citable address of a document, or of one exact version of it."""
        url = f"{self.link_base}/doc/{doc_id}"
        return f"{url}/v{version}" if version is not None else url

    def arguments(self, *args: str) -> list[str]:
        """The `archive` arguments running `args` on this corpus and instance."""
        return ["--corpus", str(self.corpus), "--instance", str(self.instance), *args]

    def command(self, *args: str) -> list[str]:
        """The `archive` command line running `args` on this corpus and instance with this
        Python: for the subprocesses of benchmarks, tests and `archive serve`."""
        return [sys.executable, "-m", "archive", *self.arguments(*args)]

    def with_overrides(self, **changes: object) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(
        cls,
        corpus: str | Path | None = None,
        instance: str | Path | None = None,
        environ: dict[str, str] | None = None,
    ) -> Config:
        """Options win over `ARCHIVE_CORPUS` / `ARCHIVE_INSTANCE` / `ARCHIVE_BASE_URL` /
        `ARCHIVE_ADMIN_EMAIL`, which win over the bundled defaults."""
        env = os.environ if environ is None else environ
        corpus = corpus or env.get("ARCHIVE_CORPUS") or BUNDLED_CORPUS
        instance = instance or env.get("ARCHIVE_INSTANCE") or DEFAULT_INSTANCE
        base_url = (env.get("ARCHIVE_BASE_URL") or "").rstrip("/") or None
        config = cls(corpus=Path(corpus), instance=Path(instance), base_url=base_url)
        return config.with_overrides(admin_email=env.get("ARCHIVE_ADMIN_EMAIL") or None)
