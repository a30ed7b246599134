"""Administrators see every application's webhooks of their organisation and switch them
off (and on) in the admin, through the same service as the API."""

from __future__ import annotations

import pytest

from omgeving.webhooks.models import Webhook

from ..helpers import make_app

pytestmark = pytest.mark.django_db


def hook(org, owner, url="https://93.184.216.34/hook"):
    return Webhook.objects.create(organization=org, owner=owner, url=url, events=["users.*"],
                                  secret="whsec_" + "A" * 43 + "=")


def test_the_list_shows_this_organisations_webhooks_and_no_secret(admin_client, org_a, org_b):
    mine = hook(org_a, make_app(org_a, username="ecd"))
    hook(org_b, make_app(org_b, username="other"), url="https://93.184.216.35/theirs")
    page = admin_client.get("/admin/webhooks/webhook/").content.decode()
    assert "93.184.216.34" in page and "93.184.216.35" not in page
    detail = admin_client.get(f"/admin/webhooks/webhook/{mine.pk}/change/").content.decode()
    assert mine.secret not in detail and "whsec_" not in detail
    assert admin_client.get("/admin/webhooks/webhook/add/").status_code == 403


def test_the_action_switches_them_off_with_the_reason(admin_client, org_a):
    first, second = hook(org_a, make_app(org_a, username="a")), hook(
        org_a, make_app(org_a, username="b"))
    response = admin_client.post("/admin/webhooks/webhook/", {
        "action": "switch_off", "_selected_action": [first.pk, second.pk]})
    assert response.status_code == 302
    for webhook in Webhook.objects.for_organization(org_a):
        assert not webhook.is_active
        assert webhook.disabled_reason == "Switched off by an administrator."


def test_the_form_switches_one_off_and_on(admin_client, org_a):
    webhook = hook(org_a, make_app(org_a, username="ecd"))
    url = f"/admin/webhooks/webhook/{webhook.pk}/change/"
    assert admin_client.post(url, {}).status_code == 302  # the box unticked: off
    webhook.refresh_from_db()
    assert not webhook.is_active and webhook.disabled_at is not None
    assert webhook.disabled_reason == "Switched off by an administrator."
    assert admin_client.post(url, {"is_active": "on"}).status_code == 302
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.disabled_reason == "" and webhook.disabled_at is None
