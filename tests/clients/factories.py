"""Factories for clients in the current agency schema."""

import factory
from factory.django import DjangoModelFactory

from apps.clients.models import Client, ClientMembership


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
