"""Who sees which clients: staff see all, portal and team users only their memberships."""

import pytest

from apps.clients.selectors import client_list
from tests.accounts.factories import UserFactory

from .factories import ClientFactory, ClientMembershipFactory


@pytest.mark.parametrize("role", ["owner", "manager", "responder"])
def test_agency_staff_see_every_client(in_agency_a, role):
    clients = {ClientFactory(), ClientFactory()}
    assert set(client_list(user=UserFactory(role=role))) == clients


@pytest.mark.parametrize("role", ["client_viewer", "client_responder", "team_member"])
def test_other_users_see_only_clients_they_belong_to(in_agency_a, role):
    mine, _theirs = ClientFactory(), ClientFactory()
    user = UserFactory(role=role)
    ClientMembershipFactory(user=user, client=mine)
    assert list(client_list(user=user)) == [mine]


def test_user_without_membership_sees_no_client(in_agency_a):
    ClientFactory()
    assert not client_list(user=UserFactory(role="client_viewer")).exists()


def test_responder_bound_to_clients_sees_only_those(in_agency_a):
    mine, _theirs = ClientFactory(), ClientFactory()
    responder = UserFactory(role="responder")
    ClientMembershipFactory(user=responder, client=mine, role="responder")
    assert list(client_list(user=responder)) == [mine]
