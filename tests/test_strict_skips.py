"""Under CI a skipped browser or schema test fails the run; slow runs may still skip."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from archive.config import PROJECT_ROOT

SAMPLE = textwrap.dedent(
    """
    import pytest

    def test_needs_a_browser():
        pytest.importorskip("no_such_module_here", reason="playwright is not installed")

    @pytest.mark.slow
    def test_long_run():
        pytest.skip("long run: select it with -m slow")
    """
)


def run_sample(tmp_path, **environ: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "ARCHIVE_NO_SKIPS")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    command = [sys.executable, "-m", "pytest", "-p", "tests.strict_skips", "-p", "no:cacheprovider"]
    options = ["-q", "-rfs", "--strict-markers", "-o", "markers=slow: long", str(tmp_path)]
    return subprocess.run(
        [*command, *options], env=env | environ, capture_output=True, text=True, cwd=tmp_path
    )


@pytest.mark.parametrize("environ", [{"CI": "true"}, {"ARCHIVE_NO_SKIPS": "1"}])
def test_a_skip_fails_the_run_where_skips_are_not_allowed(tmp_path, environ):
    completed = run_sample(tmp_path, **environ)
    assert completed.returncode == 1, completed.stdout
    assert "1 failed, 1 skipped" in completed.stdout
    assert "skips are not allowed" in completed.stdout
    assert "playwright is not installed" in completed.stdout


def test_a_skip_is_a_skip_on_a_developer_machine(tmp_path):
    completed = run_sample(tmp_path)
    assert completed.returncode == 0, completed.stdout
    assert "2 skipped" in completed.stdout
