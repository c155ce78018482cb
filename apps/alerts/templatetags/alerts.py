"""``{% open_alerts %}``: the banner of open spike alerts the signed-in user may see."""

from __future__ import annotations

from django import template

from ..selectors import alert_list
from ..services import describe

register = template.Library()
# What the banner (on every page) shows of an alert and names it by.
BANNER_READ = ("client__name", "is_volume", "is_negative", "mentions", "negative",
               "usual_volume", "usual_negative_share", "started_at")  # fmt: skip


@register.inclusion_tag("alerts/_banner.html", takes_context=True)
def open_alerts(context) -> dict:
    user = context["request"].user
    if not user.is_authenticated:
        return {"rows": []}
    alerts = alert_list(user=user, open_only=True).only(*BANNER_READ)[:5]
    return {"rows": [{"alert": alert, "summary": describe(alert)} for alert in alerts]}
