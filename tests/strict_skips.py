"""Where skips are not allowed, a skipped test fails.

On a fresh machine a browser test that skips because Playwright or Chromium is missing, or a
conformance test that skips because the official schemas are not found, is a test that does
not exist, and a green run would hide it. So under CI (`CI=true`, as `.ci/run` is started)
or with `ARCHIVE_NO_SKIPS=1`, every skip except the long runs marked `slow` (which run only
with `-m slow`) turns into a failure that names the reason.

A pytest plugin of its own so that tests/test_strict_skips.py can load it into a small
pytest run (`-p tests.strict_skips`); tests/conftest.py takes the hook from here.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest


def skips_allowed(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    strict = environ.get("CI", "").lower() in ("1", "true", "yes")
    return not (strict or environ.get("ARCHIVE_NO_SKIPS") == "1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator:
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and not item.get_closest_marker("slow")
        and not skips_allowed()
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"skipped where skips are not allowed (CI or ARCHIVE_NO_SKIPS=1): {reason}"
        )
