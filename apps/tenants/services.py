"""Agency provisioning: one transaction that clones the template schema and adds the owner."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_tenants.utils import schema_context, schema_exists

from apps.accounts.models import User
from apps.accounts.services import user_create

from .cloning import clone_template_schema
from .models import Agency, Domain
from .validators import schema_name_for, validate_agency_slug


def agency_host(slug: str) -> str:
    """The host name an agency is reached at."""
    return f"{slug}.{settings.BASE_DOMAIN}"


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


def agency_provision(*, slug: str, name: str, admin_email: str, admin_password: str) -> Agency:
    """Create an agency: schema (cloned from the template), host name and owner user.

    Everything happens in one database transaction — PostgreSQL DDL is transactional — so a
    failure at any step leaves no agency row, domain or schema behind.
    """
    validate_agency_slug(slug)
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
            user_create(
                email=admin_email,
                password=admin_password,
                role=User.Role.OWNER,
                first_name="",
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
