"""One SearchEngine serves several threads at once (a threaded WSGI server), including
while the index changes under it."""

from __future__ import annotations

import threading

from archive.config import Config
from archive.search import SearchEngine
from archive.search.indexing import update_index
from archive.search.request import SearchRequest
from tests.conftest import BUNDLED_DOCUMENTS, SEED_ID


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
    assert seen[""] == {BUNDLED_DOCUMENTS}
