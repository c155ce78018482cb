"""What the demo seed creates against the stand-in: each brand's accounts and one channel per
stream."""

from __future__ import annotations

from typing import Any

from .ids import _bsky, credential
from .world import BRANDS, STREAMS


def brand_accounts(slug: str) -> list[dict[str, str]]:
    """The accounts the brand ``slug`` answers from on each platform (as ``_handle`` names them),
    in the shape of the client API's ``brand_accounts`` (and ``competitor_accounts``)."""
    brand = BRANDS[slug]
    official = brand.name.replace(" ", "")
    handles = {
        "youtube": "@" + official, "reddit": official + "Official",
        "instagram": brand.slug.replace("-", "."), "bluesky": _bsky(brand),
        "mastodon": brand.handle, "rss": brand.name, "facebook_page": brand.name,
    }  # fmt: skip
    return [{"platform": platform, "handle": handle} for platform, handle in handles.items()]


def demo_channels(base_url: str) -> list[dict[str, Any]]:
    """The channels the demo seed creates, one per stream, all pointing at ``base_url``.

    Each is ``{"client": brand slug, "platform", "name", "config", "credentials", "listen_only"}``
    in the channel API's shape; competitors' channels and review feeds are listen-only.
    """
    base, channels = base_url.rstrip("/"), []
    for stream in STREAMS:
        brand, platform, key = BRANDS[stream.brand], stream.platform, stream.key
        token = credential(platform, brand.slug)
        config: dict[str, Any] = {"base_url": f"{base}/{platform}"}
        credentials: dict[str, Any] = {"access_token": token}
        if platform == "rss":
            config, credentials = {"url": f"{base}/rss/{key}.xml"}, {}
        elif platform == "mastodon":
            config |= {"mode": stream.mode}
            config |= {"hashtag": key} if stream.mode == "hashtag" else {}
            config |= {"query": key} if stream.mode == "search" else {}
        elif platform == "bluesky":
            config |= {"pds_url": f"{base}/bluesky"}
            config |= {"actor": key} if stream.mode == "actor" else {"query": key}
            credentials = {"identifier": _bsky(brand), "app_password": token}
        elif platform == "reddit":
            config |= {"subreddit": key} if stream.mode == "subreddit" else {"query": key}
        elif platform == "youtube":
            config |= {"channel_id": key} if stream.mode == "channel" else {"video_id": key}
            credentials |= {"api_key": token}
        else:  # facebook_page, instagram: the Graph API
            id_field = "page_id" if platform == "facebook_page" else "ig_user_id"
            config = {"base_url": f"{base}/graph/v19.0", id_field: key}
        channels.append(
            {
                "client": brand.slug,
                "platform": platform,
                "name": stream.name,
                "config": config,
                "credentials": credentials,
                "listen_only": brand.competitor or platform == "rss",
            }
        )
    return channels
