"""Bluesky (AT Protocol): search, author feeds, posts, sessions and replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .http import DENIED, Answer, Request, _flat, _json
from .ids import (
    _at,
    _b32,
    _bsky,
    _did,
    _handle,
    _name,
    _search_stream,
    _tid,
    _token,
    _token_brand,
    _untid,
    _untoken,
    credential,
)
from .world import STREAMS, Item, Stream


class Bluesky:
    """Bluesky (AT Protocol) handlers of ``FakePlatforms`` (see ``app.ROUTES``)."""

    def bluesky_search(self, request: Request) -> Answer:
        stream = _search_stream("bluesky", request.arg("q"))
        return self._bluesky_list(request, stream, "posts", self._post_view)

    def bluesky_author_feed(self, request: Request) -> Answer:
        actor = request.arg("actor")
        streams = (s for s in STREAMS if s.platform == "bluesky" and s.mode == "actor")
        stream = next((s for s in streams if actor in (s.key, _did(s.key))), None)
        if stream is None:
            return _json({"error": "InvalidRequest", "message": "Profile not found"}, 400)
        by_brand = lambda item: item.author is None  # noqa: E731 - the actor's own posts only
        return self._bluesky_list(
            request, stream, "feed", lambda item: {"post": self._post_view(item)}, by_brand
        )

    def bluesky_get_posts(self, request: Request) -> Answer:
        items = (self.find(_untid(uri)) for uri in request.query.get("uris", [])[:25])
        return _json({"posts": [self._post_view(item) for item in items if item]})

    def bluesky_create_session(self, request: Request) -> Answer:
        data = request.data()
        brand = _token_brand(data.get("password"))
        if brand is None or data.get("identifier") not in (_bsky(brand), _did(_bsky(brand))):
            return DENIED["bluesky"]
        session = {"did": _did(_bsky(brand)), "handle": _bsky(brand), "active": True}
        tokens = {name: credential(f"bluesky-{name}", brand.slug) for name in ("access", "refresh")}
        return _json(session | {"accessJwt": tokens["access"], "refreshJwt": tokens["refresh"]})

    def bluesky_create_record(self, request: Request) -> Answer:
        brand, data = _token_brand(request.bearer), request.data()
        record = data.get("record") if isinstance(data.get("record"), dict) else {}
        if brand is None:
            return DENIED["bluesky"]
        if not record.get("text"):
            return _json({"error": "InvalidRequest", "message": "Record/text is required"}, 400)
        parent = (record.get("reply") or {}).get("parent") or {}
        item = self.post(
            "bluesky", brand, self.find(_untid(str(parent.get("uri")))), record["text"]
        )
        ref = self._strong_ref(item)
        commit = {"cid": "bafyrei" + _b32(f"commit{item.code}", 52), "rev": _tid(item.code)}
        return _json(ref | {"commit": commit, "validationStatus": "valid"})

    def _bluesky_list(
        self,
        request: Request,
        stream: Stream | None,
        field: str,
        render: Callable[[Item], dict[str, Any]],
        include: Callable[[Item], bool] = lambda item: True,
    ) -> Answer:
        """A page of ``limit`` items older than the opaque ``cursor``, which comes back if full."""
        limit, before = request.limit("limit", 25, 100), _untoken(request.arg("cursor"))
        items = self.scan(stream, _flat(include), before=before, limit=limit) if stream else []
        body: dict[str, Any] = {field: [render(item) for item in items]}
        if len(items) == limit:
            body["cursor"] = _token((items[-1].ms, items[-1].code))
        return _json(body)

    def _strong_ref(self, item: Item) -> dict[str, str]:
        did = _did(_handle(item, "bluesky"))
        uri = f"at://{did}/app.bsky.feed.post/{_tid(item.code)}"
        return {"uri": uri, "cid": "bafyrei" + _b32(uri, 52)}

    def _post_view(self, item: Item) -> dict[str, Any]:
        thread, handle = self.thread(item), _handle(item, "bluesky")
        record = {"$type": "app.bsky.feed.post", "createdAt": _at(item.ms), "text": item.text}
        if item.parent:
            refs = {"root": thread.get(item.topic), "parent": thread.get(item.parent)}
            record["reply"] = {name: self._strong_ref(ref) for name, ref in refs.items() if ref}
        author = {"did": _did(handle), "handle": handle, "displayName": _name(item), "labels": []}
        return self._strong_ref(item) | {
            "author": author,
            "record": record | {"langs": [item.lang]},
            "replyCount": sum(i.parent == item.code for i in thread.values()),
            "repostCount": item.likes // 5,
            "likeCount": item.likes,
            "quoteCount": 0,
            "indexedAt": _at(item.ms + 1000),
            "labels": [],
        }
