"""Factories for clients in the current agency schema."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from apps.clients.models import Client, ClientMembership, Customer


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    timezone = "Europe/London"
    brand_handles = factory.LazyAttribute(lambda c: [c.slug])


class ClientMembershipFactory(DjangoModelFactory):
    class Meta:
        model = ClientMembership

    role = ClientMembership.Role.VIEWER


class CustomerFactory(DjangoModelFactory):
    """A customer as the CRM import leaves it, without identities (add them where needed)."""

    class Meta:
        model = Customer

    client = factory.SubFactory(ClientFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.test")
    lifetime_value = Decimal("100.00")
