"""RSS 2.0 reviews and Atom forums."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from .http import Answer, Request, _flat, _json
from .ids import _at, _handle, _name, _stream
from .world import BRANDS, FEED_SIZE, Item, Stream


class RssFeeds:
    """RSS 2.0 reviews and Atom forums handlers of ``FakePlatforms`` (see ``app.ROUTES``)."""

    def rss(self, request: Request, feed: str) -> Answer:
        stream = _stream("rss", "feed", feed)
        if stream is None:
            return _json({"error": f"no feed {feed!r}"}, 404)
        items = self.scan(stream, _flat(), limit=FEED_SIZE)
        headers = {"ETag": f'"{items[0].code if items else 0}"'}
        if items:
            newest = datetime.fromtimestamp(items[0].ms // 1000, UTC)
            headers["Last-Modified"] = format_datetime(newest, usegmt=True)
        if request.headers.get("if-none-match") == headers["ETag"]:
            return 304, headers, b""
        if stream.review:
            kind, body = "rss", self._rss(stream, items)
        else:
            kind, body = "atom", self._atom(stream, items)
        return 200, headers | {"Content-Type": f"application/{kind}+xml; charset=utf-8"}, body

    def _rss(self, stream: Stream, items: list[Item]) -> bytes:
        site = f"https://reviews.example/{stream.key}"
        entries = "".join(
            f"\n    <item><title>{escape(i.title)}</title><link>{site}/r/{i.code}</link>"
            f'<guid isPermaLink="false">review-{i.code}</guid>'
            f"<dc:creator>{escape(_name(i).split()[0])} {_name(i).split()[-1][0]}.</dc:creator>"
            f"<rev:rating>{i.rating}</rev:rating>"
            f"<pubDate>{format_datetime(datetime.fromtimestamp(i.ms // 1000, UTC))}</pubDate>"
            f"<description>{escape(i.text)}</description></item>"
            for i in items
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:rev='
            '"http://purl.org/stuff/rev#" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"  <channel><title>TrustBrew reviews of {escape(BRANDS[stream.brand].name)}</title>"
            f"<link>{site}</link><description>Latest customer reviews</description>"
            f"<language>en</language>{entries}\n  </channel>\n</rss>\n"
        ).encode()

    def _atom(self, stream: Stream, items: list[Item]) -> bytes:
        site, tag = f"https://owners.{stream.key}.example", f"tag:owners.{stream.key}.example,2024:"

        def entry(item: Item) -> str:
            opener = self.thread(item).get(item.topic, item)
            title, path = item.title or f"Re: {opener.title}", f"{site}/t/{opener.code}/"
            user = _handle(item, "forum")
            reply_to = ""
            if item.parent:
                reply_to = f'<thr:in-reply-to ref="{tag}{item.parent}" href="{path}{item.parent}"/>'
            return (
                f'\n  <entry xml:lang="{item.lang}"><id>{tag}{item.code}</id>'
                f"<title>{escape(title)}</title>"
                f'<link rel="alternate" type="text/html" href="{path}{item.code}"/>'
                f"<published>{_at(item.ms, 'seconds')}</published>"
                f"<updated>{_at(item.ms, 'seconds')}</updated>"
                f"<author><name>{escape(_name(item))}</name><uri>{site}/u/{user}</uri></author>"
                f'{reply_to}<content type="html">{escape(f"<p>{escape(item.text)}</p>")}</content>'
                "</entry>"
            )

        updated = _at(items[0].ms if items else self.now_ms(), "seconds")
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:thr="http://purl.org/syndication/thread/1.0" xml:lang="en">\n'
            f"  <title>{escape(BRANDS[stream.brand].name)} owners forum: latest posts</title>"
            f'<id>{tag}latest</id><link rel="self" href="{site}/latest.atom"/>'
            f"<updated>{updated}</updated>{''.join(entry(item) for item in items)}\n</feed>\n"
        ).encode()
