"""The Graph API: Facebook Page feeds, Instagram media, comments and replies."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from .http import DENIED, Answer, Request, _graph_error, _json, _threads
from .ids import _at, _code, _handle, _name, _stream, _token, _token_brand, _uid, _untoken
from .world import Item, Stream


class Graph:
    """The Graph API handlers of ``FakePlatforms`` (see ``app.ROUTES``)."""

    def graph_get(self, request: Request, node: str, edge: str) -> Answer:
        if not _token_brand(request.arg("access_token")):
            return DENIED["graph"]
        limit, after = request.limit("limit", 25, 100), _untoken(request.arg("after"))
        if edge == "comments":  # on Instagram media: newest first, replies nested
            media = self.find(_code(node))
            if media is None or media.parent:
                return _graph_error(f"Unsupported get request. Object {node} does not exist", 100)
            thread = self.thread(media).values()
            comments = sorted((i for i in thread if i.parent == media.code), key=lambda i: -i.ms)
            newer = [item for item in comments if not after or (item.ms, item.code) < after]
            page, more = newer[:limit], len(newer) > limit
            data = [self._ig_comment(item, thread) for item in page]
            keys = [(item.ms, item.code) for item in page]
        else:
            platform, mode = ("facebook_page", "page") if edge == "feed" else ("instagram", "ig")
            stream = _stream(platform, mode, node)
            if stream is None:
                return _graph_error(
                    f"(#803) Some of the aliases you requested do not exist: {node}", 803, 404
                )
            rows = _threads(by_update=edge == "feed")
            threads = self.scan(stream, rows, before=after, limit=limit)
            more, render = (
                len(threads) == limit,
                self._fb_post if edge == "feed" else self._ig_media,
            )
            data = [render(stream, items) for items in threads]
            keys = [(t[-1].ms if edge == "feed" else t[0].ms, t[0].code) for t in threads]
        body: dict[str, Any] = {"data": data}
        if keys:
            body["paging"] = {"cursors": {"before": _token(keys[0]), "after": _token(keys[-1])}}
            body["paging"] |= {"next": request.url(after=_token(keys[-1]))} if more else {}
        return _json(body)

    def graph_post(self, request: Request, node: str, edge: str) -> Answer:
        data = request.data()
        brand = _token_brand(data.get("access_token") or request.arg("access_token"))
        if brand is None:
            return DENIED["graph"]
        if not data.get("message"):
            return _graph_error("(#100) Missing message", 100)
        platform = "instagram" if edge == "replies" else "facebook_page"
        item = self.post(platform, brand, self.find(_code(node)), data["message"])
        return _json({"id": str(item.code) if edge == "replies" else f"{item.topic}_{item.code}"})

    def _fb_post(self, stream: Stream, items: tuple[Item, ...]) -> dict[str, Any]:
        post = items[0]
        url = f"https://www.facebook.com/{stream.key}/posts/{post.code}"

        def who(item: Item) -> dict[str, str]:
            return {"name": _name(item), "id": _uid(item)[:16] if item.author else stream.key}

        def comment(item: Item) -> dict[str, Any]:
            shape = {"id": f"{post.code}_{item.code}", "message": item.text, "from": who(item)}
            shape |= {"created_time": _at(item.ms, "graph"), "like_count": item.likes}
            shape |= {"comment_count": sum(i.parent == item.code for i in items)}
            shape |= {"permalink_url": f"{url}?comment_id={item.code}"}
            return shape | (
                {"parent": {"id": f"{post.code}_{item.parent}"}} if item.parent != post.code else {}
            )

        comments = [comment(item) for item in sorted(items[1:], key=lambda i: -i.ms)[:100]]
        return {
            "id": f"{stream.key}_{post.code}",
            "message": post.text,
            "created_time": _at(post.ms, "graph"),
            "updated_time": _at(items[-1].ms, "graph"),
            "permalink_url": url,
            "from": who(post),
            "comments": {"data": comments},
        }

    def _ig_media(self, stream: Stream, items: tuple[Item, ...]) -> dict[str, Any]:
        media = items[0]
        shortcode = base64.urlsafe_b64encode(media.code.to_bytes(8, "big")).decode().rstrip("=")
        return {
            "id": str(media.code),
            "caption": media.text,
            "media_type": "IMAGE",
            "permalink": f"https://www.instagram.com/p/{shortcode}/",
            "timestamp": _at(media.ms, "graph"),
            "username": _handle(media, "instagram"),
            "comments_count": len(items) - 1,
            "like_count": media.likes,
        }

    def _ig_comment(self, item: Item, thread: Iterable[Item]) -> dict[str, Any]:
        def shape(i: Item) -> dict[str, Any]:
            fields = {"id": str(i.code), "text": i.text, "username": _handle(i, "instagram")}
            return fields | {"timestamp": _at(i.ms, "graph"), "like_count": i.likes}

        replies = [shape(i) for i in thread if i.parent == item.code]
        return shape(item) | ({"replies": {"data": replies}} if replies else {})
