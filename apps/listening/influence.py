"""How much an author's voice carries: a 0-100 influence score.

    reach      = min(1, log10(1 + followers) / 6)            1,000,000 followers → 1
    engagement = min(1, log10(1 + average engagement) / 3)   1,000 likes+reposts+replies → 1
    activity   = min(1, mentions in the last 90 days / 30)   one every three days → 1
    influence  = round(100 * (0.5 reach + 0.3 engagement + 0.2 activity), 1)

Reach dominates because it is what a post can touch; engagement says whether people listen;
activity says whether the author keeps talking about the agency's clients. Logarithms keep a
celebrity from dwarfing everyone else.

From the first fetch: ingest scores an author it has not scored yet from what the platform gave
on that page (followers, the page's engagement and mentions), so rankings never start at zero;
``listening.services.authors_refresh_influence`` recomputes everyone active daily. Brand and
competitor accounts (``Author.account_role``) keep a score but are left out of every ranking
(``ranked_authors``).
"""

from __future__ import annotations

import math

REACH_WEIGHT, ENGAGEMENT_WEIGHT, ACTIVITY_WEIGHT = 0.5, 0.3, 0.2
ACTIVITY_FULL = 30  # mentions in 90 days


def influence(*, followers: int | None, average_engagement: float, recent_mentions: int) -> float:
    reach = min(1.0, math.log10(1 + (followers or 0)) / 6)
    engagement = min(1.0, math.log10(1 + max(0.0, average_engagement)) / 3)
    activity = min(1.0, recent_mentions / ACTIVITY_FULL)
    score = REACH_WEIGHT * reach + ENGAGEMENT_WEIGHT * engagement + ACTIVITY_WEIGHT * activity
    return round(100 * score, 1)


def influence_sql(followers: str, engagement: str, recent: str) -> str:
    """The same formula as SQL over three column expressions."""
    return (
        f"round((100 * ({REACH_WEIGHT} * least(1, log(1 + coalesce({followers}, 0)) / 6)"
        f" + {ENGAGEMENT_WEIGHT} * least(1, log(1 + greatest(0, {engagement})) / 3)"
        f" + {ACTIVITY_WEIGHT} * least(1, ({recent})::numeric / {ACTIVITY_FULL})))::numeric, 1)"
    )


# Over ``author`` and an ``activity(recent, engagement)`` row, for the daily refresh.
INFLUENCE_SQL = influence_sql("author.followers", "activity.engagement", "activity.recent")


def ranked_authors(authors):
    """``authors`` (an ``Author`` queryset) without the accounts that are never ranked: brands'
    own and competitors'. Every influencer ranking (reports, inbox filter, routing) uses it."""
    return authors.filter(account_role="")
