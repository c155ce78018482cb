"""What counts as advocacy, as SQL shared by ingest, the refresh of the advocate flags and the
reports, so that "advocate" means the same thing everywhere.

An advocate is a person who, after the client acknowledged them, speaks positively of the
client *unprompted*: in a mention that needs acknowledgement (so from a person, not the brand,
not spam, not a repeat — SPEC §5), is not spam, and does not answer the brand's own message (our
reply sent through the channel, or a post by the brand's account). "Thanks!" under our reply is
politeness, not advocacy.
"""

from __future__ import annotations

from apps.listening.models import Mention

from .models import Acknowledgement

_M = Mention._meta.db_table
_ACK = Acknowledgement._meta.db_table


def unprompted(alias: str) -> str:
    """SQL true when mention ``alias`` is a person speaking of the client of their own accord:
    needs acknowledgement, is not spam, and does not answer the brand's reply or post."""
    return f"""(
        {alias}.needs_acknowledgement AND NOT {alias}.is_spam
        AND NOT ({alias}.parent_external_id <> '' AND (
            EXISTS (
                SELECT 1 FROM {_ACK} reply JOIN {_M} answered ON answered.id = reply.mention_id
                WHERE reply.external_id = {alias}.parent_external_id
                  AND reply.external_id <> ''  -- lets the partial index on it serve
                  AND answered.channel_id = {alias}.channel_id
            ) OR EXISTS (
                SELECT 1 FROM {_M} parent
                WHERE parent.channel_id = {alias}.channel_id
                  AND parent.external_id = {alias}.parent_external_id
                  -- needing no acknowledgement yet neither spam nor a repeat: the brand's own
                  AND NOT parent.needs_acknowledgement AND NOT parent.is_spam
                  AND NOT parent.is_duplicate
            )
        ))
    )"""  # noqa: S608 - names from model metadata


def advocacy(alias: str) -> str:
    """SQL true when mention ``alias`` is advocacy: positive and unprompted."""
    return f"({alias}.sentiment = 'positive' AND {unprompted(alias)})"
