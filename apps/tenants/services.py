"""Agency provisioning: one transaction that clones the template schema and adds the owner."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from apps.core import events, outbox

from .cloning import clone_template_schema
from .models import Agency, AgencySignup, Domain
from .validators import schema_name_for, validate_agency_slug


def agency_host(slug: str) -> str:
    """The host name an agency is reached at (lower case, as domains are looked up)."""
    return f"{slug}.{settings.BASE_DOMAIN}".lower()


def _check_available(slug: str, schema_name: str, host: str) -> None:
    if (
        Agency.objects.filter(slug=slug).exists()
        or Agency.objects.filter(schema_name=schema_name).exists()
    ):
        raise ValidationError(f"An agency with slug '{slug}' already exists.")
    if Domain.objects.filter(domain=host).exists():
        raise ValidationError(f"The host '{host}' is already in use.")
    if schema_exists(schema_name, case_sensitive=False):
        raise ValidationError(f"A database schema named '{schema_name}' already exists.")


def agency_provision(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str = "",
    admin_password_hash: str = "",
) -> Agency:
    """Create an agency: schema (cloned from the template), host name and owner user.

    The owner's password is given in clear (``admin_password``) or already hashed
    (``admin_password_hash``, as the sign-up page keeps it). Everything happens in one database
    transaction — PostgreSQL DDL is transactional — so a
    failure at any step leaves no agency row, domain or schema behind.
    """
    validate_agency_slug(slug)
    if not (admin_password or admin_password_hash):
        raise ValidationError("The owner needs a password.")
    if not name.strip():
        raise ValidationError("Agency name must not be empty.")
    schema_name = schema_name_for(slug)
    host = agency_host(slug)
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        raise ValidationError(
            f"The template schema '{template}' is missing: run 'python manage.py migrate' first."
        )

    connection.set_schema_to_public()
    with transaction.atomic():
        _check_available(slug, schema_name, host)
        agency = Agency.objects.create(slug=slug, name=name.strip(), schema_name=schema_name)
        clone_template_schema(template, schema_name)
        with schema_context(schema_name):
            events.agency_created.publish(
                agency=agency,
                owner_email=admin_email,
                owner_password=admin_password or secrets.token_urlsafe(32),
                owner_password_hash=admin_password_hash,
            )
        Domain.objects.create(domain=host, tenant=agency, is_primary=True)
    return agency


def agency_ensure_public() -> Agency:
    """Create or update the public tenant so the landing page answers on ``BASE_DOMAIN``."""
    connection.set_schema_to_public()
    public, _ = Agency.objects.get_or_create(
        schema_name="public", defaults={"slug": "public", "name": "Rapport"}
    )
    Domain.objects.update_or_create(
        tenant=public, is_primary=True, defaults={"domain": settings.BASE_DOMAIN}
    )
    return public


def agency_set_white_label(
    *,
    agency: Agency,
    accent_colour: str,
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
) -> Agency:
    """The agency's look on its clients' reports: accent colour (``#RRGGBB`` or empty) and logo
    (``(bytes, content type)`` as ``apps.core.images.logo_checked`` gives; kept unless replaced
    or removed)."""
    agency.accent_colour = accent_colour
    if logo or remove_logo:
        agency.logo, agency.logo_type = logo if logo else (None, "")
    agency.full_clean(exclude=[f.name for f in Agency._meta.fields if f.name != "accent_colour"])
    Agency.objects.filter(pk=agency.pk).update(
        accent_colour=agency.accent_colour, logo=agency.logo, logo_type=agency.logo_type
    )
    return agency


def agency_set_report_email(*, agency: Agency, sender_name: str, reply_to: str) -> Agency:
    """The name report e-mails come from (empty: the agency's name; the address stays
    Rapport's) and where replies to them go (empty: none). ``ValidationError`` by field."""
    sender_name, reply_to = sender_name.strip(), reply_to.strip()
    errors = {}
    if len(sender_name) > 100:
        errors["report_sender_name"] = "At most 100 characters."
    elif any(ord(c) < 32 or ord(c) == 127 for c in sender_name) or set('<>@"') & set(sender_name):
        errors["report_sender_name"] = 'A name only: no line breaks, "@", "<", ">" or quotes.'
    if reply_to:
        try:
            validate_email(reply_to)
        except ValidationError:
            errors["report_reply_to"] = "Enter a valid e-mail address, e.g. team@agency.com."
    if errors:
        raise ValidationError(errors)
    Agency.objects.filter(pk=agency.pk).update(
        report_sender_name=sender_name, report_reply_to=reply_to
    )
    agency.report_sender_name, agency.report_reply_to = sender_name, reply_to
    return agency


def agency_set_portal_staff_names(*, agency: Agency, shown: bool) -> Agency:
    """Whether the client portal names the agency's staff (off: "the <agency> team")."""
    Agency.objects.filter(pk=agency.pk).update(portal_shows_staff_names=shown)
    agency.portal_shows_staff_names = shown
    return agency


# --- self-serve sign-up on the public host ----------------------------------------------------
#
# The form stores an ``AgencySignup`` (the password already hashed) and e-mails a link; opening
# it marks the sign-up verified and queues ``provision_signup``, which provisions the agency with
# ``agency_provision``. Until then nothing exists in the agency's name but the sign-up row.

SIGNUP_HOLDS_SLUG = timedelta(days=1)  # an unverified sign-up keeps its slug from others this long


def agency_slug_problem(slug: str, *, signup: AgencySignup | None = None) -> str | None:
    """Why ``slug`` cannot be used for a new agency right now, or ``None`` when it can."""
    try:
        validate_agency_slug(slug)
        _check_available(slug, schema_name_for(slug), agency_host(slug))
    except ValidationError as error:
        return " ".join(error.messages)
    held = AgencySignup.objects.filter(
        slug=slug,
        status__in=[AgencySignup.Status.UNVERIFIED, AgencySignup.Status.PROVISIONING],
        created_at__gte=timezone.now() - SIGNUP_HOLDS_SLUG,
    )
    if signup is not None:
        held = held.exclude(pk=signup.pk)
    if held.exists():
        return f"The slug '{slug}' is taken; choose another."
    return None


def signup_allowed(*, ip_address: str | None) -> bool:
    """Count one sign-up from ``ip_address``; ``False`` once it made
    ``RAPPORT_SIGNUPS_PER_HOUR`` of them within the hour."""
    key = f"signup-rate:{ip_address or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= settings.RAPPORT_SIGNUPS_PER_HOUR


def signup_start(
    *,
    name: str,
    slug: str,
    email: str,
    password: str,
    verify_url: Callable[[str], str],
    ip_address: str | None = None,
) -> AgencySignup:
    """Record a sign-up and e-mail its verification link (``verify_url(token)``).

    Raises ``ValidationError`` by field: an empty name, an unusable or taken slug, a bad e-mail
    address, a weak password (Django's password validators).
    """
    name, slug = name.strip(), slug.strip().lower()
    email = BaseUserManager.normalize_email(email.strip()).lower()
    errors: dict[str, str | list[str]] = {}
    if not name:
        errors["name"] = "Give your agency a name."
    if problem := agency_slug_problem(slug):
        errors["slug"] = problem
    try:
        validate_email(email)
    except ValidationError as error:
        errors["email"] = error.messages
    try:
        validate_password(password, get_user_model()(username=email, email=email))
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    signup = AgencySignup.objects.create(
        name=name,
        slug=slug,
        email=email,
        password_hash=make_password(password),
        token=secrets.token_urlsafe(32),
        ip_address=ip_address,
    )
    context = {"signup": signup, "link": verify_url(signup.token)}
    send_mail(
        f"Confirm your e-mail to create {name} on Rapport",
        render_to_string("tenants/signup_email.txt", context),
        None,
        [email],
    )
    return signup


def signup_verify(*, token: str) -> AgencySignup:
    """The owner opened the e-mailed link: mark the sign-up verified and queue provisioning
    (once; opening the link again changes nothing). ``AgencySignup.DoesNotExist`` for an
    unknown token."""
    with transaction.atomic():
        signup = AgencySignup.objects.select_for_update().get(token=token)
        if signup.status != AgencySignup.Status.UNVERIFIED:
            return signup
        signup.verified_at = timezone.now()
        signup.status = AgencySignup.Status.PROVISIONING
        signup.save(update_fields=["verified_at", "status"])
        # Through the outbox: with the broker down the link still answers at once.
        outbox.enqueue("apps.tenants.tasks.provision_signup", signup.pk)
    return signup


def signup_provision(*, signup_id: int) -> AgencySignup:
    """Provision the agency of a verified sign-up; the outcome is kept on the sign-up."""
    signup = AgencySignup.objects.get(pk=signup_id)
    if signup.status != AgencySignup.Status.PROVISIONING:
        return signup
    try:
        if problem := agency_slug_problem(signup.slug, signup=signup):
            raise ValidationError(problem)
        agency = agency_provision(
            slug=signup.slug,
            name=signup.name,
            admin_email=signup.email,
            admin_password_hash=signup.password_hash,
        )
    except ValidationError as error:
        signup.status, signup.error = AgencySignup.Status.FAILED, " ".join(error.messages)
        signup.save(update_fields=["status", "error"])
        return signup
    signup.status, signup.agency, signup.password_hash = AgencySignup.Status.READY, agency, ""
    signup.save(update_fields=["status", "agency", "password_hash"])
    return signup


# --- data retention ----------------------------------------------------------------------------


def agency_set_retention(*, agency: Agency, days: int | None) -> Agency:
    """Keep the agency's mentions for ``days`` after they were posted; ``None`` keeps them forever.

    The daily ``purge_expired_mentions`` task then removes older mentions (see
    ``apps.listening.services.mentions_purge_expired``).
    """
    if days is not None and days < 1:
        raise ValidationError("Retention must be at least one day, or empty to keep forever.")
    agency.retention_days = days
    agency.save(update_fields=["retention_days"])
    return agency
