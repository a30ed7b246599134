"""The tasks the worker runs (`omgeving worker`: django-tasks' database worker on the
`webhooks` queue). See delivery.py."""

from __future__ import annotations

from django_tasks import task

from . import delivery

QUEUE = "webhooks"


@task(queue_name=QUEUE)
def deliver(webhook_id: int) -> int:
    return delivery.run(webhook_id)


@task(queue_name=QUEUE)
def sweep() -> int:
    return delivery.sweep()
