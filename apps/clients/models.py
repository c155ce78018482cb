"""Client brands an agency works for, and who may see each of them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class Client(models.Model):
    """A brand the agency listens and answers for."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    brand_handles = ArrayField(
        models.CharField(max_length=200), default=list, blank=True,
        help_text="The brand's own accounts, e.g. @northwind (its posts need no acknowledgement)",
    )  # fmt: skip
    keywords = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    competitors = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    locale = models.CharField(
        max_length=8, choices=settings.RAPPORT_REPORT_LANGUAGES, default="en", db_default="en",
        help_text="The language of the client's reports and portal figures",
    )  # fmt: skip
    logo = models.BinaryField(null=True, blank=True, editable=False)  # PNG or JPEG: core.images
    logo_type = models.CharField(max_length=20, blank=True, default="", db_default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def normalise_account_handle(handle: str) -> str:
    """How account handles are stored and compared (as authors' are): no "@", lower case."""
    return handle.strip().lstrip("@").lower()


class ClientAccount(models.Model):
    """One of the brand's own accounts, or a competitor's, on one platform.

    Mentions by these accounts never need acknowledgement, and their authors are never
    customers, advocates or ranked influencers. ``brand_handles`` on the client still means
    "this handle on every platform"; these rows name one platform each, and may carry the
    platform's account id (matched against the author's profile URL where handles change).
    """

    class Role(models.TextChoices):
        BRAND = "brand", "Brand"
        COMPETITOR = "competitor", "Competitor"

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by staff"
        CHANNEL = "channel", "Named by a channel"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="accounts")
    role = models.CharField(max_length=12, choices=Role.choices)
    platform = models.CharField(max_length=20)
    handle = models.CharField(max_length=300)  # normalised: no leading "@", lower case
    account_id = models.CharField(max_length=200, blank=True, default="")
    competitor = models.CharField(
        max_length=200, blank=True, default="", help_text="Which competitor (competitor accounts)"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["role", "platform", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "role", "platform", "handle"], name="unique_client_account"
            ),
            models.CheckConstraint(
                condition=~models.Q(handle=""), name="client_account_handle_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.platform}:{self.handle}"


class ClientMembership(models.Model):
    """Binds a user to a client: portal users see only their clients, staff their assignments."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        RESPONDER = "responder", "Responder"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_memberships"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="unique_client_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.client_id} ({self.role})"


class Customer(models.Model):
    """A client's customer from its CRM, so the inbox can rank people by value and influence."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(max_length=200, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    lifetime_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    segment = models.CharField(max_length=100, blank=True, default="")
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["client", "email"], name="customer_client_email_idx")]

    def __str__(self) -> str:
        return self.name or self.email


class CustomerIdentity(models.Model):
    """One way to recognise a customer among authors: a platform handle, or an e-mail address."""

    EMAIL = "email"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    platform = models.CharField(max_length=20)  # a channel platform, or "email"
    value = models.CharField(max_length=300)  # normalised: no leading "@", lower case

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "platform", "value"], name="unique_customer_identity"
            )
        ]
        indexes = [models.Index(fields=["platform", "value"], name="customer_identity_lookup")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.value}"
