"""Prometheus metrics with prometheus_client: the requests served, by method and status, and
how long they took.

Off unless `OMGEVING_METRICS_TOKEN` is set. Then `GET /metrics` with
`Authorization: Bearer <token>` answers at any host (a scraper calls the server's address),
before the host check, in Prometheus's text format; without the token it is a 404, as when
metrics are off. The labels carry no organisation, path or person: only the method and the
status. `omgeving serve` gives its worker processes one PROMETHEUS_MULTIPROC_DIR (emptied at
start) and /metrics adds all of them up, so every scrape sees the whole server.
"""

from __future__ import annotations

import hmac
import os
import time

from django.http import HttpResponse, HttpResponseNotFound

TOKEN_VARIABLE = "OMGEVING_METRICS_TOKEN"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def enabled() -> bool:
    return bool(os.environ.get(TOKEN_VARIABLE))


_METRICS: tuple = ()


def _metrics() -> tuple:
    """The counter and the histogram, made once per process (prometheus_client refuses a
    second registration)."""
    global _METRICS
    if not _METRICS:
        from prometheus_client import Counter, Histogram

        _METRICS = (
            Counter("omgeving_http_requests", "Requests answered.", ["method", "status"]),
            Histogram("omgeving_http_request_duration_seconds", "Time to answer a request.",
                      ["method"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)),
        )
    return _METRICS


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.token = os.environ.get(TOKEN_VARIABLE, "")
        if self.token:
            self.requests, self.duration = _metrics()

    def __call__(self, request):
        if not self.token:
            return self.get_response(request)
        if request.path_info == "/metrics":
            return self.scrape(request)
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "OTHER"
        self.requests.labels(method, str(response.status_code)).inc()
        self.duration.labels(method).observe(time.perf_counter() - started)
        return response

    def scrape(self, request):
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            return HttpResponseNotFound("Not found.", content_type="text/plain")
        if request.method not in ("GET", "HEAD"):
            from django.http import HttpResponseNotAllowed

            return HttpResponseNotAllowed(["GET", "HEAD"])
        from prometheus_client import (
            CONTENT_TYPE_LATEST,
            REGISTRY,
            CollectorRegistry,
            generate_latest,
            multiprocess,
        )

        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
        response["Cache-Control"] = "no-store"
        return response


def prepare_worker_directory(var_dir: str) -> None:
    """Before the workers start: one empty directory they all write their samples to."""
    import shutil

    if not enabled():
        return
    directory = os.path.join(var_dir, "metrics")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
