"""``{% open_alerts %}``: the banner of open spike alerts the signed-in user may see."""

from __future__ import annotations

from django import template

from ..selectors import alert_list
from ..services import describe

register = template.Library()


@register.inclusion_tag("alerts/_banner.html", takes_context=True)
def open_alerts(context) -> dict:
    user = context["request"].user
    alerts = list(alert_list(user=user, open_only=True)[:5]) if user.is_authenticated else []
    return {"rows": [{"alert": alert, "summary": describe(alert)} for alert in alerts]}
