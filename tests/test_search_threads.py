"""One SearchEngine serves several threads at once (a threaded WSGI server), including
while the index changes under it."""

from __future__ import annotations

import threading

from archive.config import Config
from archive.search import SearchEngine
from archive.search.indexing import update_index
from archive.search.request import SearchRequest
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID


def test_concurrent_searches_agree_while_the_index_is_updated(corpus_copy: Config):
    update_index(corpus_copy)
    queries = ["mine maps", "treaty:gc-1949", "", "armenia -mine", '"maps of mined areas"']
    errors: list[BaseException] = []
    seen: dict[str, set[int]] = {q: set() for q in queries}
    with SearchEngine(corpus_copy) as engine:

        def worker() -> None:
            try:
                for _ in range(15):
                    for q in queries:
                        seen[q].add(engine.search(SearchRequest(q=q)).total)
            except BaseException as exc:  # collected for the main thread to report
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        path = corpus_copy.documents_dir / f"{SEED_ID}.xml"
        for n in range(3):
            path.write_text(path.read_text().replace("</body>", f"<!-- {n} --></body>"))
            update_index(corpus_copy)
        for thread in threads:
            thread.join()
    assert not errors, errors
    # Rewriting the seed never changes what matches: every thread saw one answer.
    assert {q: len(totals) for q, totals in seen.items()} == dict.fromkeys(queries, 1)
    assert seen[""] == {FIXTURE_DOCUMENTS}


def test_a_search_held_up_mid_way_does_not_hold_up_another(indexed_config: Config, monkeypatch):
    """One search stopped while it reads the index (the instrumentation holds it there,
    as a costly query would be busy there) while another search starts and completes."""
    import archive.search.snapshot as snapshot_module

    reading = threading.Event()
    release = threading.Event()
    read_postings = snapshot_module.read_postings
    slow_thread: list[threading.Thread] = []

    def held(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread() in slow_thread:
            reading.set()
            release.wait(60)
        return read_postings(*args, **kwargs)

    monkeypatch.setattr(snapshot_module, "read_postings", held)
    with SearchEngine(indexed_config) as engine:
        expected = engine.search(SearchRequest(q='"maps of mined areas"')).total
        slow_result: list[int] = []
        slow = threading.Thread(
            target=lambda: slow_result.append(
                engine.search(SearchRequest(q='"maps of mined areas"')).total
            )
        )
        slow_thread.append(slow)
        slow.start()
        assert reading.wait(60), "the slow search never reached the index"
        quick_result: list[int] = []
        quick = threading.Thread(
            target=lambda: quick_result.append(engine.search(SearchRequest(q="mine")).total)
        )
        quick.start()
        quick.join(60)
        finished_while_held = not quick.is_alive() and not release.is_set()
        release.set()
        quick.join(60)
        slow.join(60)
    assert finished_while_held, "the quick search waited for the held one"
    assert quick_result and quick_result[0] > 0
    assert slow_result == [expected]
