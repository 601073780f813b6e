"""Concurrent feedback from many threads loses nothing and doubles nothing (N threads x M posts, rows counted)."""

from __future__ import annotations

import threading

from service.store.store import Store
from tests.store.support import issue, override, post_feedback, store_app

THREADS = 8
POSTS = 12


def test_n_threads_by_m_posts_store_each_distinct_item_once(store: Store) -> None:
    app = store_app(store)
    cards = issue(app.test_client()) + issue(app.test_client())
    failures: list[int] = []
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        client = app.test_client()
        start.wait()
        for m in range(POSTS):
            # Each thread's own items (distinct timestamps) plus one item every thread posts: the duplicate.
            card = cards[(n + m) % len(cards)]["uuid"]
            mine = override(card, at=f"2026-06-15T{n:02d}:{m:02d}:00Z")
            shared = override(cards[0]["uuid"], code="shared", at="2026-06-15T23:59:59Z")
            reply = post_feedback(client, mine, shared)
            if reply.status_code != 200:
                failures.append(reply.status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert store.count("feedback") == THREADS * POSTS + 1
