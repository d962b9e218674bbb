"""kill -9 of `archive add`, `withdraw` and `index` at random moments (bench/crash.py):
afterwards `archive index` repairs everything, the corpus validates, every stored version
is intact, the index agrees with the corpus and nothing partial is left. A few iterations
in the normal suite; `pytest -m slow` runs 60 (and `python -m bench.crash` any number)."""

from __future__ import annotations

import pytest

from bench.crash import crash_loop


def test_a_few_random_kills_leave_nothing_to_repair_by_hand(tmp_path):
    report = crash_loop(tmp_path, iterations=4, docs=20, seed=11, calibrate=False)
    assert report["problems"] == []
    assert report["iterations"] == 4


@pytest.mark.slow
def test_sixty_random_kills_leave_nothing_to_repair_by_hand(tmp_path):
    report = crash_loop(tmp_path, iterations=60, docs=100, seed=2026)
    assert report["problems"] == [], report["problems"][:10]
    assert report["killed"] >= 30  # most commands were really killed, not let finish
