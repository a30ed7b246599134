from __future__ import annotations

import pytest

from omgeving.demo import worked_example
from omgeving.tenancy.models import FEATURES
from omgeving.tenancy.services import set_features
from omgeving.tokens.services import issue_token

from ..helpers import client_for, make_app


@pytest.fixture
def joost(org_a, settings, tmp_path):
    """Joost's network (docs/access.md) with every content feature on, files under tmp."""
    default = settings.STORAGES["default"]  # the production storage, only elsewhere
    settings.STORAGES = {**settings.STORAGES, "default": {
        **default, "OPTIONS": {**default["OPTIONS"], "location": str(tmp_path / "media")}}}
    set_features(org_a, on=FEATURES)
    return worked_example(org_a)


@pytest.fixture
def api(org_a, joost):
    return client_for(org_a, issue_token(make_app(org_a, username="ecd")).token)
