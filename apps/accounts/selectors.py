"""Reads on the people of the current agency."""

from .models import User


def alert_recipients() -> list[str]:
    """E-mail addresses of the agency's active owners and managers: who hears about trouble."""
    return list(
        User.objects.filter(
            role__in=[User.Role.OWNER, User.Role.MANAGER], is_active=True
        ).values_list("email", flat=True)
    )
