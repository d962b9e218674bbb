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

# The canonical address of the archive. Permalinks stored in documents (idno type="URI")
# are built on it; a deployment elsewhere still cites these, so it is not per-host.
CANONICAL_BASE_URL = "https://appeals-archive.org"
# The archive's name, as citations, exports and feeds give it.
ARCHIVE_NAME = "Appeals Archive"


@dataclass(frozen=True)
class Config:
    """Where the data lives and how the archive presents itself."""

    corpus: Path = BUNDLED_CORPUS
    instance: Path = DEFAULT_INSTANCE
    base_url: str = CANONICAL_BASE_URL
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

    def permalink(self, doc_id: str, version: int | None = None) -> str:
        """The citable address of a document, or of one exact version of it."""
        url = f"{self.base_url}/doc/{doc_id}"
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
        base_url = (env.get("ARCHIVE_BASE_URL") or CANONICAL_BASE_URL).rstrip("/")
        config = cls(corpus=Path(corpus), instance=Path(instance), base_url=base_url)
        return config.with_overrides(admin_email=env.get("ARCHIVE_ADMIN_EMAIL") or None)
