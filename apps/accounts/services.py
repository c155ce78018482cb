"""Writes on people: creating users and teams, inviting people by e-mail and accepting
invitations, turning two-factor sign-in on and off, removing people and signing them out
everywhere, all in the current agency's schema."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from apps.core import events

from .models import Team, User
from .selectors import (
    can_manage_people,
    can_use_two_factor,
    two_factor_device,
    two_factor_pending_device,
    user_is_invited,
)

# The portal role a client user holds on the client they were invited to.
CLIENT_MEMBERSHIP_ROLES = {
    User.Role.CLIENT_VIEWER: "viewer",
    User.Role.CLIENT_RESPONDER: "responder",
}


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    role: str = User.Role.RESPONDER,
    first_name: str = "",
    last_name: str = "",
    check_password_strength: bool = False,
) -> User:
    """Create a user whose username is their e-mail address."""
    email = User.objects.normalize_email(email.strip()).lower()
    validate_email(email)
    if role not in User.Role.values:
        raise ValidationError(f"Unknown role '{role}'.")
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"A user with e-mail '{email}' already exists.")
    user = User(username=email, email=email, role=role, first_name=first_name, last_name=last_name)
    if check_password_strength:
        validate_password(password, user)
    elif not password:
        raise ValidationError("Password must not be empty.")
    user.set_password(password)
    user.save()
    return user


def agency_owner_create(
    *, agency, owner_email: str, owner_password: str, owner_password_hash: str
) -> User:
    """The owner of a new agency (``events.agency_created``, in its schema)."""
    owner = user_create(email=owner_email, password=owner_password, role=User.Role.OWNER)
    if owner_password_hash:
        owner.password = owner_password_hash
        owner.save(update_fields=["password"])
    return owner


def team_create(*, name: str, members: list[User] | None = None) -> Team:
    team = Team.objects.create(name=name, slug=slugify(name))
    if members:
        team.members.set(members)
    return team


def _agency_base_url() -> str:
    """``scheme://host`` of the current agency, for links made outside a request."""
    from apps.tenants.services import agency_host

    tenant = connection.tenant
    domain = tenant.get_primary_domain()
    scheme = "http" if settings.DEBUG else "https"
    return f"{scheme}://{domain.domain if domain else agency_host(tenant.slug)}"


@transaction.atomic
def user_invite(
    *,
    email: str,
    role: str,
    invited_by: User,
    client=None,
    base_url: str | None = None,
) -> User:
    """Invite a person to the current agency: an inactive user without a password, bound to
    ``client`` for client roles, and an e-mail with a one-time link to choose a password.

    ``base_url`` (``scheme://host`` of the agency, as the request saw it) defaults to the
    agency's primary domain. Raises ``PermissionDenied`` unless ``invited_by`` is an owner or
    manager, and ``ValidationError`` (by field) for a taken e-mail, a role the inviter may not
    give, or a client role without a client.
    """
    if not can_manage_people(invited_by):
        raise PermissionDenied("Only owners and managers invite people.")
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}) from error
    if role not in User.Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'."})
    if role == User.Role.OWNER and invited_by.role != User.Role.OWNER:
        raise ValidationError({"role": "Only an owner can invite another owner."})
    existing = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
    if existing is not None:
        state = "was already invited" if user_is_invited(existing) else "already has an account"
        raise ValidationError({"email": f"{email} {state} at this agency."})
    if role in User.CLIENT_ROLES:
        if client is None:
            raise ValidationError({"client": "Choose the client this person will see."})
    elif client is not None:
        raise ValidationError({"client": "Only client users are bound to a client here."})

    user = User(username=email, email=email, role=role, is_active=False)
    user.set_unusable_password()
    user.save()
    if client is not None:  # the clients app checks the inviter's clients and binds the user
        events.user_invited_to_client.publish(
            user=user, client=client, role=CLIENT_MEMBERSHIP_ROLES[role], invited_by=invited_by
        )
    _send_invitation(user=user, invited_by=invited_by, client=client, base_url=base_url)
    return user


def _send_invitation(*, user: User, invited_by: User, client, base_url: str | None) -> None:
    path = reverse(
        "accounts:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "agency": connection.tenant,
        "invited_by": invited_by,
        "user": user,
        "client": client,
        "link": (base_url or _agency_base_url()).rstrip("/") + path,
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = render_to_string("accounts/invitation_subject.txt", context)
    body = render_to_string("accounts/invitation_email.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])


@transaction.atomic
def user_invitation_accept(*, user: User, password: str) -> User:
    """The invited person chooses a password: they become active. Works once."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user_is_invited(user):
        raise ValidationError("This invitation has already been used.")
    validate_password(password, user)
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    return user


# --- teams, as people edit them (validated and written to the audit log) ------------------------


def _team_snapshot(team: Team) -> dict:
    return {
        "name": team.name,
        "slug": team.slug,
        "members": sorted(team.members.values_list("pk", flat=True)) if team.pk else [],
    }


def _team_audit(user: User | None, action: str, team_id: int, before: dict, after: dict) -> None:
    events.audit_recorded.publish(
        actor=user, action=action, object_type="team", object_id=team_id,
        before=before, after=after,
    )  # fmt: skip


def _clean_team_name(name: str, *, team: Team | None = None) -> tuple[str, str]:
    name = name.strip()
    slug = slugify(name)
    others = Team.objects.exclude(pk=team.pk) if team else Team.objects.all()
    if not name:
        raise ValidationError({"name": "Give the team a name."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    if not slug:
        raise ValidationError({"name": "Use at least one letter or digit in the name."})
    if others.filter(name__iexact=name).exists() or others.filter(slug=slug).exists():
        raise ValidationError({"name": f"A team named '{name}' already exists."})
    return name, slug


def _clean_members(members: list[User]) -> list[User]:
    outsiders = [user.email for user in members if user.is_client_user or not user.is_active]
    if outsiders:
        raise ValidationError(
            {"members": f"Only active agency members can join a team, not {outsiders[0]}."}
        )
    return members


@transaction.atomic
def team_add(*, name: str, user: User | None, members: list[User] | None = None) -> Team:
    """``team_create`` for a person's request: the name is checked and the creation audited."""
    name, _ = _clean_team_name(name)
    team = team_create(name=name, members=_clean_members(list(members or [])))
    _team_audit(user, "create", team.pk, {}, _team_snapshot(team))
    return team


@transaction.atomic
def team_update(*, team: Team, user: User | None, name: str) -> Team:
    """Rename a team (its slug follows the name)."""
    name, slug = _clean_team_name(name, team=team)
    before = _team_snapshot(team)
    team.name, team.slug = name, slug
    team.save(update_fields=["name", "slug"])
    after = _team_snapshot(team)
    if after != before:
        _team_audit(user, "update", team.pk, before, after)
    return team


@transaction.atomic
def team_delete(*, team: Team, user: User | None) -> None:
    """Delete a team: its mentions and routing rules keep going, without a team."""
    before, pk = _team_snapshot(team), team.pk
    team.delete()
    _team_audit(user, "delete", pk, before, {})


@transaction.atomic
def team_members_set(*, team: Team, user: User | None, members: list[User]) -> Team:
    """Make ``members`` the team's members, exactly."""
    before = _team_snapshot(team)
    team.members.set(_clean_members(list(members)))
    after = _team_snapshot(team)
    if after != before:
        _team_audit(user, "members", team.pk, before, after)
    return team


# --- two-factor sign-in (TOTP, django-otp) ------------------------------------------------------


def user_sign_out_everywhere(*, user: User, keep_session_key: str | None = None) -> int:
    """Revoke every API token (knox) and end every session of ``user`` but ``keep_session_key``
    (the one that asked, when it stays trusted). Returns how many were revoked.

    Called when the credentials that opened them stop being enough: two-factor turned on, the
    password changed or reset, the person removed.
    """
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session
    from knox.models import AuthToken

    tokens, _ = AuthToken.objects.filter(user=user).delete()
    live = Session.objects.filter(expire_date__gt=timezone.now())
    if keep_session_key:
        live = live.exclude(session_key=keep_session_key)
    theirs = [
        session.session_key
        for session in live.iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk)
    ]
    sessions, _ = Session.objects.filter(session_key__in=theirs).delete()
    return tokens + sessions


def user_password_changed(*, user: User) -> int:
    """After ``user``'s password changed (a reset included): sessions and API tokens opened
    with the old one are revoked (Django already refuses the sessions; the tokens too now)."""
    _user_audit(user, "password_changed", {}, {})
    return user_sign_out_everywhere(user=user)


@transaction.atomic
def user_remove(*, user: User, removed_by: User) -> User:
    """Remove a person from the agency: deactivated (their name stays on past work), signed
    out everywhere. Nobody removes themselves, and only an owner removes an owner."""
    if user.pk == removed_by.pk:
        raise ValidationError("You cannot remove yourself.")
    if not can_manage_people(removed_by) or (
        user.role == User.Role.OWNER and removed_by.role != User.Role.OWNER
    ):
        raise PermissionDenied("Only owners remove owners; owners and managers remove others.")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        _user_audit(user, "remove", {"is_active": True}, {"is_active": False}, actor=removed_by)
    user_sign_out_everywhere(user=user)
    return user


WRONG_CODE = "That code is not right: enter the 6 digits your authenticator app shows now."


def _user_audit(
    user: User, action: str, before: dict, after: dict, *, actor: User | None = None
) -> None:
    events.audit_recorded.publish(
        actor=actor or user, action=action, object_type="user", object_id=user.pk,
        before=before, after=after,
    )  # fmt: skip


def _code_error(device, code: str) -> str | None:
    """Why ``code`` is refused by ``device`` (locked for update), or ``None``: it is accepted.

    django-otp refuses a code already used (each time step counts once) and, after wrong
    codes, any code for a growing pause (1 s, 2 s, 4 s …); a wrong code is counted on the
    device, so callers raise only after their transaction has committed.
    """
    allowed, details = device.verify_is_allowed()
    if not allowed:
        locked_until = (details or {}).get("locked_until")
        wait = ""
        if locked_until is not None:
            seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
            wait = f" in {seconds} second{'s' if seconds != 1 else ''}"
        return f"Too many wrong codes in a row: try again{wait}."
    if not device.verify_token("".join((code or "").split())):
        return WRONG_CODE
    return None


def _locked(device):
    return type(device).objects.select_for_update().get(pk=device.pk)


@transaction.atomic
def two_factor_start(*, user: User):
    """Begin setting up an authenticator app: a new, unconfirmed TOTP device with a fresh
    secret (any earlier unconfirmed one is dropped). Two-factor is on only once confirmed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not can_use_two_factor(user):
        raise PermissionDenied("Two-factor sign-in is for agency staff.")
    if two_factor_device(user=user) is not None:
        raise ValidationError("Two-factor sign-in is already on.")
    TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def two_factor_confirm(*, user: User, code: str, keep_session_key: str | None = None):
    """Turn two-factor sign-in on: ``code`` proves the app holds the new device's secret.
    Every other session and every API token of the user, opened with the password alone, is
    revoked (``keep_session_key``: the session that proved the code)."""
    if not can_use_two_factor(user):
        raise PermissionDenied("Two-factor sign-in is for agency staff.")
    with transaction.atomic():
        if two_factor_device(user=user) is not None:
            raise ValidationError("Two-factor sign-in is already on.")
        device = two_factor_pending_device(user=user)
        if device is None:
            raise ValidationError("Start the set-up first: there is no code to check yet.")
        device = _locked(device)
        error = _code_error(device, code)
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _user_audit(user, "two_factor_on", {"two_factor": False}, {"two_factor": True})
            user_sign_out_everywhere(user=user, keep_session_key=keep_session_key)
    if error is not None:
        raise ValidationError({"code": error})
    return device


def two_factor_verify(*, user: User, code: str):
    """The second step of signing in: the user's confirmed device if ``code`` is its current
    code; ``ValidationError`` (on ``code``) otherwise, the wrong code counted on the device."""
    with transaction.atomic():
        device = two_factor_device(user=user)
        if device is None:
            raise ValidationError({"code": "Two-factor sign-in is off for this account."})
        device = _locked(device)
        error = _code_error(device, code)
    if error is not None:
        raise ValidationError({"code": error})
    return device


def two_factor_disable(*, user: User, code: str) -> None:
    """Turn two-factor sign-in off, with a current code (a stolen session alone cannot)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        device = two_factor_device(user=user)
        if device is None:
            raise ValidationError("Two-factor sign-in is already off.")
        error = _code_error(_locked(device), code)
        if error is None:
            TOTPDevice.objects.devices_for_user(user, confirmed=None).delete()
            _user_audit(user, "two_factor_off", {"two_factor": True}, {"two_factor": False})
    if error is not None:
        raise ValidationError({"code": error})
