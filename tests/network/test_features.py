"""Families, care status and invitations: switched per organisation, with their rules."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from omgeving.accounts.models import Role, User
from omgeving.network.models import CareStatus, Invitation, Relation, today
from omgeving.tokens.services import issue_token

from ..helpers import client_for, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def on(org_a):
    org_a.feature_families = org_a.feature_care_status = org_a.feature_invitations = True
    org_a.save()
    return org_a


def test_features_are_off_by_default(api_a, org_a):
    for path in ("/api/families/", "/api/care-statuses/", "/api/invitations/"):
        response = api_a.get(path)
        assert response.status_code == 404 and response.json()["code"] == "feature_disabled"
    response = api_a.get("/api/users/?care_status=1")
    assert response.status_code == 400 and response.json()["code"] == "filter_unavailable"


def test_families(api_a, on):
    joost, ans = make_person(on, "joost"), make_person(on, "ans", Role.GUARDIAN)
    response = api_a.post("/api/families/", {"name": "De Vries", "street": "Dorpsstraat",
                                             "house_number": "1", "postal_code": "3511 AA",
                                             "city": "Utrecht", "members": [joost.pk, ans.pk],
                                             "external_id": "GEZIN-1"}, format="json")
    assert response.status_code == 201, response.content
    family = response.json()
    assert family["members"] == [joost.pk, ans.pk]
    response = api_a.patch(f"/api/families/{family['id']}/", {"members": [joost.pk]},
                           format="json")
    assert response.json()["members"] == [joost.pk]
    assert [f["id"] for f in api_a.get(f"/api/families/?member={joost.pk}").json()["results"]] \
        == [family["id"]]
    response = api_a.post("/api/families/", {"name": "X", "external_id": "GEZIN-1"},
                          format="json")
    assert response.status_code == 409
    app = User.objects.get(username="api")
    response = api_a.post("/api/families/", {"name": "Y", "members": [app.pk]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_in_network"


def test_care_status_with_history_and_filter(api_a, on):
    joost, lisa = make_person(on, "joost"), make_person(on, "lisa")
    waiting = api_a.post("/api/care-statuses/", {"name": "wachtlijst", "position": 1},
                         format="json").json()
    in_care = api_a.post("/api/care-statuses/", {"name": "in zorg", "position": 2},
                         format="json").json()
    assert api_a.post(f"/api/users/{joost.pk}/care-status/", {"status": waiting["id"]},
                      format="json").status_code == 201
    api_a.post(f"/api/users/{lisa.pk}/care-status/", {"status": waiting["id"]}, format="json")
    body = api_a.post(f"/api/users/{joost.pk}/care-status/", {"status": in_care["id"]},
                      format="json").json()
    assert body["current"]["status_name"] == "in zorg"
    assert [h["status_name"] for h in body["history"]] == ["in zorg", "wachtlijst"]
    assert body["current"]["set_by"] == User.objects.get(username="api").pk

    def clients(status):
        return [u["username"] for u in api_a.get(
            f"/api/users/?care_status={status}").json()["results"]]

    assert clients(in_care["id"]) == ["joost"]
    assert clients(waiting["id"]) == ["lisa"]  # Joost's old status does not count
    counselor = make_person(on, "pieter", Role.COUNSELOR)
    response = api_a.post(f"/api/users/{counselor.pk}/care-status/",
                          {"status": waiting["id"]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_a_client"
    CareStatus.objects.filter(pk=waiting["id"]).update(is_active=False)
    response = api_a.post(f"/api/users/{lisa.pk}/care-status/", {"status": waiting["id"]},
                          format="json")
    assert response.json()["code"] == "status_inactive"
    assert api_a.delete(f"/api/care-statuses/{in_care['id']}/").status_code == 409


def test_invitation_into_a_network_lifecycle(api_a, on):
    joost = make_person(on, "joost")
    end = (today() + datetime.timedelta(days=90)).isoformat()
    response = api_a.post("/api/invitations/", {
        "kind": "network", "client": joost.pk, "email": "ans@example.org", "first_name": "Ans",
        "authorisation": "GUARDIAN", "end_date": end}, format="json")
    assert response.status_code == 201, response.content
    invitation, token = response.json(), response.json()["token"]
    assert invitation["state"] == "pending"
    assert "token" not in api_a.get(f"/api/invitations/{invitation['id']}/").json()

    accepted = api_a.post("/api/invitations/accept/", {"token": token}, format="json").json()
    assert accepted["state"] == "accepted"
    relation = Relation.objects.get(pk=accepted["relation"])
    assert (relation.client, relation.authorisation, relation.end_date.isoformat()) == (
        joost, "GUARDIAN", end)
    assert relation.person.email == "ans@example.org" and relation.person.authorisation == \
        "GUARDIAN"
    # Single use: the token is gone; and an accepted invitation cannot be revoked.
    response = api_a.post("/api/invitations/accept/", {"token": token}, format="json")
    assert response.status_code == 400 and response.json()["code"] == \
        "invitation_token_invalid"
    response = api_a.post(f"/api/invitations/{invitation['id']}/revoke/")
    assert response.status_code == 400 and response.json()["code"] == "invitation_not_pending"


def test_invitation_of_a_client_by_an_application_names_the_counselor(api_a, on):
    pieter = make_person(on, "pieter", Role.COUNSELOR)
    response = api_a.post("/api/invitations/", {"kind": "client", "email": "new@example.org",
                                                "authorisation": "COUNSELOR"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "counselor"
    response = api_a.post("/api/invitations/", {"kind": "client", "email": "new@example.org",
                                                "counselor": pieter.pk,
                                                "authorisation": "COUNSELOR"}, format="json")
    token = response.json()["token"]
    accepted = api_a.post("/api/invitations/accept/", {"token": token}, format="json").json()
    relation = Relation.objects.get(pk=accepted["relation"])
    assert relation.person == pieter and relation.client.authorisation == "CLIENT"


def test_decline_revoke_and_expiry(api_a, on, settings):
    joost = make_person(on, "joost")

    def invite():
        return api_a.post("/api/invitations/", {
            "kind": "network", "client": joost.pk, "email": "x@example.org",
            "authorisation": "EXTERNAL"}, format="json").json()

    declined = invite()
    body = api_a.post("/api/invitations/decline/", {"token": declined["token"]},
                      format="json").json()
    assert body["state"] == "declined"
    revoked = invite()
    assert api_a.post(f"/api/invitations/{revoked['id']}/revoke/").json()["state"] == "revoked"
    response = api_a.post("/api/invitations/accept/", {"token": revoked["token"]},
                          format="json")
    assert response.json()["code"] == "invitation_token_invalid"

    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False) as traveller:
        expiring = invite()
        traveller.shift(settings.INVITATION_LIFETIME + 1)
        api_a = client_for(on, issue_token(User.objects.get(username="api")).token)
        assert api_a.get(f"/api/invitations/{expiring['id']}/").json()["state"] == "expired"
        assert [i["id"] for i in api_a.get("/api/invitations/?state=expired").json()[
            "results"]] == [expiring["id"]]
        response = api_a.post("/api/invitations/accept/", {"token": expiring["token"]},
                              format="json")
        assert response.json()["code"] == "invitation_expired"
    assert not Relation.objects.exists()
    assert Invitation.objects.count() == 3


def test_invitation_rules(api_a, on):
    joost, lisa = make_person(on, "joost"), make_person(on, "lisa")
    ans = make_person(on, "ans", Role.GUARDIAN)
    cases = [
        ({"kind": "network", "client": ans.pk, "email": "a@example.org",
          "authorisation": "GUARDIAN"}, "not_a_client"),
        ({"kind": "network", "client": joost.pk, "invitee": lisa.pk,
          "authorisation": "GUARDIAN"}, "client_to_client"),
        ({"kind": "network", "client": joost.pk, "authorisation": "GUARDIAN"}, "required"),
        ({"kind": "client", "email": "a@example.org", "counselor": ans.pk,
          "authorisation": "COUNSELOR"}, "not_a_professional"),
    ]
    for body, code in cases:
        response = api_a.post("/api/invitations/", body, format="json")
        assert response.status_code == 400 and response.json()["code"] == code, body
