"""A mention as integrators see it (SPEC §10): the API's and the webhooks' one shape."""

from __future__ import annotations

from .models import Mention
from .priority import priority_score


def mention_representation(mention: Mention) -> dict:
    """The documented fields of a mention (with its author loaded)."""
    author = mention.author
    return {
        "id": mention.pk,
        "client": mention.client_id,
        "channel": mention.channel_id,
        "platform": mention.platform,
        "external_id": mention.external_id,
        "url": mention.url,
        "text": mention.text,
        "kind": mention.kind,
        "posted_at": mention.posted_at,
        "author": {
            "id": author.pk,
            "handle": author.handle,
            "display_name": author.display_name,
            "followers": author.followers,
            "influence": author.influence,
            # The CRM record belongs to the mention's client.
            "is_customer": getattr(mention, "is_customer", mention.customer_id is not None),
            "is_advocate": author.is_advocate,
        },
        "sentiment": mention.sentiment,
        "sentiment_score": mention.sentiment_score,
        "intent": mention.intent,
        "sentiment_corrected": mention.sentiment_corrected,
        "matched_queries": list(mention.matched_queries),
        "needs_acknowledgement": mention.needs_acknowledgement,
        "status": mention.status,
        "priority": mention.priority,
        "assigned_to": mention.assigned_to_id,
        "team": mention.team_id,
        "tags": list(mention.tags),
        "acknowledged_at": mention.acknowledged_at,
        "time_to_acknowledge_minutes": mention.time_to_acknowledge_minutes,
        "is_follow_up": mention.is_follow_up,
        "language": mention.language,
        "rating": mention.rating,
        "parent_external_id": mention.parent_external_id,
        "sla_due_at": mention.sla_due_at,
        "priority_score": priority_score(mention.priority_key),
    }
