"""``manage.py refresh_people --agency demo [--client lumen-bikes]``: a person for every author
of the agency's mentions that has none (after rows loaded without ingest, such as ``COPY``),
with CRM links and link suggestions."""

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.clients.commands import client_or_error
from apps.community.services import people_refresh
from apps.tenants.commands import agency_or_error


class Command(BaseCommand):
    help = "Give every author of an agency's mentions their person (CRM links, suggestions)."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="the agency's slug")
        parser.add_argument("--client", default="", help="only this client (slug)")

    def handle(self, *args, agency: str, client: str, **options):
        found = agency_or_error(agency)
        with schema_context(found.schema_name):
            only = client_or_error(client, agency=agency) if client else None
            linked = people_refresh(client=only)
        self.stdout.write(f"{linked} authors linked to their people.")
