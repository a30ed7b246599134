"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS): a real token for every call,
obtained with the Application user's username and password and refreshed before its five
minutes are over, sent as `Authorization: JWT <token>` with the organisation's Host."""

from __future__ import annotations

import os

import requests
import schemathesis

BASE = os.environ["FUZZ_BASE_URL"]
HOST = os.environ["FUZZ_HOST"]


@schemathesis.auth(refresh_interval=240)
class JWTAuth:
    def get(self, case, context):
        response = requests.post(
            f"{BASE}/api/token-auth/", headers={"Host": HOST}, timeout=10,
            json={"username": os.environ["FUZZ_USERNAME"],
                  "password": os.environ["FUZZ_PASSWORD"]},
        )
        response.raise_for_status()
        return response.json()["token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"JWT {data}"
        case.headers["Host"] = HOST
