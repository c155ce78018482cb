"""The one HTTP layer every connector uses: SSRF-checked hops, size caps and error mapping.

Platform modules call ``get``/``get_json``/``post_json``/``post_form`` and receive parsed bodies or
a ``ConnectorError`` subclass; they never build their own client. Also parses ``Link`` headers,
``Retry-After`` values and platform timestamps.
"""

from __future__ import annotations

import functools
import json as jsonlib
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpcore
import httpx

from apps.channels import ssrf
from apps.core.validation import json_loads

from .base import (
    ConfigurationError,
    ConnectorError,
    MalformedResponse,
    RateLimited,
    RequestRejected,
    TransientError,
)

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 24 * 3600.0
USER_AGENT = "Rapport/1.0 (social listening for agencies)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")

# (status, parsed JSON error body or None, message) → the error to raise instead of the default one;
# platforms use it for throttling or bad tokens signalled without 429/401 (Graph API, YouTube).
ErrorHook = Callable[[int, Any, str], ConnectorError | None]


@dataclass(frozen=True)
class Response:
    """A completed response whose body has been read (within the size cap)."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    platform: str

    def json(self) -> Any:
        """The body parsed as JSON, or ``MalformedResponse``."""
        try:
            return json_loads(self.content)  # nesting too deep for the parser: a ValueError
        except ValueError as exc:
            raise MalformedResponse(
                f"{self.platform} returned invalid JSON from {safe_url(self.url)}: {exc}"
            ) from None


def get(url: str, *, platform: str, **options: Any) -> Response:
    """GET ``url`` and return the response (2xx or 304); see ``request`` for options."""
    return request("GET", url, platform=platform, **options)


def get_bytes(url: str, *, platform: str, **options: Any) -> Response:
    """GET a non-JSON document (a feed): the raw ``content`` plus the ``headers``."""
    return request("GET", url, platform=platform, **options)


def get_json(url: str, *, platform: str, **options: Any) -> Any:
    """GET ``url`` and return its JSON body."""
    return request("GET", url, platform=platform, **options).json()


def post_json(url: str, payload: Any, *, platform: str, **options: Any) -> Any:
    """POST ``payload`` as a JSON body and return the JSON answer."""
    return request("POST", url, platform=platform, json=payload, **options).json()


def post_form(url: str, form: Mapping[str, Any], *, platform: str, **options: Any) -> Any:
    """POST ``form`` url-encoded and return the JSON answer."""
    return request("POST", url, platform=platform, form=form, **options).json()


def request(
    method: str,
    url: str,
    *,
    platform: str,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    form: Mapping[str, Any] | None = None,
    timeout: float | httpx.Timeout | None = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
    error_hook: ErrorHook | None = None,
) -> Response:
    """Send one request, following up to ``MAX_REDIRECTS`` redirects, each hop SSRF-checked.

    Returns 2xx and 304 responses; raises ``RateLimited`` (429),
    ``TransientError`` (5xx, timeouts, connection errors), ``ConfigurationError`` (401/403/404,
    unsafe URL, redirect loop), ``RequestRejected`` (other 4xx), ``MalformedResponse``, or what
    ``error_hook`` returns for an error status.
    """
    hop_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    body: bytes | None = None
    if json is not None:
        body = jsonlib.dumps(json).encode()
        hop_headers["Content-Type"] = "application/json"
    elif form is not None:
        body = urlencode({k: v for k, v in form.items() if v is not None}).encode()
        hop_headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"{platform}: invalid URL {url!r}: {exc}") from None
    if params:
        target = target.copy_merge_params({k: v for k, v in params.items() if v is not None})

    with httpx.Client(
        transport=guarded_transport(), timeout=timeout or TIMEOUT, trust_env=False
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            response, location = _send(
                client, method, target, hop_headers, body, platform=platform, max_bytes=max_bytes
            )
            if location is None:
                _raise_for_status(response, error_hook)
                return response
            try:
                next_target = target.join(location)
            except httpx.InvalidURL:
                raise MalformedResponse(f"{platform}: unusable redirect to {location!r}") from None
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method != "GET"
            ):
                method, body = "GET", None
                hop_headers.pop("Content-Type", None)
            if _origin(next_target) != _origin(target):
                hop_headers = {
                    k: v for k, v in hop_headers.items() if k.lower() not in CREDENTIAL_HEADERS
                }
            target = next_target
    raise ConfigurationError(
        f"{platform}: more than {MAX_REDIRECTS} redirects from {safe_url(url)}"
    )


def _send(
    client: httpx.Client,
    method: str,
    target: httpx.URL,
    headers: dict[str, str],
    body: bytes | None,
    *,
    platform: str,
    max_bytes: int,
) -> tuple[Response, str | None]:
    """One hop: check the URL, send, and read the capped body (or return the redirect target)."""
    shown = safe_url(str(target))
    try:
        ssrf.check_url(str(target))
        with client.stream(method, target, headers=headers, content=body) as raw:
            location = raw.headers.get("location")
            if raw.status_code in REDIRECT_STATUSES and location:
                return _response(raw, b"", platform), location
            return _response(raw, _read_capped(raw, max_bytes, platform, shown), platform), None
    except ssrf.UnresolvableHost as exc:
        raise TransientError(f"{platform}: {exc}") from None
    except ssrf.UnsafeURL as exc:
        raise ConfigurationError(f"{platform}: refused to fetch {shown}: {exc}") from None
    except httpx.TimeoutException:
        raise TransientError(f"{platform}: timed out talking to {shown}") from None
    except httpx.DecodingError as exc:
        raise MalformedResponse(f"{platform}: undecodable body from {shown}: {exc}") from None
    except httpx.HTTPError as exc:
        raise TransientError(
            f"{platform}: connection to {shown} failed: {exc or type(exc).__name__}"
        ) from None


def _read_capped(raw: httpx.Response, max_bytes: int, platform: str, shown: str) -> bytes:
    limit = f"{max_bytes / 1_048_576:g} MB" if max_bytes >= 1_048_576 else f"{max_bytes} bytes"
    too_big = MalformedResponse(f"{platform}: response from {shown} exceeds the {limit} size limit")
    declared = raw.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    content = bytearray()
    for chunk in raw.iter_bytes():
        content += chunk
        if len(content) > max_bytes:
            raise too_big
    return bytes(content)


def _response(raw: httpx.Response, content: bytes, platform: str) -> Response:
    return Response(raw.status_code, raw.headers, content, str(raw.url), platform)


def _raise_for_status(response: Response, error_hook: ErrorHook | None) -> None:
    status = response.status_code
    if 200 <= status < 300 or status == 304:
        return
    try:
        error_body = jsonlib.loads(response.content) if response.content else None
    except ValueError:
        error_body = None
    message = platform_message(error_body) or response.content[:300].decode("utf-8", "replace")
    message = " ".join(message.split())[:300]
    detail = f"{response.platform} answered {status} from {safe_url(response.url)}"
    detail += f": {message}" if message else ""
    if status == 429:
        delay = parse_retry_after(response.headers.get("retry-after"))
        raise RateLimited(detail, DEFAULT_RETRY_AFTER if delay is None else delay)
    error = error_hook(status, error_body, detail) if error_hook else None
    if error is not None:
        raise error
    if status >= 500:
        raise TransientError(detail)
    if status in (401, 403, 404):
        raise ConfigurationError(detail)
    if 400 <= status < 500:
        raise RequestRejected(detail)
    raise MalformedResponse(f"{detail} (unexpected status)")


def platform_message(body: Any) -> str:
    """The human-readable error a platform put in its JSON error body, or ''."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):  # Graph API and Google APIs
        return str(error.get("message") or error.get("type") or "")
    parts = [
        error if isinstance(error, str) else None,  # Mastodon, Bluesky ("ExpiredToken")
        body.get("message"),  # Bluesky, Reddit
        body.get("error_description"),  # OAuth
    ]
    return ": ".join(str(part) for part in parts if part)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves and SSRF-checks the host itself, then connects to the checked address only."""

    def connect_tcp(
        self, host: str, port: int, *args: Any, **kwargs: Any
    ) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in ssrf.safe_addresses(host, port):
            try:
                return super().connect_tcp(address, port, *args, **kwargs)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error


def guarded_transport() -> httpx.HTTPTransport:
    """An httpx transport that re-checks every address it connects to (SSRF, DNS rebinding):
    the connectors' and the outbound webhooks'."""
    transport = httpx.HTTPTransport(verify=_ssl_context(), trust_env=False)
    # httpx has no public hook for the network backend; swap the pool it built for a guarded one.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=_ssl_context(), network_backend=_GuardedBackend()
    )
    return transport


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def safe_url(url: str) -> str:
    """``url`` without its query string or user info (keys and tokens live there), for messages."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(query=None, fragment=None, username=None, password=None))


_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")


def parse_link_header(value: str | None) -> dict[str, str]:
    """RFC 8288 (ex-5988) ``Link`` header → {rel: url}, e.g. Mastodon's ``next``/``prev``."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(value or ""):
        for param in match.group(2).split(";"):
            key, _, rels = param.partition("=")
            if key.strip().lower() == "rel":
                for rel in rels.strip().strip('"').split():
                    links.setdefault(rel.lower(), match.group(1))
    return links


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` (delay-seconds or HTTP-date) as seconds in [0, 1 day]; None if unusable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parse_timestamp(value)
        except ValueError:
            return None
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def parse_timestamp(value: Any, *, naive_as_utc: bool = True) -> datetime:
    """ISO 8601, RFC 822/1123 or epoch seconds → aware datetime; ``ValueError`` if unparseable.

    A value without an offset is read as UTC, or rejected when ``naive_as_utc`` is False.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError) as exc:
            raise ValueError(f"epoch timestamp {value!r} out of range") from exc
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                raise ValueError(f"not an ISO 8601 or RFC 822 timestamp: {value!r}") from None
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if parsed.tzinfo is None:
        if not naive_as_utc:
            raise ValueError(f"timestamp {value!r} has no time zone offset")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
