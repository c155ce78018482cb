"""Agencies (tenants) and their host names, stored in the public schema."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Agency(TenantMixin):
    """A social-media agency: one PostgreSQL schema holding its users, clients and mentions."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Mentions posted longer ago than this many days are purged daily; "
        "empty keeps them forever.",
    )
    portal_shows_staff_names = models.BooleanField(
        default=False,
        db_default=False,  # rows written by SQL (restores of older backups) get it too
        help_text="Client users see who acknowledged by name; otherwise as the agency's team. "
        "Staff e-mail addresses are never shown to them.",
    )

    # White label: what the portal, the PDF reports and the e-mails show instead of Rapport's look
    logo = models.BinaryField(null=True, blank=True, editable=False)  # PNG or JPEG: core.images
    logo_type = models.CharField(max_length=20, blank=True, default="", db_default="")
    accent_colour = models.CharField(
        max_length=7, blank=True, default="", db_default="",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as #RRGGBB, e.g. #0f766e.")],
        help_text="#RRGGBB; empty: Rapport's blue",
    )  # fmt: skip
    # ...and on the report e-mails: the From name (the address stays Rapport's) and Reply-To
    report_sender_name = models.CharField(
        max_length=100, blank=True, default="", db_default="",
        help_text="The name report e-mails come from; empty: the agency's name",
    )  # fmt: skip
    report_reply_to = models.EmailField(
        blank=True, default="", db_default="",
        help_text="Where replies to report e-mails go; empty: nowhere but the sender",
    )  # fmt: skip

    auto_create_schema = False  # provisioning clones the template schema in one transaction
    auto_drop_schema = True

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_days__isnull=True) | models.Q(retention_days__gte=1),
                name="agency_retention_days_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    """A host name that routes to an agency, e.g. ``acme.localhost``."""


class AgencySignup(models.Model):
    """A request for a new agency from the public sign-up page.

    Nothing is provisioned until the owner opens the link e-mailed to them (``verified_at``):
    an unverified sign-up has no schema, no host and so no channels that could be fetched.
    """

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", "Waiting for the e-mail to be confirmed"
        PROVISIONING = "provisioning", "Setting up the agency"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=40)
    email = models.EmailField()
    password_hash = models.CharField(max_length=256)
    token = models.CharField(max_length=64, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNVERIFIED)
    error = models.TextField(blank=True, default="")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["slug"], name="agency_signup_slug_idx")]

    def __str__(self) -> str:
        return f"{self.slug} ({self.status})"
