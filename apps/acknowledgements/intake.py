"""What the acknowledgement workflow does with each page of new mentions (the ``page_stored``
event, inside the page's transaction): follow-ups marked, routing rules applied, advocates
recognised."""

from __future__ import annotations

from django.db import connection

from apps.core.db import pipelined
from apps.listening.models import Author, Mention

from .advocacy import advocacy
from .models import Acknowledgement
from .routing import routing_apply, routing_rules_for

_M = Mention._meta.db_table
_A = Author._meta.db_table
_ACK = Acknowledgement._meta.db_table

# Follow-ups: the same person again in a thread already acknowledged (answering their
# acknowledged mention, or our reply to them) runs on the next-response clock. Probes from the
# page's new rows (a condition inside the INSERT would be planned as a scan of every mention);
# "OFFSET 0" keeps each EXISTS a probe per row, never a hash of every acknowledged mention (a
# scan of the whole table for each page, 5 ms of CPU at 20,000 mentions).
_MARK_FOLLOW_UPS = f"""
    UPDATE {_M} child SET is_follow_up = true
    WHERE child.id = ANY(%(created)s) AND child.parent_external_id <> '' AND (
        EXISTS (
            SELECT 1 FROM {_M} parent
            WHERE parent.channel_id = child.channel_id
              AND parent.external_id = child.parent_external_id
              AND parent.author_id = child.author_id AND parent.acknowledged_at IS NOT NULL
            OFFSET 0
        ) OR EXISTS (
            SELECT 1 FROM {_ACK} reply JOIN {_M} answered ON answered.id = reply.mention_id
            WHERE reply.external_id = child.parent_external_id AND reply.external_id <> ''
              AND answered.channel_id = child.channel_id AND answered.author_id = child.author_id
            OFFSET 0
        )
    )
"""  # noqa: S608
# Advocates: people who were acknowledged by the client and have since spoken positively of it
# unprompted (``advocacy``).
_MARK_ADVOCATES = f"""
    UPDATE {_A} author SET is_advocate = true, advocate_since = praise.posted_at
    FROM (
        SELECT m.author_id, min(m.posted_at) AS posted_at
        FROM {_M} m WHERE m.id = ANY(%(praise)s)
          -- the cheap probe first: most authors of praise were never acknowledged
          AND EXISTS (
            SELECT 1 FROM {_M} earlier
            WHERE earlier.author_id = m.author_id AND earlier.client_id = %(client)s
              AND earlier.acknowledged_at < m.posted_at
          )
          AND {advocacy("m")}
        GROUP BY m.author_id
    ) praise
    WHERE author.id = praise.author_id AND NOT author.is_advocate AND author.account_role = ''
"""  # noqa: S608


def page_intake(*, channel, page, run: dict) -> None:
    """Mark the page's follow-ups, route its mentions by the client's rules (looked up once per
    ``run``) and recognise new advocates among the authors of its praise."""
    if not page.created_ids:
        return
    if "routing_rules" not in run:
        run["routing_rules"] = routing_rules_for(channel.client_id)
    # Updates whose results nobody reads: sent together, one round trip.
    with pipelined(), connection.cursor() as cursor:
        if page.has_replies:
            cursor.execute(_MARK_FOLLOW_UPS, {"created": page.created_ids})
        routing_apply(rules=run["routing_rules"], mention_ids=page.created_ids)
        if page.praise_ids:
            cursor.execute(
                _MARK_ADVOCATES, {"client": channel.client_id, "praise": page.praise_ids}
            )
