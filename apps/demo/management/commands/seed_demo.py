"""``manage.py seed_demo``: the demo agency (owner demo@rapport.test / demo) and its data."""

from django.core.management.base import BaseCommand

from apps.demo.services import (
    DEFAULT_PLATFORMS_URL,
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
    demo_seed,
)
from apps.tenants.services import agency_host


class Command(BaseCommand):
    help = "Create the demo agency with its clients, channels and mentions (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--platforms-url",
            default=DEFAULT_PLATFORMS_URL,
            help="where 'manage.py serve_fake_platforms' listens",
        )
        parser.add_argument("--no-fetch", action="store_true", help="create data, fetch nothing")

    def handle(self, *args, **options):
        report = demo_seed(platforms_url=options["platforms_url"], fetch=not options["no_fetch"])
        verb = "Created" if report.created else "Found"
        self.stdout.write(
            f"{verb} demo agency at http://{agency_host(report.agency.slug)}/ "
            f"— sign in as {DEMO_OWNER_EMAIL} / {DEMO_OWNER_PASSWORD}"
        )
        new = sum(report.fetched.values())
        self.stdout.write(
            f"{report.channels} channels; fetched {new} new mentions; "
            f"{report.customers} customers imported."
        )
        for name, error in report.failed.items():
            self.stderr.write(f"  {name}: {error}")
        if report.failed:
            self.stderr.write(
                f"Is 'manage.py serve_fake_platforms' running at {options['platforms_url']}?"
            )
