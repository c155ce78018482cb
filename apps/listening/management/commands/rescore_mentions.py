"""``manage.py rescore_mentions --agency demo [--all] [--client ID]``: sentiment and intent again
with the current model (corrected mentions are kept as the person set them)."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.listening.services import mentions_rescore
from apps.tenants.selectors import agency_get_by_slug


class Command(BaseCommand):
    help = "Score mentions' sentiment and intent again; people's corrections are kept."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="the agency's slug")
        parser.add_argument("--client", type=int, help="only this client's mentions (id)")
        parser.add_argument(
            "--all", action="store_true",
            help="every mention not corrected by a person (default: those with no intent yet)",
        )  # fmt: skip

    def handle(self, *args, **options):
        agency = agency_get_by_slug(options["agency"])
        if agency is None:
            raise CommandError(f"No agency {options['agency']!r}.")
        with schema_context(agency.schema_name):
            written = mentions_rescore(
                unscored_only=not options["all"], client_id=options["client"]
            )
        self.stdout.write(f"Scored {written} mentions.")
