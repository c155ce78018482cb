"""Reddit: subreddit and search listings, comment threads and replies."""

from __future__ import annotations

import re
from typing import Any

from .http import DENIED, Answer, Request, _flat, _json, _threads
from .ids import _b36, _code, _digits, _handle, _key, _search_stream, _stream, _token_brand
from .world import STREAMS, Item


class Reddit:
    """Reddit handlers of ``FakePlatforms`` (see ``app.ROUTES``)."""

    def reddit_listing(
        self, request: Request, listing: str, subreddit: str | None = None
    ) -> Answer:
        if listing == "search" or request.arg("q"):
            stream, rows = _search_stream("reddit", request.arg("q")), _threads()
        else:
            stream = _stream("reddit", "subreddit", (subreddit or "").lower())
            rows = _threads() if listing == "new" else _flat(lambda item: item.parent != 0)
        limit, before = request.limit("limit", 25, 100), _key(_code(request.arg("after"), 36))
        found = self.scan(stream, rows, before=before, limit=limit) if stream else []
        children = [self._thing(row if isinstance(row, Item) else row[0]) for row in found]
        after = children[-1]["data"]["name"] if len(children) == limit else None
        page = {"after": after, "before": None, "dist": len(children), "modhash": ""}
        return _json({"kind": "Listing", "data": page | {"children": children}})

    def reddit_comment(self, request: Request) -> Answer:
        brand, data = _token_brand(request.bearer), request.data()
        if brand is None:
            return DENIED["reddit"]
        if not data.get("text") or not data.get("thing_id"):
            return _json({"json": {"errors": [["NO_TEXT", "we need something here", "text"]]}})
        parent = self.find(_code(data["thing_id"], 36))
        thing = self._thing(self.post("reddit", brand, parent, data["text"]))
        thing["data"]["parent_id"] = data["thing_id"]
        return _json({"json": {"errors": [], "data": {"things": [thing]}}})

    def _thing(self, item: Item) -> dict[str, Any]:
        """A ``t3`` link (a conversation's opener) or a ``t1`` comment, as listings carry them."""
        stream, thread = STREAMS[item.stream], self.thread(item)
        opener, author = thread.get(item.topic, item), _handle(item, "reddit")
        subreddit = stream.key
        if stream.mode != "subreddit":
            subreddit = ("ebikes", "bikecommuting", "electricbikes")[opener.ms // 1000 % 3]
        slug = re.sub(r"[^a-z0-9]+", "_", opener.title.lower()).strip("_")[:40] or "post"
        link = f"/r/{subreddit}/comments/{_b36(opener.code)}/{slug}/"
        data = {
            "id": _b36(item.code),
            "subreddit": subreddit,
            "author": author,
            "author_fullname": f"t2_{_b36(int(_digits(author, 12)))}",
            "score": item.likes + 1,
            "created_utc": item.ms / 1000,
        }
        if not item.parent:
            link_data = {"name": f"t3_{data['id']}", "title": item.title, "selftext": item.text}
            link_data |= {"num_comments": len(thread) - 1, "permalink": link, "is_self": True}
            return {"kind": "t3", "data": data | link_data}
        parent = (
            f"t3_{_b36(item.parent)}" if item.parent == opener.code else f"t1_{_b36(item.parent)}"
        )
        comment = {"name": f"t1_{data['id']}", "body": item.text, "parent_id": parent}
        comment |= {"link_id": f"t3_{_b36(opener.code)}", "permalink": f"{link}{data['id']}/"}
        return {"kind": "t1", "data": data | comment}
