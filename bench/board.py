"""Board benchmark: does a page cost the same whatever the board's size, and what does search cost?

On a fresh file SQLite database (WAL, as deployed by default), a member reads:
- a topic's first page when the topic has SMALL posts, and when it has BIG posts (pagination: should be ~1x);
- a category's first page when it holds SMALL topics, and BIG topics (the same);
- a search over all BIG topics' posts (the FTS5 table on SQLite), against the category page in the same run.
Ratios are what to compare across machines, not seconds.

Run: make bench   (or .venv/bin/python bench/board.py --big 2000 --repeat 20)
"""

from __future__ import annotations

import argparse
import sys

from common import django_on_fresh_sqlite, timed


def fill(category, author, topics: int, posts_in_first: int) -> int:
    """`topics` topics of two visible posts each, the first with `posts_in_first` posts; returns its pk."""
    from slowtaper.community.models import Post, Topic
    from slowtaper.community.text import render

    made = Topic.objects.bulk_create(
        [Topic(category=category, title=f"Week {i} of my taper", author=author) for i in range(topics)]
    )
    body = "Holding at this step for two weeks; sleep is a little better. **Thank you** all."
    html = render(body)
    rows = [Post(topic=t, author=author, body=body, html=html) for t in made[1:] for _ in range(2)]
    rows += [Post(topic=made[0], author=author, body=body, html=html) for _ in range(posts_in_first)]
    Post.objects.bulk_create(rows, batch_size=2000)
    return made[0].pk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--big", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    django_on_fresh_sqlite()
    from django.test import Client

    from slowtaper.accounts.models import Role, User
    from slowtaper.community.models import Category

    member = User.objects.create_user("bench-member", role=Role.MEMBER)
    small_cat, big_cat = Category.objects.order_by("pk")[:2]
    small_topic = fill(small_cat, member, args.small, args.small)
    big_topic = fill(big_cat, member, args.big, args.big)
    client = Client()
    client.force_login(member)

    def get(path: str):
        def fn() -> None:
            assert client.get(path).status_code == 200, path

        return fn

    rows = [
        ("topic page 1", get(f"/board/t/{small_topic}/"), get(f"/board/t/{big_topic}/")),
        ("category page 1", get(f"/board/c/{small_cat.slug}/"), get(f"/board/c/{big_cat.slug}/")),
    ]
    print(f"Board pages, {args.small} against {args.big} topics/posts (median of {args.repeat}):")
    for name, small, big in rows:
        s, b = timed(small, args.repeat), timed(big, args.repeat)
        print(f"  {name:16} {s * 1000:7.1f} ms  {b * 1000:7.1f} ms  ratio {b / s:5.2f}x")
    category = timed(get(f"/board/c/{big_cat.slug}/"), args.repeat)
    search = timed(get("/board/search/?q=sleep"), args.repeat)
    total = 2 * (args.big - 1) + args.big + 2 * (args.small - 1) + args.small
    print(
        f"  search over {total} posts: {search * 1000:.1f} ms, {search / category:.2f}x the category page "
        "(SQLite: the FTS5 table; PostgreSQL: full-text search through GIN indexes)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
