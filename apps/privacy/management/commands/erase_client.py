"""``manage.py erase_client --agency demo --client northwind-coffee --requested-by "…" --yes``."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.clients.commands import client_or_error
from apps.privacy.data_rights import client_erase
from apps.tenants.commands import agency_or_error


class Command(BaseCommand):
    help = "Erase one client with all its data from its agency (logged). Cannot be undone."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="agency slug")
        parser.add_argument("--client", required=True, help="client slug")
        parser.add_argument("--requested-by", required=True, help="who asked, for the log")
        parser.add_argument("--yes", action="store_true", help="confirm: erase for good")

    def handle(self, *args, agency: str, client: str, requested_by: str, yes: bool, **options):
        tenant = agency_or_error(agency)
        with schema_context(tenant.schema_name):
            target = client_or_error(client, agency=agency)
            if not yes:
                raise CommandError(
                    f"This erases '{target.name}' and all its data for good; add --yes to do it."
                )
            counts = client_erase(client=target, requested_by=requested_by)
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Erased {client}: {summary}."))
