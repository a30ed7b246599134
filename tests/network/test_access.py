"""Who may see what — the worked example of docs/access.md.

Joost is a client. His mother Ans is his GUARDIAN. His teacher Tim was EXTERNAL until last
month. Pieter, a COUNSELOR, reaches Joost through the group "Team Noord", of which Joost and a
second client, Lisa, are clients.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from omgeving.accounts.models import Role, User
from omgeving.demo import worked_example
from omgeving.network import access, services
from omgeving.network.models import Relation, today

from ..helpers import make_person

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
DAY = datetime.timedelta(days=1)

CLIENT_AS_COUNSELOR = {"identity", "contact", "birth_date", "network", "messages",
                       "appointments", "goals", "reports", "documents"}
CLIENT_AS_GUARDIAN = {"identity", "contact", "birth_date", "network", "messages",
                      "appointments", "goals"}


@pytest.fixture
def joost_network(org_a):
    """The same network `make run` gives the demo organisation."""
    return worked_example(org_a)


def sees(p, viewer, subject) -> set[str]:
    return set(access.may_see(p[viewer], p[subject]).granted)


def test_the_counselor_through_the_group(joost_network):
    p = joost_network
    assert sees(p, "pieter", "joost") == CLIENT_AS_COUNSELOR  # no BSN for a COUNSELOR
    result = access.may_see(p["pieter"], p["joost"])
    [reason] = result.reasons
    assert reason["viewer_path"]["via"] == "group"
    assert reason["viewer_path"]["group_name"] == "Team Noord"
    assert sees(p, "pieter", "lisa") == CLIENT_AS_COUNSELOR  # the second client, same group
    assert sees(p, "pieter", "ans") == {"identity", "contact"}  # indirect, through Joost


def test_the_mother(joost_network):
    p = joost_network
    assert sees(p, "ans", "joost") == CLIENT_AS_GUARDIAN
    assert sees(p, "ans", "pieter") == {"identity", "contact"}  # Joost's counselor
    assert sees(p, "ans", "lisa") == set()  # shares a counselor, not a network
    assert sees(p, "ans", "tim") == set()  # Tim's relation has ended


def test_the_teacher_whose_relation_ended_last_month(joost_network):
    p = joost_network
    for subject in ("joost", "ans", "pieter", "lisa"):
        assert sees(p, "tim", subject) == set(), subject
    last_month = today() - datetime.timedelta(days=30)
    assert set(access.may_see(p["tim"], p["joost"], day=last_month).granted) == {
        "identity", "network", "messages", "appointments"}  # what EXTERNAL had until then
    # Joost's network of that day: Tim, not Ans and Pieter, whose paths start today
    assert [path.person_id for path in access.paths_to_client(p["joost"], day=last_month)] \
        == [p["tim"].pk]
    assert {path.person_id for path in access.paths_to_client(p["joost"])} == {
        p["ans"].pk, p["pieter"].pk}


def test_the_client(joost_network):
    p = joost_network
    assert sees(p, "joost", "joost") == set(access.CATEGORIES)
    assert sees(p, "joost", "ans") == {"identity"}
    assert sees(p, "joost", "pieter") == {"identity", "contact"}
    assert sees(p, "joost", "tim") == set()
    assert sees(p, "joost", "lisa") == set()  # two clients never see each other
    assert sees(p, "lisa", "joost") == set()
    assert sees(p, "lisa", "ans") == set()


def test_bsn_only_for_counselor_plus(joost_network, org_a):
    p = joost_network
    boss = make_person(org_a, "boss", Role.COUNSELOR_PLUS)
    services.save_relation(Relation(organization=org_a, client=p["joost"], person=boss,
                                    authorisation="COUNSELOR_PLUS"))
    result = access.may_see(boss, p["joost"])
    assert "bsn" in result.granted and result.capabilities == ["manage_network"]
    for viewer in ("pieter", "ans"):
        assert "bsn" not in sees(p, viewer, "joost")


def test_access_md_shows_the_tables_of_the_code():
    """docs/access.md embeds access.render_tables() verbatim, whole: the code is the single
    source."""
    text = (ROOT / "docs" / "access.md").read_text()
    start = text.index("**About the client they relate to**")
    end = text.index("**Oneself**: every category.\n") + len("**Oneself**: every category.\n")
    assert text[start:end] == access.render_tables()


def _path(client, person, authorisation, via, relation=None, group=None):
    return {"client_id": client.pk, "person_id": person.pk, "authorisation": authorisation,
            "via": via, "start_date": today().isoformat(), "end_date": None,
            "relation_id": relation and relation.pk, "group_id": group and group.pk,
            "group_name": group and group.name}


def test_the_access_endpoint_gives_every_reason_in_full(api_a, joost_network):
    """The explanation an integrator shows a person, field by field: a relation, an indirect
    relation (through a group and a direct relation), oneself, and nothing."""
    from omgeving.network.models import Group

    p = joost_network
    ans_joost = Relation.objects.get(client=p["joost"], person=p["ans"])
    team = Group.objects.get(name="Team Noord")

    def explain(viewer, subject):
        answer = api_a.get(f"/api/users/{p[viewer].pk}/access/{p[subject].pk}/")
        assert answer.status_code == 200
        return answer.json()

    body = explain("ans", "joost")
    assert body["capabilities"] == [] and body["reasons"] == [{
        "kind": "relation", "client_id": p["joost"].pk,
        "viewer_path": _path(p["joost"], p["ans"], "GUARDIAN", "direct", relation=ans_joost)}]
    body = explain("pieter", "ans")
    assert body["granted"] == ["identity", "contact"] and body["reasons"] == [{
        "kind": "indirect", "client_id": p["joost"].pk,
        "viewer_path": _path(p["joost"], p["pieter"], "COUNSELOR", "group", group=team),
        "subject_path": _path(p["joost"], p["ans"], "GUARDIAN", "direct", relation=ans_joost)}]
    body = explain("ans", "ans")
    assert body["reasons"] == [{"kind": "self"}] and body["not_authorised"] == []
    p["ans"].is_active = False
    p["ans"].save()
    body = explain("pieter", "ans")  # an inactive person is seen by nobody
    assert body["categories"] == {c: False for c in access.CATEGORIES}
    assert body["granted"] == body["capabilities"] == body["reasons"] == []


def test_a_deactivated_group_member_is_no_path_to_the_groups_clients(api_a, joost_network):
    from omgeving.accounts import services as accounts

    p = joost_network
    accounts.deactivate_user(p["pieter"])
    body = api_a.get(f"/api/users/{p['joost'].pk}/network/").json()
    assert body["user"]["username"] == "joost"
    assert [m["person"]["username"] for m in body["clients"][0]["network"]] == ["ans"]
    assert sees(p, "ans", "pieter") == set()


def test_the_access_endpoint_explains(api_a, joost_network):
    p = joost_network
    body = api_a.get(f"/api/users/{p['ans'].pk}/access/{p['joost'].pk}/").json()
    assert set(body["granted"]) == CLIENT_AS_GUARDIAN
    assert "bsn" in body["not_authorised"] and body["categories"]["bsn"] is False
    assert body["reasons"][0]["viewer_path"]["via"] == "direct"
    body = api_a.get(f"/api/users/{p['tim'].pk}/access/{p['joost'].pk}/").json()
    assert body["granted"] == [] and body["reasons"] == []
    assert api_a.get(f"/api/users/{p['tim'].pk}/access/999999/").status_code == 404


def test_the_network_view(api_a, joost_network):
    p = joost_network
    body = api_a.get(f"/api/users/{p['joost'].pk}/network/").json()
    [joost] = body["clients"]
    assert joost["path"] is None  # he is the client
    members = {(m["person"]["username"], m["path"]["via"]) for m in joost["network"]}
    assert members == {("ans", "direct"), ("pieter", "group")}  # Tim's relation ended

    body = api_a.get(f"/api/users/{p['pieter'].pk}/network/").json()
    clients = {c["client"]["username"]: c for c in body["clients"]}
    assert set(clients) == {"joost", "lisa"}
    assert clients["joost"]["path"]["group_name"] == "Team Noord"
    assert [m["person"]["username"] for m in clients["joost"]["network"]] == ["ans"]
    assert clients["lisa"]["network"] == []


def test_a_group_path_ends_with_the_earlier_of_its_two_memberships(api_a, joost_network):
    from omgeving.accounts import services as accounts
    from omgeving.network.models import GroupClient, GroupMember

    p = joost_network
    GroupMember.objects.filter(user=p["pieter"]).update(end_date=today() + 10 * DAY)
    GroupClient.objects.filter(client=p["joost"]).update(end_date=today() + 5 * DAY)
    body = api_a.get(f"/api/users/{p['pieter'].pk}/network/").json()
    ends = {c["client"]["username"]: c["path"]["end_date"] for c in body["clients"]}
    assert ends == {"joost": (today() + 5 * DAY).isoformat(),
                    "lisa": (today() + 10 * DAY).isoformat()}
    accounts.deactivate_user(p["lisa"])  # an inactive client is in nobody's network
    body = api_a.get(f"/api/users/{p['pieter'].pk}/network/").json()
    assert [c["client"]["username"] for c in body["clients"]] == ["joost"]


def test_nothing_is_seen_across_organisations_or_by_an_inactive_client(api_a, joost_network,
                                                                       org_b):
    """may_see itself, below the API's 404: a person of another organisation sees nothing,
    with no reason; oneself has every category and no capabilities; an inactive client has
    no network of their own."""
    from omgeving.accounts import services as accounts

    p = joost_network
    stranger = make_person(org_b, "stranger", Role.COUNSELOR)
    result = access.may_see(stranger, p["joost"])
    assert result.categories == {c: False for c in access.CATEGORIES}
    assert result.capabilities == [] and result.reasons == []
    own = access.may_see(p["joost"], p["joost"])
    assert own.capabilities == [] and own.granted == list(access.CATEGORIES)
    accounts.deactivate_user(p["joost"])
    assert access.network_of(User.objects.get(pk=p["joost"].pk)) == []


def test_a_group_gives_its_own_clients_only(api_a, joost_network, org_a):
    from omgeving.network.models import Group, GroupClient

    p = joost_network
    other = services.save_group(Group(organization=org_a, name="Team Zuid"))
    far = make_person(org_a, "far", Role.CLIENT)
    services.save_membership(GroupClient(organization=org_a, group=other, client=far))
    body = api_a.get(f"/api/users/{p['pieter'].pk}/network/").json()
    assert {c["client"]["username"] for c in body["clients"]} == {"joost", "lisa"}
    assert access.may_see(p["pieter"], far).granted == []
    body = api_a.get(f"/api/users/{far.pk}/network/").json()
    assert body["clients"][0]["network"] == []


def test_a_direct_path_carries_its_end_date(api_a, joost_network):
    p = joost_network
    rel = Relation.objects.get(client=p["joost"], person=p["ans"])
    rel.end_date = today() + 30 * DAY
    services.save_relation(rel)
    body = api_a.get(f"/api/users/{p['ans'].pk}/network/").json()
    assert body["clients"][0]["path"]["end_date"] == (today() + 30 * DAY).isoformat()


@pytest.mark.parametrize("direct, in_group", [("COUNSELOR_PLUS", "COUNSELOR"),
                                              ("COUNSELOR", "COUNSELOR_PLUS")])
def test_two_paths_to_the_client_give_the_most_of_both(joost_network, org_a, direct,
                                                        in_group):
    """A professional related to Joost directly and through Team Noord sees what the more
    generous path gives, whichever of the two comes first: BSN and managing the network
    come with COUNSELOR_PLUS, on either path."""
    from omgeving.network.models import Group, GroupMember

    p = joost_network
    boss = make_person(org_a, "boss", Role.COUNSELOR_PLUS)
    services.save_relation(Relation(organization=org_a, client=p["joost"], person=boss,
                                    authorisation=direct))
    services.save_membership(GroupMember(organization=org_a, group=Group.objects.get(
        name="Team Noord"), user=boss, role=in_group))
    result = access.may_see(boss, p["joost"])
    assert set(result.granted) == CLIENT_AS_COUNSELOR | {"bsn"}
    assert result.capabilities == ["manage_network"]
    assert [r["viewer_path"]["via"] for r in result.reasons] == ["direct", "group"]


@pytest.mark.parametrize("counselor_of", ["joost", "lisa"])
def test_a_member_of_two_networks_shows_the_most_of_both(joost_network, org_a, counselor_of):
    """Ans is a GUARDIAN of Joost and of Lisa; a coach is COUNSELOR of one of them and
    EXTERNAL of the other. Ans sees a counselor's contact details, whichever of the two
    networks comes first; through the EXTERNAL path alone she would see the name only."""
    p = joost_network
    services.save_relation(Relation(organization=org_a, client=p["lisa"], person=p["ans"],
                                    authorisation=Role.GUARDIAN))
    coach = make_person(org_a, "coach", Role.COUNSELOR)
    for client in ("joost", "lisa"):
        services.save_relation(Relation(
            organization=org_a, client=p[client], person=coach,
            authorisation=Role.COUNSELOR if client == counselor_of else Role.EXTERNAL))
    assert sees({**p, "coach": coach}, "ans", "coach") == {"identity", "contact"}
    reasons = access.may_see(p["ans"], coach).reasons
    assert sorted(r["subject_path"]["authorisation"] for r in reasons) == [
        "COUNSELOR", "EXTERNAL"]


def test_group_paths_count_on_the_day_asked(joost_network, org_a):
    """Karin was a member of Team Zuid from 60 to 20 days ago, and Sam its client; his
    mother relates to him throughout. Asked for 30 days ago, Karin saw Sam and his mother saw
    Karin; asked for today, neither. The group's paths are taken on the day asked, on both
    sides of a path."""
    from omgeving.network.models import Group, GroupClient, GroupMember

    day = datetime.timedelta(days=1)
    karin = make_person(org_a, "karin", Role.COUNSELOR)
    sam = make_person(org_a, "sam", Role.CLIENT)
    mother = make_person(org_a, "mother", Role.GUARDIAN)
    zuid = services.save_group(Group(organization=org_a, name="Team Zuid"))
    services.save_membership(GroupMember(organization=org_a, group=zuid, user=karin,
                                         start_date=today() - 60 * day,
                                         end_date=today() - 20 * day))
    services.save_membership(GroupClient(organization=org_a, group=zuid, client=sam,
                                         start_date=today() - 60 * day,
                                         end_date=today() - 20 * day))
    services.save_relation(Relation(organization=org_a, client=sam, person=mother,
                                    authorisation=Role.GUARDIAN,
                                    start_date=today() - 60 * day))
    then = today() - 30 * day
    assert set(access.may_see(karin, sam, day=then).granted) == CLIENT_AS_COUNSELOR
    assert set(access.may_see(mother, karin, day=then).granted) == {"identity", "contact"}
    assert access.may_see(karin, sam).granted == []
    assert access.may_see(mother, karin).granted == []
