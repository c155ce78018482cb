"""Mastodon: notifications, hashtag and search timelines, statuses, replies and OAuth sign-in."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from .http import DENIED, Answer, Request, _attr, _flat, _json
from .ids import (
    _at,
    _code,
    _handle,
    _key,
    _name,
    _search_stream,
    _stream,
    _token_brand,
    _uid,
    credential,
)
from .world import BRANDS, MASTODON_HOST, STREAMS, Item, Stream


class Mastodon:
    """Mastodon handlers of ``FakePlatforms`` (see ``app.ROUTES``)."""

    def mastodon_notifications(self, request: Request) -> Answer:
        brand = _token_brand(request.bearer)
        stream = _stream("mastodon", "mentions", brand.handle if brand else None)
        if stream is None:
            return DENIED["mastodon"]

        def notification(item: Item) -> dict[str, Any]:
            status = self._status(item)
            fields = {"type": "mention", "account": status["account"], "status": status}
            return {"id": status["id"], "created_at": status["created_at"], **fields}

        return self._mastodon_list(request, stream, notification, lambda i: i.author is not None)

    def mastodon_tag(self, request: Request, tag: str) -> Answer:
        stream = _stream("mastodon", "hashtag", tag.lower())
        return self._mastodon_list(request, stream, self._status) if stream else _json([])

    def mastodon_search(self, request: Request) -> Answer:
        stream = _search_stream("mastodon", request.arg("q"))
        if not _token_brand(request.bearer):
            return DENIED["mastodon"]
        if stream is None or request.arg("type") not in (None, "statuses"):
            return _json({"accounts": [], "statuses": [], "hashtags": []})
        return self._mastodon_list(request, stream, self._status, search=True)

    def mastodon_status(self, request: Request, status_id: str) -> Answer:
        item = self.find(_code(status_id))
        return _json(self._status(item)) if item else _json({"error": "Record not found"}, 404)

    def mastodon_post_status(self, request: Request) -> Answer:
        brand, data = _token_brand(request.bearer), request.data()
        key = request.headers.get("idempotency-key", "")
        if brand is None:
            return DENIED["mastodon"]
        if key in self._idempotent:
            return self._idempotent[key]
        if not str(data.get("status") or "").strip():
            return _json({"error": "Validation failed: Text can't be blank"}, 422)
        parent = self.find(_code(str(data.get("in_reply_to_id") or "")))
        item = self.post("mastodon", brand, parent, str(data["status"]))
        answer = _json(self._status(item) | {"visibility": data.get("visibility") or "public"})
        if key:
            self._idempotent[key] = answer
        return answer

    # Mastodon's OAuth (docs.joinmastodon.org/client/token): register an app, the person allows
    # it on the instance (here: chooses which demo brand's account to sign in as), code → token.

    def mastodon_register_app(self, request: Request) -> Answer:
        data = request.data()
        if not data.get("client_name") or not data.get("redirect_uris"):
            return _json({"error": "Validation failed: Name can't be blank"}, 422)
        client_id, secret = (
            hashlib.sha256(f"{kind}{len(self._apps)}{data}".encode()).hexdigest()[:32]
            for kind in ("id", "secret")
        )
        app = {
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uri": str(data["redirect_uris"]),
            "name": str(data["client_name"]),
        }
        with self._lock:
            self._apps[client_id] = app
        return _json({"id": str(len(self._apps)), "website": None, "vapid_key": "", **app})

    def mastodon_authorize(self, request: Request) -> Answer:
        """The consent page (GET) and its answer (POST): back to the app with a code."""
        fields = (
            request.data()
            if request.method == "POST"
            else {k: v[0] for k, v in request.query.items()}
        )
        app = self._apps.get(str(fields.get("client_id")))
        if app is None or fields.get("redirect_uri") != app["redirect_uri"]:
            return 400, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>Invalid client</h1>"
        if request.method == "POST":
            brand = BRANDS.get(str(fields.get("account")))
            if brand is None or brand.competitor:
                return 400, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>No account</h1>"
            grant = f"{app['client_id']}:{brand.slug}".encode()
            code = base64.urlsafe_b64encode(grant).decode().rstrip("=")
            query = urlencode({"code": code, "state": fields.get("state", "")})
            return 302, {"Location": f"{app['redirect_uri']}?{query}"}, b""
        hidden = "".join(
            f'<input type="hidden" name="{_attr(k)}" value="{_attr(str(v))}">'
            for k, v in fields.items()
        )
        options = "".join(
            f'<option value="{b.slug}">@{b.handle} ({_attr(b.name)})</option>'
            for b in BRANDS.values()
            if not b.competitor
        )
        page = (
            f"<!doctype html><title>Authorize {_attr(app['name'])}</title>"
            f"<h1>Authorize {_attr(app['name'])} to use your account?</h1>"
            f'<form method="post"><label for="account">Account</label>'
            f'<select id="account" name="account">{options}</select>{hidden}'
            f'<button type="submit">Authorize</button></form>'
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def mastodon_token(self, request: Request) -> Answer:
        data = request.data()
        app = self._apps.get(str(data.get("client_id")))
        code = str(data.get("code") or "")
        invalid = _json(
            {
                "error": "invalid_grant",
                "error_description": "The provided authorization grant is invalid, expired or "
                "revoked.",
            },
            400,
        )
        if app is None or data.get("client_secret") != app["client_secret"]:
            return _json(
                {"error": "invalid_client", "error_description": "Client authentication failed."},
                401,
            )
        try:
            grant = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)).decode()
            client_id, slug = grant.split(":")
        except (ValueError, UnicodeDecodeError):
            return invalid
        if client_id != app["client_id"] or data.get("redirect_uri") != app["redirect_uri"]:
            return invalid
        return _json(
            {
                "access_token": credential("mastodon", slug),
                "token_type": "Bearer",
                "scope": str(data.get("scope") or "read"),
                "created_at": self.now_ms() // 1000,
            }
        )

    def _mastodon_list(
        self,
        request: Request,
        stream: Stream,
        render: Callable[[Item], dict[str, Any]],
        include: Callable[[Item], bool] = lambda item: True,
        search: bool = False,
    ) -> Answer:
        """A page bounded by ``max_id``/``since_id``; ``min_id`` asks for the page just above it
        (search treats ``min_id`` as a plain floor). Timelines link ``next`` and ``prev`` pages."""
        limit = request.limit("limit", 20, 40)
        max_id, since_id, min_id = (
            _key(_code(request.arg(n))) for n in ("max_id", "since_id", "min_id")
        )
        if min_id and not search:
            items = self.scan(stream, _flat(include), before=max_id, after=min_id)[-limit:]
        else:
            floor = since_id or min_id
            items = self.scan(stream, _flat(include), before=max_id, after=floor, limit=limit)
        body = [render(item) for item in items]
        if search:
            return _json({"accounts": [], "statuses": body, "hashtags": []})
        if not items:
            return _json(body)
        bare = {"max_id": None, "since_id": None, "min_id": None}
        older, newer = (
            request.url(**bare | {"max_id": items[-1].code}),
            request.url(**bare | {"min_id": items[0].code}),
        )
        return _json(body, Link=f'<{older}>; rel="next", <{newer}>; rel="prev"')

    def _status(self, item: Item) -> dict[str, Any]:
        stream, thread = STREAMS[item.stream], self.thread(item)
        brand, user = BRANDS[stream.brand], _handle(item, "mastodon")
        host = item.author.instance if item.author else MASTODON_HOST
        html = escape(item.text)
        if stream.mode == "mentions" and item.author:
            link = f'<a href="https://{MASTODON_HOST}/@{brand.handle}" class="u-url mention">'
            html = f'<span class="h-card">{link}@<span>{brand.handle}</span></a></span> {html}'
        elif stream.mode == "hashtag":
            html += f' <a href="https://{MASTODON_HOST}/tags/{stream.key}" class="mention hashtag"'
            html += f' rel="tag">#<span>{stream.key}</span></a>'
        parent, uid = thread.get(item.parent), _uid(item)
        account = {
            "id": uid,
            "username": user,
            "acct": user if host == MASTODON_HOST else f"{user}@{host}",
            "display_name": _name(item),
            "url": f"https://{host}/@{user}",
            "avatar": f"https://files.{host}/avatars/{uid}.png",
            "bot": False,
            "followers_count": int(uid) % 3000 + (0 if item.author else 9000),
        }
        return {
            "id": str(item.code),
            "created_at": _at(item.ms),
            "in_reply_to_id": str(item.parent) if item.parent else None,
            "in_reply_to_account_id": _uid(parent) if parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": item.lang,
            "uri": f"https://{host}/users/{user}/statuses/{item.code}",
            "url": f"https://{host}/@{user}/{item.code}",
            "replies_count": sum(i.parent == item.code for i in thread.values()),
            "reblogs_count": item.likes // 4,
            "favourites_count": item.likes,
            "content": f"<p>{html}</p>",
            "reblog": None,
            "account": account,
            "media_attachments": [],
            "mentions": [],
            "tags": [{"name": stream.key}] if stream.mode == "hashtag" else [],
        }
