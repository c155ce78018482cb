"""``manage.py seed_demo``: the demo agency (owner demo@rapport.test / demo) and its data."""

from django.core.management.base import BaseCommand

from apps.demo.services import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, demo_seed
from apps.tenants.services import agency_host


class Command(BaseCommand):
    help = "Create the demo agency with its owner and data (idempotent)."

    def handle(self, *args, **options):
        agency, created = demo_seed()
        verb = "Created" if created else "Found"
        self.stdout.write(
            f"{verb} demo agency at http://{agency_host(agency.slug)}/ "
            f"— sign in as {DEMO_OWNER_EMAIL} / {DEMO_OWNER_PASSWORD}"
        )
