"""The admin shows every piece of an organisation's content, deleted ones included,
read-only; opening one is logged as a read of its client."""

from __future__ import annotations

import pytest

from omgeving.audit.models import AccessLogEntry
from omgeving.care import models, services
from omgeving.demo import worked_content

pytestmark = pytest.mark.django_db


def test_admin_lists_all_content_read_only(admin_client, joost, org_a):
    made = worked_content(org_a, joost)
    services.remove(made["lisa_report"])
    for model in models.MODELS:
        name = model._meta.model_name
        page = admin_client.get(f"/admin/care/{name}/")
        assert page.status_code == 200, name
        assert admin_client.get(f"/admin/care/{name}/add/").status_code == 403, name
    listed = admin_client.get("/admin/care/report/").content.decode()
    assert listed.count("Intake") == 2  # the deleted one too
    before = AccessLogEntry.objects.count()
    page = admin_client.get(f"/admin/care/report/{made['report'].pk}/change/")
    assert page.status_code == 200 and "Joost vertelt open over school." in page.content.decode()
    [entry] = AccessLogEntry.objects.order_by("id")[before:]
    assert (entry.resource, entry.action, entry.subject_id) == (
        "admin:reports", "read", joost["joost"].pk)
    response = admin_client.post(f"/admin/care/report/{made['report'].pk}/change/",
                                 {"title": "changed"})
    assert response.status_code == 403
    assert models.Report.objects.get(pk=made["report"].pk).title == "Intake"


def test_admin_hides_content_whose_feature_is_off(admin_client, joost, org_a):
    from omgeving.tenancy.services import set_features

    set_features(org_a, off=["documents"])
    assert admin_client.get("/admin/care/document/").status_code == 403
    assert admin_client.get("/admin/care/goal/").status_code == 200
