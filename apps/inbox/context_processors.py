"""Template context of the workspace: the signed-in user's unread notifications, counted only
when a page shows them."""

from django.utils.functional import SimpleLazyObject

from apps.acknowledgements.selectors import notification_unread_count


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "tenant", None) is None:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: notification_unread_count(user=user))}
