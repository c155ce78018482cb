"""``manage.py refresh_signals [--agency SLUG]``: correct stored mentions' signals (spam, brand
and competitor accounts, needs acknowledgement, customers, advocates, unscored influence)."""

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.listening.signal_services import signals_refresh
from apps.tenants.commands import agency_or_error
from apps.tenants.selectors import agency_list


class Command(BaseCommand):
    help = "Bring every agency's (or one agency's) stored signals up to date (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--agency", help="the agency's slug (default: every agency)")

    def handle(self, *args, **options):
        agencies = [agency_or_error(options["agency"])] if options["agency"] else agency_list()
        for agency in agencies:
            with schema_context(agency.schema_name):
                result = signals_refresh()
            self.stdout.write(
                f"{agency.slug}: {result.spam_marked} mentions now spam, {result.spam_cleared} "
                f"no longer; {result.needs_acknowledgement_changed} changed whether they need "
                f"acknowledgement; {result.influence_scored} authors scored."
            )
