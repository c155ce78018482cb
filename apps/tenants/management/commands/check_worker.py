"""``manage.py check_worker --agency demo``: round-trip a task through the broker and a worker."""

from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.core.tasks import describe_agency
from apps.tenants.commands import agency_or_error


class Command(BaseCommand):
    help = "Send a task for an agency through the broker and show the schema a worker ran it in."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="agency slug")
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args, **options):
        agency = agency_or_error(options["agency"])
        with schema_context(agency.schema_name):
            result = describe_agency.delay()
        try:
            report = result.get(timeout=options["timeout"])
        except CeleryTimeoutError as error:
            raise CommandError(
                "No worker answered: is 'celery -A agency worker' running?"
            ) from error
        self.stdout.write(f"worker ran in schema {report['schema']} ({len(report['users'])} users)")
