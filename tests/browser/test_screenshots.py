"""scripts/screenshots makes the pictures docs/web.md shows, at the widths it says."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest

from archive.config import PROJECT_ROOT
from tests.browser.conftest import CHROMIUM

pytestmark = pytest.mark.browser

SCRIPT = PROJECT_ROOT / "scripts" / "screenshots"
EXPECTED = {"search-1366.png": 1366, "search-390.png": 390, "document-1366.png": 1366}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])  # the IHDR chunk's width and height


def test_the_script_regenerates_the_screenshots_docs_web_md_embeds(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    web_md = (PROJECT_ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    for name, width in EXPECTED.items():
        data = (tmp_path / name).read_bytes()
        assert png_size(data)[0] == width, name
        assert len(data) < 400_000, name  # small enough to keep in git
        assert f"](screenshots/{name})" in web_md, name
        assert (PROJECT_ROOT / "docs" / "screenshots" / name).exists(), name
