"""The one FHIR client: a `requests.Session` per app, used when prefetch did not supply a key.

It asks for `application/fhir+json`, sends the client's bearer only when `fhirAuthorization` lent one, uses
(connect, read) timeouts, and follows `Bundle.link[next]` up to a page cap (STYLE #10). Every failure becomes a
`FhirUnavailable` carrying a status class for the log, never the reply body. Next links are followed only on the
FHIR server's own origin, so the bearer is never sent elsewhere.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from service.errors import FhirFatalError, FhirTransientError, FhirUnavailable
from service.queries import is_instance_read
from service.settings import Settings

Resource = dict[str, Any]


@dataclass
class FhirStats:
    """Per-hook-call counters for the log line; fetches run in threads, hence the lock."""

    calls: int = 0
    ms: float = 0.0
    pages_truncated: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, ms: float) -> None:
        """Counts one FHIR call that took `ms` milliseconds."""
        with self._lock:
            self.calls += 1
            self.ms += ms

    def truncated(self) -> None:
        """Counts one search cut short by the page cap."""
        with self._lock:
            self.pages_truncated += 1


def _status_error(status: int) -> FhirUnavailable:
    if status >= 500 or status == 429:
        return FhirTransientError("http-5xx" if status >= 500 else "http-429")
    if status in (401, 403, 404, 410):
        return FhirFatalError(f"http-{status}")
    return FhirFatalError("http-4xx")


def bundle_resources(bundle: Resource) -> list[Resource]:
    """Returns the resources of a Bundle's entries, leaving out search outcome entries (warnings, not data)."""
    out: list[Resource] = []
    for entry in bundle.get("entry") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue
        out.append(entry["resource"])
    return out


def next_link(bundle: Resource) -> str | None:
    """Returns the Bundle's `next` page URL, if any."""
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class FhirClient:
    """Holds the app's Session and limits; `connect` binds it to one call's server, bearer and counters."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self._session = session or requests.Session()
        self._timeout = (settings.fhir_connect_timeout, settings.fhir_read_timeout)
        self.page_cap = settings.fhir_page_cap

    def connect(self, base: str, bearer: str | None, stats: FhirStats) -> FhirAccess:
        """Returns access to the FHIR server at `base` for one hook call."""
        return FhirAccess(self, base.rstrip("/"), bearer, stats)

    def get_json(self, url: str, bearer: str | None, stats: FhirStats) -> Resource:
        """Returns the FHIR resource at `url`; raises FhirUnavailable on any failure."""
        headers = {"Accept": "application/fhir+json"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        started = time.perf_counter()
        try:
            reply = self._session.get(url, headers=headers, timeout=self._timeout)
        except requests.Timeout:
            raise FhirTransientError("timeout") from None
        except requests.ConnectionError:
            raise FhirTransientError("connection") from None
        except requests.RequestException:
            raise FhirFatalError("request") from None
        finally:
            stats.record((time.perf_counter() - started) * 1000)
        if not 200 <= reply.status_code < 300:
            raise _status_error(reply.status_code)
        try:
            body = reply.json()
        except ValueError:
            raise FhirTransientError("not-json") from None
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise FhirTransientError("not-fhir")
        return body


@dataclass(frozen=True, slots=True)
class FhirAccess:
    """One hook call's view of the FHIR server: base URL, the lent bearer (repr hidden) and counters."""

    client: FhirClient
    base: str
    bearer: str | None = field(repr=False)
    stats: FhirStats

    def read(self, path: str) -> Resource:
        """Returns the resource of an instance read such as `Patient/123`."""
        resource = self.client.get_json(f"{self.base}/{path}", self.bearer, self.stats)
        if resource["resourceType"] == "OperationOutcome":
            raise FhirTransientError("outcome")
        return resource

    def search(self, query: str) -> list[Resource]:
        """Returns every resource of a type search such as `Condition?patient=123`, page by page."""
        bundle = self.client.get_json(f"{self.base}/{query}", self.bearer, self.stats)
        if bundle["resourceType"] != "Bundle":
            raise FhirTransientError("not-bundle")
        return self.rest_of(bundle, pages_read=1)

    def fetch(self, query: str) -> list[Resource]:
        """Returns the resources a rendered prefetch query names, as a list whether it reads or searches."""
        return [self.read(query)] if is_instance_read(query) else self.search(query)

    def rest_of(self, bundle: Resource, pages_read: int) -> list[Resource]:
        """Returns `bundle`'s resources plus those of its next pages; raises FhirFatalError past the page cap."""
        resources = bundle_resources(bundle)
        url = next_link(bundle)
        while url is not None:
            if pages_read >= self.client.page_cap:
                # Refuse rather than answer from part of the record: with `_sort=-date` the pages left out are the
                # oldest, which hold the baseline, and a card built without them would misstate what is missing.
                self.stats.truncated()
                raise FhirFatalError("page-cap")
            if _origin(url) != _origin(self.base):
                raise FhirFatalError("next-off-server")
            page = self.client.get_json(url, self.bearer, self.stats)
            if page["resourceType"] != "Bundle":
                raise FhirTransientError("not-bundle")
            resources.extend(bundle_resources(page))
            pages_read += 1
            url = next_link(page)
        return resources
