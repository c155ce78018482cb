"""Routing rules, applied to new mentions as they are stored: one set-based UPDATE per rule.

Rules run in their order; each sets what it names (priority, team, assignee, a tag) on the
page's new mentions that meet all its conditions, so a later rule can refine an earlier one. An
automatic dismissal is the rule's doing and never counts as an acknowledgement (SPEC §5).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from apps.listening.models import Author, Mention

from .models import RoutingRule


def routing_rules_for(client_id: int) -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(client_id=client_id, is_active=True))


def _conditions(rule: RoutingRule) -> tuple[list[str], list[Any]]:
    where, params = [], []
    if rule.query_id:
        where.append("%s = ANY(matched_queries)")
        params.append(rule.query_id)
    if rule.keywords:
        where.append(
            "("
            + " OR ".join(["search_vector @@ phraseto_tsquery('simple', %s)"] * len(rule.keywords))
            + ")"
        )
        params.extend(rule.keywords)
    if rule.sentiment_below is not None:
        where.append("sentiment_score < %s")
        params.append(rule.sentiment_below)
    if rule.intent:
        where.append("intent = %s")
        params.append(rule.intent)
    if rule.author_is_customer:
        where.append("customer_id IS NOT NULL")
    if rule.min_influence is not None:
        where.append(
            f"author_id IN (SELECT id FROM {Author._meta.db_table} "  # noqa: S608
            "WHERE influence >= %s AND account_role = '')"  # accounts are never influencers
        )
        params.append(rule.min_influence)
    if rule.platform:
        where.append("platform = %s")
        params.append(rule.platform)
    return where, params


def _actions(rule: RoutingRule) -> tuple[list[str], list[Any]]:
    sets, params = [], []
    if rule.set_priority:
        sets.append("priority = %s")
        params.append(rule.set_priority)
    if rule.set_team_id:
        sets.append("team_id = %s")
        params.append(rule.set_team_id)
    if rule.set_assignee_id:
        sets.append("assigned_to_id = %s")
        params.append(rule.set_assignee_id)
    if rule.add_tag:
        sets.append("tags = CASE WHEN %s = ANY(tags) THEN tags ELSE array_append(tags, %s) END")
        params.extend([rule.add_tag, rule.add_tag])
    if rule.auto_dismiss:
        sets.append("status = 'dismissed'")
    elif rule.set_team_id or rule.set_assignee_id:
        sets.append("status = CASE WHEN status = 'new' THEN 'assigned' ELSE status END")
    return sets, params


def routing_apply(*, rules: list[RoutingRule], mention_ids: list[int]) -> None:
    """Apply ``rules`` in order to the mentions ``mention_ids`` (new ones, of one client)."""
    if not mention_ids:
        return
    with connection.cursor() as cursor:
        for rule in rules:
            sets, set_params = _actions(rule)
            if not sets:
                continue
            where, where_params = _conditions(rule)
            cursor.execute(
                f"UPDATE {Mention._meta.db_table} SET {', '.join(sets)} "  # noqa: S608
                f"WHERE id = ANY(%s){''.join(' AND ' + c for c in where)}",
                [*set_params, mention_ids, *where_params],
            )
