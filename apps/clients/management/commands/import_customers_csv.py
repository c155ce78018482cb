"""``manage.py import_customers_csv --agency demo --client northwind-coffee customers.csv``."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.clients.commands import client_or_error
from apps.clients.services import CustomerImportError, customer_import_csv
from apps.core.commands import invalid_rows_error, read_or_error
from apps.tenants.commands import agency_or_error


class Command(BaseCommand):
    help = (
        "Import a client's customers (CRM overlay) from a CSV file and link their mentions; "
        "a file with any bad row imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--agency", required=True, help="agency slug")
        parser.add_argument("--client", required=True, help="client slug")

    def handle(self, *args, file: Path, agency: str, client: str, **options):
        tenant = agency_or_error(agency)
        content = read_or_error(file)
        with schema_context(tenant.schema_name):
            target = client_or_error(client, agency=agency)
            try:
                result = customer_import_csv(client=target, file_bytes=content)
            except CustomerImportError as error:
                raise invalid_rows_error(self.stderr, error.rows) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created + result.updated} customers for {target.name} "
                f"({result.created} new, {result.updated} updated, {result.identities} "
                f"identities); {result.mentions_linked} mentions linked, "
                f"{result.mentions_unlinked} unlinked."
            )
        )
