"""Routing rules as people edit them: validated, ordered and audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.channels.connectors import PLATFORMS
from apps.clients.models import Client
from apps.listening.models import Mention

from ..models import AuditEntry, RoutingRule

# --- routing rules -------------------------------------------------------------------------------

ROUTING_FIELDS = (
    "name", "is_active", "query", "keywords", "sentiment_below", "intent", "author_is_customer",
    "min_influence", "platform", "set_priority", "set_team", "set_assignee", "add_tag",
    "auto_dismiss",
)  # fmt: skip
MAX_KEYWORDS = 50


def _rule_snapshot(rule: RoutingRule) -> dict:
    value = {}
    for field in ROUTING_FIELDS:
        if field in ("query", "set_team", "set_assignee"):
            value[f"{field}_id"] = getattr(rule, f"{field}_id")
        else:
            value[field] = getattr(rule, field)
    value["keywords"] = list(value["keywords"])
    value["position"] = rule.position
    return value


def _audit_rule(user: User | None, action: str, rule: RoutingRule, before: dict) -> None:
    AuditEntry.objects.create(
        actor=user, action=action, object_type="routing_rule", object_id=rule.pk,
        before=before, after={} if action == "delete" else _rule_snapshot(rule),
    )  # fmt: skip


def _clean_rule_fields(*, client: Client, fields: dict) -> dict:
    """Check a rule's conditions and actions; raise field errors named after the fields."""
    unknown = set(fields) - set(ROUTING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown routing rule fields: {sorted(unknown)}")
    values = {
        "name": "", "is_active": True, "query": None, "keywords": [], "sentiment_below": None,
        "intent": "", "author_is_customer": False, "min_influence": None, "platform": "",
        "set_priority": "", "set_team": None, "set_assignee": None, "add_tag": "",
        "auto_dismiss": False,
    } | fields  # fmt: skip
    errors: dict[str, str] = {}
    values["name"] = (values["name"] or "").strip()
    if not values["name"]:
        errors["name"] = "Give the rule a name."
    elif len(values["name"]) > 200:
        errors["name"] = "Keep the name under 200 characters."
    query = values["query"]
    if query is not None and query.client_id != client.pk:
        errors["query"] = "Choose one of this client's queries."
    keywords = list(dict.fromkeys(k.strip() for k in values["keywords"] or [] if k.strip()))
    if len(keywords) > MAX_KEYWORDS:
        errors["keywords"] = f"At most {MAX_KEYWORDS} keywords."
    elif any(len(k) > 100 for k in keywords):
        errors["keywords"] = "Keep each keyword under 100 characters."
    values["keywords"] = keywords
    sentiment = values["sentiment_below"]
    if sentiment is not None and not -1 <= sentiment <= 1:
        errors["sentiment_below"] = "Sentiment runs from -1 (negative) to 1 (positive)."
    values["intent"] = values["intent"] or ""
    if values["intent"] and values["intent"] not in Mention.Intent.values:
        errors["intent"] = f"Unknown intent '{values['intent']}'."
    influence = values["min_influence"]
    if influence is not None and not 0 <= influence <= 100:
        errors["min_influence"] = "Influence runs from 0 to 100."
    if values["platform"] and values["platform"] not in PLATFORMS:
        errors["platform"] = f"Unknown platform '{values['platform']}'."
    if values["set_priority"] and values["set_priority"] not in Mention.Priority.values:
        errors["set_priority"] = f"Unknown priority '{values['set_priority']}'."
    assignee = values["set_assignee"]
    if assignee is not None and (assignee.is_client_user or not assignee.is_active):
        errors["set_assignee"] = "Assign to an active member of the agency."
    values["add_tag"] = (values["add_tag"] or "").strip()
    if len(values["add_tag"]) > 100:
        errors["add_tag"] = "Keep the tag under 100 characters."
    has_action = any(
        values[f] for f in ("set_priority", "set_team", "set_assignee", "add_tag", "auto_dismiss")
    )
    if not has_action and not errors:
        errors["__all__"] = "Choose at least one action: a rule without one does nothing."
    if errors:
        raise ValidationError(errors)
    return values


def routing_rule_create(*, client: Client, user: User | None, **fields) -> RoutingRule:
    """Add a rule after the client's others (it runs last)."""
    values = _clean_rule_fields(client=client, fields=fields)
    with transaction.atomic():
        rules = list(RoutingRule.objects.select_for_update().filter(client=client))
        position = max((rule.position for rule in rules), default=-1) + 1
        rule = RoutingRule.objects.create(client=client, position=position, **values)
        _audit_rule(user, "create", rule, {})
    return rule


def routing_rule_update(*, rule: RoutingRule, user: User | None, **fields) -> RoutingRule:
    values = _clean_rule_fields(client=rule.client, fields=fields)
    with transaction.atomic():
        before = _rule_snapshot(rule)
        for field, value in values.items():
            setattr(rule, field, value)
        rule.save()
        if _rule_snapshot(rule) != before:
            _audit_rule(user, "update", rule, before)
    return rule


def routing_rule_delete(*, rule: RoutingRule, user: User | None) -> None:
    with transaction.atomic():
        before, pk = _rule_snapshot(rule), rule.pk
        rule.delete()
        rule.pk = pk
        _audit_rule(user, "delete", rule, before)


def routing_rule_move(*, rule: RoutingRule, user: User | None, direction: str) -> RoutingRule:
    """Move a rule one place ``"up"`` (earlier) or ``"down"`` (later) among its client's rules;
    the client's positions are renumbered 0, 1, 2… in the same transaction."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move a rule up or down."})
    with transaction.atomic():
        rules = list(
            RoutingRule.objects.select_for_update()
            .filter(client_id=rule.client_id)
            .order_by("position", "id")
        )
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(rules):
            return rule
        before = _rule_snapshot(rules[index])
        rules[index], rules[other] = rules[other], rules[index]
        for position, each in enumerate(rules):
            each.position = position
        RoutingRule.objects.bulk_update(rules, ["position"])
        moved = rules[other]
        _audit_rule(user, f"move_{direction}", moved, before)
    rule.position = moved.position
    return rule
