"""Resources: lists as iterators, reads with their ETag, writes, upserts and bulk."""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from . import errors

if TYPE_CHECKING:
    from .client import Client, Record

BULK_MAX = 1000


class Resource:
    def __init__(self, client: Client, name: str):
        self.client, self.name = client, name
        self.path = f"/api/{name}/"

    def list(self, **filters: Any) -> Iterator[Record]:
        """Every object that fits the filters (`role="CLIENT"`, `modified_since=…`),
        fetched a page at a time as you iterate."""
        return self.client.paged(self.path, filters)

    def get(self, id: int) -> Record:
        from .client import Record

        response = self.client.request("GET", f"{self.path}{id}/")
        record = Record(response.json())
        record.etag = response.headers.get("ETag")
        return record

    def create(self, **fields: Any) -> Record:
        from .client import Record

        return Record(self.client.request("POST", self.path, json=fields).json())

    def update(self, id_or_record: int | Record, if_match: str | None = None,
               **fields: Any) -> Record:
        """PATCH. Given a record read with get(), only if it did not change since (its ETag
        goes into If-Match; else errors.PreconditionFailed)."""
        from .client import Record

        if isinstance(id_or_record, dict):
            id_, if_match = id_or_record["id"], if_match or id_or_record.etag
        else:
            id_ = id_or_record
        headers = {"If-Match": if_match} if if_match else None
        response = self.client.request("PATCH", f"{self.path}{id_}/", json=fields,
                                       headers=headers)
        record = Record(response.json())
        record.etag = response.headers.get("ETag")
        return record

    def modify(self, id: int, change: Callable[[Record], dict[str, Any]],
               attempts: int = 5) -> Record:
        """Read, compute the change from what was read, write it only if nobody changed the
        object in between; on a conflict read again and recompute."""
        for _ in range(attempts - 1):
            current = self.get(id)
            try:
                return self.update(current, **change(current))
            except errors.PreconditionFailed:
                continue
        current = self.get(id)
        return self.update(current, **change(current))

    def delete(self, id: int) -> None:
        self.client.request("DELETE", f"{self.path}{id}/")

    def upsert(self, external_id: str, **fields: Any) -> Record:
        """Create or replace the object your system knows by `external_id`."""
        from urllib.parse import quote

        from .client import Record

        return Record(self.client.request(
            "PUT", f"{self.path}external/{quote(external_id, safe='')}/", json=fields).json())

    def bulk(self, items: Iterable[dict[str, Any]]) -> builtins.list[dict[str, Any]]:
        """Upsert many by their `external_id`, 1000 per request; one result per item, in
        order (`created`, `updated`, `unchanged` or `error` with its `errors`)."""
        results: builtins.list[dict[str, Any]] = []
        chunk: builtins.list[dict[str, Any]] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == BULK_MAX:
                results += self._bulk(chunk)
                chunk = []
        if chunk:
            results += self._bulk(chunk)
        return results

    def _bulk(self, chunk: builtins.list[dict[str, Any]]) -> builtins.list[dict[str, Any]]:
        answer = self.client.request("POST", f"{self.path}bulk/", json={"items": chunk})
        return cast(builtins.list[dict[str, Any]], answer.json()["results"])


class Nested:
    """A list under one parent: a thread's messages, a goal's progress."""

    def __init__(self, client: Client, parent: str, name: str):
        self.client, self.parent, self.name = client, parent, name

    def _path(self, parent_id: int) -> str:
        return f"/api/{self.parent}/{parent_id}/{self.name}/"

    def list(self, parent_id: int, **filters: Any) -> Iterator[Record]:
        return self.client.paged(self._path(parent_id), filters)

    def create(self, parent_id: int, **fields: Any) -> Record:
        from .client import Record

        return Record(self.client.request("POST", self._path(parent_id), json=fields).json())


class Documents(Resource):
    def upload(self, *, client: int, author: int, title: str, content: bytes,
               filename: str = "document", external_id: str | None = None) -> Record:
        """A file (PDF, PNG, JPEG or DOCX, at most 20 MiB) for `client`, on `author`'s
        behalf, as multipart/form-data."""
        from .client import Record

        fields = {"client": str(client), "author": str(author), "title": title,
                  **({"external_id": external_id} if external_id else {})}
        # One boundary for every attempt: a retried POST must be the same bytes, or the
        # server would refuse its Idempotency-Key as used for another request.
        boundary = uuid.uuid4().hex
        response = self.client.request(
            "POST", self.path, data=fields, files={"file": (filename, content)},
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return Record(response.json())

    def download(self, id: int) -> bytes:
        return self.client.request("GET", f"{self.path}{id}/content/").content


class Webhooks(Resource):
    def ping(self, id: int) -> dict[str, Any]:
        return cast(dict[str, Any], self.client.request("POST", f"{self.path}{id}/ping/").json())

    def rotate_secret(self, id: int) -> dict[str, Any]:
        answer = self.client.request("POST", f"{self.path}{id}/rotate-secret/")
        return cast(dict[str, Any], answer.json())

    def deliveries(self, id: int) -> Iterator[Record]:
        return self.client.paged(f"{self.path}{id}/deliveries/")

    def redeliver(self, id: int, delivery_id: int) -> dict[str, Any]:
        return cast(dict[str, Any], self.client.request(
            "POST", f"{self.path}{id}/deliveries/{delivery_id}/redeliver/").json())


class Changes:
    """The change feed: what was created, updated or deleted, in commit order."""

    path = "/api/changes/"

    def __init__(self, client: Client):
        self.client = client

    def latest(self) -> str:
        """The position now: read the lists, then follow the feed from here."""
        return str(self.client.get_json(self.path, {"after": "latest"})["next_cursor"])

    def read(self, after: str | None = None, *, resource: str | None = None,
             limit: int = 1000) -> tuple[list[dict[str, Any]], str, bool]:
        """One page: (events, next_cursor, has_more)."""
        page = self.client.get_json(self.path, {"after": after, "resource": resource,
                                                "limit": limit})
        return page["results"], page["next_cursor"], page["has_more"]

    def list(self, after: str | None = None, *,
             resource: str | None = None) -> Iterator[dict[str, Any]]:
        """Every event after `after` up to now, then stops. Each event carries its
        `cursor`: store it, and resume after it."""
        while True:
            events, after, more = self.read(after, resource=resource)
            yield from events
            if not more:
                return

    def follow(self, after: str | None = None, *, resource: str | None = None,
               poll_interval: float = 5.0,
               wait: Callable[[float], object] | None = None) -> Iterator[dict[str, Any]]:
        """Every event after `after`, forever: when there is nothing new it waits
        `poll_interval` seconds (or calls `wait(poll_interval)`, e.g. an Event's wait that a
        webhook sets) and reads again. A 410 `cursor_expired` is raised as errors.Gone:
        resynchronise from latest()."""
        pause = wait or time.sleep
        position = after
        while True:
            events, position, more = self.read(position, resource=resource)
            yield from events
            if not more:
                pause(poll_interval)
