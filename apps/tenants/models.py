"""Agencies (tenants) and their host names, stored in the public schema."""

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Agency(TenantMixin):
    """A social-media agency: one PostgreSQL schema holding its users, clients and mentions."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = False  # provisioning clones the template schema in one transaction
    auto_drop_schema = True

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    """A host name that routes to an agency, e.g. ``acme.localhost``."""
