"""Reads on the people of the current agency, each scoped to who is asking."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import quote, urlencode

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from apps.core import events

from .models import User

PEOPLE_MANAGER_ROLES = (User.Role.OWNER, User.Role.MANAGER)


def alert_recipients() -> list[str]:
    """E-mail addresses of the agency's active owners and managers: who hears about trouble."""
    return list(
        User.objects.filter(
            role__in=[User.Role.OWNER, User.Role.MANAGER], is_active=True
        ).values_list("email", flat=True)
    )


def can_manage_people(user: User) -> bool:
    """Owners and managers see the agency's people and invite new ones."""
    return bool(user.is_authenticated and user.is_active and user.role in PEOPLE_MANAGER_ROLES)


def invitable_clients(*, inviter: User) -> QuerySet:
    """The clients ``inviter`` may invite client users to (the clients app answers)."""
    (clients,) = events.invitable_clients.publish(inviter=inviter)
    return clients


def user_list(*, user: User) -> QuerySet[User]:
    """The agency's people with their clients, for owners and managers; nobody for anyone else."""
    if not can_manage_people(user):
        return User.objects.none()
    return User.objects.order_by("email").prefetch_related("client_memberships__client")


def user_is_invited(user: User) -> bool:
    """Invited and not yet accepted: inactive, and never given a password."""
    return not user.is_active and not user.has_usable_password()


def invitation_user_get(*, uidb64: str) -> User | None:
    """The person a pending invitation link names, or ``None`` (used, withdrawn or made up)."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, ValidationError, User.DoesNotExist):
        return None
    return user if user_is_invited(user) else None


# --- two-factor sign-in (TOTP, django-otp) ------------------------------------------------------


def can_use_two_factor(user: User) -> bool:
    """Agency staff (owners, managers, responders) may turn on two-factor sign-in."""
    return bool(user.is_authenticated and user.is_active and user.is_agency_staff)


def two_factor_device(*, user: User):
    """The user's confirmed authenticator (a ``TOTPDevice``), or ``None``: two-factor is off."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def two_factor_pending_device(*, user: User):
    """The authenticator being set up (not yet confirmed with a code), or ``None``."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()


def two_factor_secret(*, device) -> str:
    """The device's secret in base32, as authenticator apps take it typed in."""
    return b32encode(device.bin_key).decode().rstrip("=")


def two_factor_uri(*, device, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code (Key URI Format)."""
    issuer = issuer.replace(":", "")
    label = quote(f"{issuer}:{device.user.get_username()}")
    params = urlencode(
        {
            "secret": two_factor_secret(device=device),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{params}"


def agency_team_name() -> str:
    """How client users see the agency's staff when the agency keeps names to itself."""
    from django.db import connection

    name = getattr(connection.tenant, "name", "") or ""
    return f"the {name} team" if name else "the team"


def portal_shows_staff_names() -> bool:
    """Whether the current agency lets client users see its staff's names."""
    from django.db import connection

    return bool(getattr(connection.tenant, "portal_shows_staff_names", False))


def person_shown_to(*, person: User | None, viewer: User | None) -> str:
    """What ``viewer`` is shown of ``person`` (who acted on a mention): staff see e-mails;
    client users see their own colleagues' names, the agency's staff by name only if the agency
    allows it (else as its team), and never a staff e-mail address."""
    if person is None:
        return ""
    if viewer is None or not viewer.is_client_user:
        return person.email
    if person.is_client_user:
        return person.get_full_name() or person.email
    if portal_shows_staff_names() and person.get_full_name():
        return person.get_full_name()
    return agency_team_name()
