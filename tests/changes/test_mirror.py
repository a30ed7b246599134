"""An ECD mirrors an organisation through the change feed alone: it follows the feed, fetches
what was created or updated, drops what was deleted — and ends equal to the server."""

from __future__ import annotations

import datetime

import pytest

from omgeving.accounts.models import Role

from ..helpers import make_person

pytestmark = pytest.mark.django_db
PATHS = {"users": "/api/users/{}/", "relations": "/api/relations/{}/",
         "groups": "/api/groups/{}/", "group-members": "/api/group-members/{}/",
         "relation-types": "/api/relation-types/{}/"}


class Mirror:
    """An object read after its deletion answers 410 `deleted`: the mirror drops it, notes
    it and expects the feed's later `deleted` event."""

    def __init__(self, api):
        self.api, self.cursor, self.objects, self.gone = api, None, {}, set()

    def sync(self):
        while True:
            query = {"resource": ",".join(PATHS), **({"after": self.cursor} if self.cursor
                                                     else {})}
            body = self.api.get("/api/changes/", query).json()
            for event in body["results"]:
                key = (event["resource"], event["object_id"])
                if event["action"] == "deleted":
                    self.objects.pop(key, None)
                    self.gone.discard(key)
                    continue
                response = self.api.get(PATHS[event["resource"]].format(event["object_id"]))
                if response.status_code == 410:
                    assert response.json()["code"] == "deleted"
                    self.objects.pop(key, None)
                    self.gone.add(key)  # deleted since: its event is further on
                    continue
                assert response.status_code == 200, (event, response.content)
                self.objects[key] = response.json()
            self.cursor = body["next_cursor"]
            if not body["has_more"]:
                return


def server_state(api):
    state = {}
    for resource, path in PATHS.items():
        listing = path.rsplit("{}", 1)[0]
        params = {"page_size": 100}
        if resource == "users":
            params["is_active"] = "all"
        if resource in ("relations", "group-members"):
            params["include_ended"] = "true"
        for item in api.get(listing, params).json()["results"]:
            state[(resource, item["id"])] = api.get(path.format(item["id"])).json()
    return state


def test_a_mirror_through_the_feed_equals_the_server(api_a, org_a):
    mirror = Mirror(api_a)
    joost = api_a.post("/api/users/", {"username": "joost", "roles": ["CLIENT"]},
                       format="json").json()
    ans = make_person(org_a, "ans", Role.GUARDIAN)
    karin = make_person(org_a, "karin", Role.COUNSELOR)
    long_ago = str(datetime.date.today() - datetime.timedelta(days=40))
    relation = api_a.post("/api/relations/", {"client": joost["id"], "person": ans.pk,
                                              "authorisation": "GUARDIAN",
                                              "start_date": long_ago}, format="json").json()
    mirror.sync()  # part way
    group = api_a.post("/api/groups/", {"name": "Team"}, format="json").json()
    member = api_a.post("/api/group-members/", {"group": group["id"], "user": karin.pk},
                        format="json").json()
    kind = api_a.post("/api/relation-types/", {"name": "Moeder"}, format="json").json()
    api_a.patch(f"/api/users/{joost['id']}/", {"first_name": "Joost"}, format="json")
    api_a.delete(f"/api/relations/{relation['id']}/")  # ended
    api_a.delete(f"/api/group-members/{member['id']}/")  # had not started: removed
    api_a.delete(f"/api/groups/{group['id']}/")  # deleted
    api_a.delete(f"/api/relation-types/{kind['id']}/")  # deleted
    api_a.delete(f"/api/users/{ans.pk}/")  # deactivated
    mirror.sync()
    assert mirror.gone == set()  # every object read as missing was deleted in the feed
    assert mirror.objects == server_state(api_a)
    assert ("groups", group["id"]) not in mirror.objects
    assert mirror.objects[("users", ans.pk)]["is_active"] is False
    assert mirror.objects[("relations", relation["id"])]["end_date"] is not None
    # The tombstones stay listed for whoever asks, with their deletion time.
    deleted = api_a.get("/api/groups/", {"include_deleted": "true"}).json()["results"]
    assert [(g["id"], g["deleted_at"] is not None) for g in deleted] == [(group["id"], True)]
    assert api_a.get("/api/groups/").json()["results"] == []
