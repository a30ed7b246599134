"""What operations need: health and readiness probes, a request id on every answer, log line
and access-log row, and JSON log lines as an option."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import uuid

import pytest
import requests
from django.db import connection
from django.test import Client

from omgeving.audit.models import AccessLogEntry

from .serving.test_slow_clients import BIN, _free_port, _start

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["localhost", "org-a.localhost", "10.1.2.3:8000",
                                  "unknown.localhost"])
def test_health_and_readiness_answer_at_any_host(org_a, host):
    client = Client(HTTP_HOST=host)
    for path in ("/healthz", "/readyz", "/readyz/"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        assert response.json()["status"] == "ok"
        assert response["Cache-Control"] == "no-store"
    assert client.get("/readyz").json()["database"] == "ok"


def test_readiness_fails_without_the_database():
    def unreachable(execute, sql, params, many, context):
        raise ConnectionError("database down")

    with connection.execute_wrapper(unreachable):
        response = Client().get("/readyz")
        assert Client().get("/healthz").status_code == 200  # alive, not ready
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


def test_a_request_id_is_generated_echoed_and_logged(api_a, org_a):
    response = api_a.get("/api/users/")
    request_id = uuid.UUID(response["X-Request-Id"])
    assert AccessLogEntry.objects.get(path="/api/users/").request_id == request_id
    assert api_a.get("/api/users/")["X-Request-Id"] != str(request_id)  # one per request


def test_the_callers_request_id_is_kept_when_it_is_a_uuid(api_a, org_a):
    given = uuid.uuid4()
    response = api_a.get("/api/users/", HTTP_X_REQUEST_ID=str(given))
    assert response["X-Request-Id"] == str(given)
    assert AccessLogEntry.objects.get(path="/api/users/").request_id == given
    nginx_style = uuid.uuid4().hex  # nginx's $request_id: 32 hex digits
    assert api_a.get("/api/me/", HTTP_X_REQUEST_ID=nginx_style)["X-Request-Id"] == str(
        uuid.UUID(nginx_style))
    for unsafe in ("<script>", "x" * 500, "abc\r\nSet-Cookie: a=b"):
        echoed = api_a.get("/api/me/", HTTP_X_REQUEST_ID=unsafe)["X-Request-Id"]
        assert uuid.UUID(echoed) and echoed != unsafe  # replaced, never written to the logs


def test_errors_carry_the_request_id_too(anon_a):
    response = anon_a.get("/api/users/")
    assert response.status_code == 401 and uuid.UUID(response["X-Request-Id"])


@contextlib.contextmanager
def _live_server(tmp_path, variables: dict, *serve_args, stderr=subprocess.DEVNULL):
    """`omgeving serve` on its own migrated SQLite file, with these environment variables;
    yields its base URL."""
    env = {**os.environ, "OMGEVING_VAR_DIR": str(tmp_path), **variables}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([BIN / "omgeving", "migrate", "-v0"], env=env, check=True)
    port = _free_port()
    server = _start(env, port, *serve_args, stderr=stderr)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)  # a generous bound for a loaded machine: shutdown time is not tested


def test_json_log_lines_of_a_live_server(tmp_path):
    """`omgeving serve` with OMGEVING_LOG_FORMAT=json: every line is a JSON object, and the
    request's line carries its id, status and duration."""
    log = tmp_path / "server.log"
    given = str(uuid.uuid4())
    with open(log, "w") as sink, _live_server(tmp_path, {
            "OMGEVING_LOG_FORMAT": "json", "OMGEVING_LOG_LEVEL": "INFO"}, stderr=sink) as url:
        response = requests.get(f"{url}/api/", timeout=10, headers={
            "Host": "nobody.localhost", "X-Request-Id": given})
        assert response.status_code == 404 and response.headers["X-Request-Id"] == given
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line
    assert any(entry["logger"] == "_granian" for entry in lines)  # the server's own, too
    [line] = [entry for entry in lines if entry["request_id"] == given]
    assert line["logger"] == "omgeving.request" and line["status"] == 404
    assert line["path"] == "/api/" and line["method"] == "GET" and line["duration_ms"] >= 0


def test_metrics_are_off_without_a_token(monkeypatch):
    monkeypatch.delenv("OMGEVING_METRICS_TOKEN", raising=False)
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer x")
    assert response.status_code == 404 and b"omgeving_http" not in response.content


def test_metrics_of_a_live_server_count_every_request_whichever_worker_answered(tmp_path):
    """`omgeving serve` with two workers: /metrics needs the token, answers at the address,
    and counts every request, whichever worker answered it and whichever answers the scrape
    (40 new connections; granian spreads them over its workers)."""
    with _live_server(tmp_path, {"OMGEVING_METRICS_TOKEN": "s3cret",
                                 "OMGEVING_LOG_LEVEL": "WARNING"}, "--workers", "2") as url:
        for _ in range(40):  # new connections: both workers answer some
            assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
        assert requests.get(f"{url}/metrics", timeout=10).status_code == 404
        assert requests.get(f"{url}/metrics", timeout=10, headers={
            "Authorization": "Bearer wrong"}).status_code == 404
        scrape = requests.get(f"{url}/metrics", timeout=10,
                              headers={"Authorization": "Bearer s3cret"})
    assert scrape.status_code == 200 and scrape.headers["Content-Type"].startswith("text/plain")
    counts = {line.split(" ")[0]: float(line.split(" ")[1]) for line in scrape.text.splitlines()
              if line.startswith("omgeving_http_requests_total{")}
    assert counts['omgeving_http_requests_total{method="GET",status="200"}'] == 40
    assert sum(counts.values()) == 40  # refused scrapes are not requests served
    assert 'omgeving_http_request_duration_seconds_count{method="GET"} 40.0' in scrape.text


def test_metrics_answer_get_and_head_only(monkeypatch, settings):
    from omgeving.metrics import MetricsMiddleware

    monkeypatch.setenv("OMGEVING_METRICS_TOKEN", "s3cret")
    from django.http import HttpResponse

    middleware = MetricsMiddleware(lambda request: HttpResponse("app"))
    middleware.token = "s3cret"
    from django.test import RequestFactory

    factory = RequestFactory(HTTP_AUTHORIZATION="Bearer s3cret")
    for method in ("post", "put", "delete", "patch"):
        response = middleware(getattr(factory, method)("/metrics"))
        assert response.status_code == 405 and response["Allow"] == "GET, HEAD", method
    assert middleware(factory.get("/metrics")).status_code == 200
