"""Who may change what, by role: the roles, and the API's permission classes built on them.

What a caller may *see* is decided by the selectors (querysets scoped to the user), so an object
outside that scope answers 404 before any of these checks can answer 403."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.accounts.models import User

MANAGING_ROLES = (User.Role.OWNER, User.Role.MANAGER)
RESPONDING_ROLES = (
    User.Role.OWNER,
    User.Role.MANAGER,
    User.Role.RESPONDER,
    User.Role.TEAM_MEMBER,
    User.Role.CLIENT_RESPONDER,
)


def _is_detail(view) -> bool:
    return bool(getattr(view, "kwargs", {}).get(getattr(view, "lookup_url_kwarg", None) or "pk"))


class ByRole(BasePermission):
    """Reads for anyone signed in; writes for ``roles`` — checked on the object for detail
    routes, so that an invisible object is a 404 first."""

    roles: tuple[str, ...] = ()
    message = "Your role cannot do this."

    def _allowed(self, request) -> bool:
        return request.method in SAFE_METHODS or request.user.role in self.roles

    def has_permission(self, request, view) -> bool:
        return _is_detail(view) or self._allowed(request)

    def has_object_permission(self, request, view, obj) -> bool:
        return self._allowed(request)


class ManagesWorkspace(ByRole):
    """Clients, channels, queries, webhooks: changed by owners and managers."""

    roles = MANAGING_ROLES


class RespondsToMentions(ByRole):
    """Inbox actions: agency staff, team members (on what is routed to them), client responders."""

    roles = RESPONDING_ROLES
