"""YouTube Data API v3: comment threads and replies."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from .http import DENIED, Answer, Request, _json, _threads, _youtube_error
from .ids import _at, _b32, _b36, _code, _handle, _token, _token_brand, _untoken, _video
from .world import STREAMS, Item


class YouTube:
    """YouTube Data API v3 handlers of ``FakePlatforms`` (see ``app.ROUTES``)."""

    def youtube_threads(self, request: Request) -> Answer:
        if not _token_brand(request.arg("key")):
            return DENIED["youtube"]
        video, channel = request.arg("videoId"), request.arg("allThreadsRelatedToChannelId")
        streams = (s for s in STREAMS if s.platform == "youtube")
        stream = next(
            (s for s in streams if (video in s.videos if video else s.key == channel)), None
        )
        if stream is None:
            return _youtube_error(
                404,
                "The video identified by the videoId parameter could not be found.",
                "videoNotFound",
            )
        limit, before = request.limit("maxResults", 20, 100), _untoken(request.arg("pageToken"))
        rows = _threads(lambda item: not video or _video(item) == video)
        threads = self.scan(stream, rows, before=before, limit=limit)
        body = {
            "kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(threads), "resultsPerPage": limit},
            "items": [self._youtube_thread(items) for items in threads],
        }
        if len(threads) == limit:
            body["nextPageToken"] = _token((threads[-1][0].ms, threads[-1][0].code))
        return _json(body)

    def youtube_insert_comment(self, request: Request) -> Answer:
        brand, data = _token_brand(request.bearer), request.data()
        snippet = data.get("snippet") if isinstance(data.get("snippet"), dict) else {}
        if brand is None:
            return _youtube_error(
                401, "Request is missing required authentication credential.", "required"
            )
        if not snippet.get("parentId") or not snippet.get("textOriginal"):
            return _youtube_error(
                400, "The comment snippet is incomplete.", "invalidCommentMetadata"
            )
        thread_id = str(snippet["parentId"])
        parent = self.find(_code(thread_id.removeprefix("Ugx").removesuffix("AaABAg"), 36))
        item = self.post("youtube", brand, parent, str(snippet["textOriginal"]))
        return _json(self._youtube_comment(item, thread_id))

    def _youtube_thread(self, items: tuple[Item, ...]) -> dict[str, Any]:
        opener, thread_id = items[0], f"Ugx{_b36(items[0].code)}AaABAg"
        replies = [self._youtube_comment(item, thread_id) for item in items[1:]]
        snippet = {"channelId": STREAMS[opener.stream].key, "videoId": _video(opener)}
        snippet |= {"topLevelComment": self._youtube_comment(opener), "canReply": True}
        snippet |= {"totalReplyCount": len(replies), "isPublic": True}
        thread = {"kind": "youtube#commentThread", "id": thread_id, "snippet": snippet}
        return thread | ({"replies": {"comments": replies}} if replies else {})

    def _youtube_comment(self, item: Item, thread_id: str = "") -> dict[str, Any]:
        handle = _handle(item, "youtube")
        comment_id = (
            f"{thread_id}.{_b36(item.code)}" if thread_id else f"Ugx{_b36(item.code)}AaABAg"
        )
        snippet = {
            "channelId": STREAMS[item.stream].key,
            "videoId": _video(item),
            "textDisplay": escape(item.text),
            "textOriginal": item.text,
            "authorDisplayName": handle,
            "authorChannelUrl": f"http://www.youtube.com/{handle}",
            "authorChannelId": {"value": "UC" + _b32(handle, 22)},
            "likeCount": item.likes,
            "publishedAt": _at(item.ms, "seconds"),
            "updatedAt": _at(item.ms, "seconds"),
        }
        snippet |= {"parentId": thread_id} if thread_id else {}
        return {"kind": "youtube#comment", "id": comment_id, "snippet": snippet}
