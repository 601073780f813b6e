"""The one FHIR client: a `requests.Session` per app, used when prefetch did not supply a key.

It asks for `application/fhir+json`, sends the client's bearer only when `fhirAuthorization` lent one, uses
(connect, read) timeouts, and follows `Bundle.link[next]` up to a page cap (STYLE #10). Every failure becomes a
`FhirUnavailable` carrying a status class for the log, never the reply body.

Outbound guard (issue #6, `service.outbound`): every URL -- the search and each next page -- must be under an
allowlisted FHIR base and on the `fhirServer` origin, so the bearer never goes elsewhere; the host is resolved
once per hook call and must not land on a private address unless allowed; redirects are not followed (a 3xx is
a failure); each reply is read within CDS_FHIR_MAX_BYTES and the hook call's time budget; a search stops at
CDS_FHIR_PAGE_CAP pages, CDS_FHIR_MAX_ENTRIES resources, or a next link it has already read.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from service.bulkhead import OriginGuards, parse_retry_after
from service.errors import FhirFatalError, FhirTransientError, FhirUnavailable
from service.outbound import (
    Deadline,
    OutboundPolicy,
    OutboundRefused,
    Resolver,
    UrlParts,
    read_capped,
    split_url,
    system_resolver,
)
from service.queries import is_instance_read
from service.settings import Settings
from service.transport import deadline_scope

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


_GUARD_REASONS = frozenset({"circuit-open", "bulkhead"})  # refused by the bulkhead itself: not the server's failure


def _status_error(status: int, retry_after: str | None = None) -> FhirUnavailable:
    if status >= 500 or status == 429:
        error = FhirTransientError("http-5xx" if status >= 500 else "http-429")
        if status in (429, 503):
            error.retry_after = parse_retry_after(retry_after)
        return error
    if status in (401, 403, 404, 410):
        return FhirFatalError(f"http-{status}")
    return FhirFatalError("http-4xx")


def bundle_resources(bundle: Resource) -> list[Resource]:
    """Returns the resources of a Bundle's entries, leaving out search outcome entries (warnings, not data)."""
    out: list[Resource] = []
    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue
        out.append(entry["resource"])
    return out


def next_link(bundle: Resource) -> str | None:
    """Returns the Bundle's `next` page URL, if any."""
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def _refused(exc: OutboundRefused) -> FhirUnavailable:
    return FhirTransientError(exc.reason) if exc.transient else FhirFatalError(exc.reason)


class FhirClient:
    """Holds the app's Session, limits and outbound policy; `connect` binds it to one call's server and bearer."""

    def __init__(
        self, settings: Settings, session: requests.Session | None = None, resolver: Resolver | None = None
    ) -> None:
        self._session = session or requests.Session()
        self._connect_timeout = settings.fhir_connect_timeout
        self._read_timeout = settings.fhir_read_timeout
        self.page_cap = settings.fhir_page_cap
        self.max_bytes = settings.fhir_max_bytes
        self.max_entries = settings.fhir_max_entries
        self.budget_seconds = settings.call_budget_seconds
        self.policy = OutboundPolicy(
            settings.effective_fhir_allowlist(), settings.effective_private_networks(), resolver or system_resolver
        )
        self.guards = OriginGuards(
            settings.fhir_origin_concurrency, settings.fhir_breaker_failures, settings.fhir_breaker_seconds
        )

    def connect(self, base: str, bearer: str | None, stats: FhirStats, deadline: Deadline | None = None) -> FhirAccess:
        """Returns access to the FHIR server at `base` for one hook call (nothing is checked or sent yet)."""
        return FhirAccess(self, base.rstrip("/"), bearer, stats, deadline or Deadline.after(self.budget_seconds))

    def get_json(self, url: str, bearer: str | None, stats: FhirStats, deadline: Deadline) -> Resource:
        """Returns the FHIR resource at `url` (already checked by the guard); raises FhirUnavailable on any failure."""
        headers = {"Accept": "application/fhir+json"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        started = time.perf_counter()
        origin = _origin(url)
        try:
            deadline.check()
            with self.guards.slot(origin, deadline):
                raw = self._guarded_get(url, origin, headers, deadline)
        except OutboundRefused as exc:
            raise _refused(exc) from None
        finally:
            stats.record((time.perf_counter() - started) * 1000)
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise FhirTransientError("not-json") from None
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise FhirTransientError("not-fhir")
        return body

    def _guarded_get(self, url: str, origin: str, headers: dict[str, str], deadline: Deadline) -> bytes:
        """Returns the reply body; tells the origin's breaker how the server did (its own failures only)."""
        left = deadline.remaining()
        timeout = (min(self._connect_timeout, left), min(self._read_timeout, left))
        try:
            with deadline_scope(deadline.at):  # every read on the connection ends at the call's deadline
                raw = self._get(url, headers, timeout, deadline)
        except OutboundRefused as exc:
            if exc.transient and exc.reason not in _GUARD_REASONS:
                self.guards.failed(origin)
            raise
        except FhirUnavailable as exc:
            if exc.transient:
                self.guards.failed(origin, exc.retry_after)
            raise
        self.guards.succeeded(origin)
        return raw

    def _get(self, url: str, headers: dict[str, str], timeout: tuple[float, float], deadline: Deadline) -> bytes:
        try:
            reply = self._session.get(url, headers=headers, timeout=timeout, allow_redirects=False, stream=True)
        except requests.Timeout:
            deadline.check()
            raise FhirTransientError("timeout") from None
        except requests.ConnectionError:
            deadline.check()  # the watchdog shut the socket at the deadline: that is the budget, not the network
            raise FhirTransientError("connection") from None
        except requests.RequestException:
            raise FhirFatalError("request") from None
        if not 200 <= reply.status_code < 300:
            reply.close()
            if 300 <= reply.status_code < 400:
                raise FhirFatalError("redirect")  # never followed: the Location could be anywhere
            raise _status_error(reply.status_code, reply.headers.get("Retry-After"))
        return read_capped(reply, self.max_bytes, deadline, self._read_timeout)


def _origin(url: str) -> str:
    parts = split_url(url)
    return url if parts is None else f"{parts.scheme}://{parts.host}:{parts.port}"


class _AddressCheck:
    """The once-per-hook-call resolution of the FHIR host, shared by the call's parallel fetches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._error: OutboundRefused | None = None

    def run(self, policy: OutboundPolicy, host: str) -> None:
        with self._lock:
            if not self._done:
                try:
                    policy.check_addresses(host)
                except OutboundRefused as exc:
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error


@dataclass(frozen=True, slots=True)
class FhirAccess:
    """One hook call's view of the FHIR server: base URL, the lent bearer (repr hidden), counters and deadline."""

    client: FhirClient
    base: str
    bearer: str | None = field(repr=False)
    stats: FhirStats
    deadline: Deadline
    _address_check: _AddressCheck = field(default_factory=_AddressCheck, repr=False, compare=False)

    def _guarded(self, url: str) -> UrlParts:
        try:
            base = self.client.policy.allowed(self.base)
            parts = self.client.policy.allowed(url)
            if (parts.scheme, parts.host, parts.port) != (base.scheme, base.host, base.port):
                raise OutboundRefused("next-off-server")
            self._address_check.run(self.client.policy, base.host)
        except OutboundRefused as exc:
            raise _refused(exc) from None
        return parts

    def _get(self, url: str) -> Resource:
        self._guarded(url)
        return self.client.get_json(url, self.bearer, self.stats, self.deadline)

    def read(self, path: str) -> Resource:
        """Returns the resource of an instance read such as `Patient/123`."""
        resource = self._get(f"{self.base}/{path}")
        if resource["resourceType"] == "OperationOutcome":
            raise FhirTransientError("outcome")
        return resource

    def search(self, query: str) -> list[Resource]:
        """Returns every resource of a type search such as `Condition?patient=123`, page by page."""
        url = f"{self.base}/{query}"
        bundle = self._get(url)
        _check_searchset(bundle)
        return self.rest_of(bundle, pages_read=1, seen={url})

    def fetch(self, query: str) -> list[Resource]:
        """Returns the resources a rendered prefetch query names, as a list whether it reads or searches."""
        return [self.read(query)] if is_instance_read(query) else self.search(query)

    def rest_of(self, bundle: Resource, pages_read: int, seen: set[str] | None = None) -> list[Resource]:
        """Returns `bundle`'s resources plus those of its next pages; raises FhirUnavailable past a cap or loop."""
        seen = set() if seen is None else seen
        resources = bundle_resources(bundle)
        url = next_link(bundle)
        while True:
            if len(resources) > self.client.max_entries:
                # Refused like the page cap: a card built from part of the record could misstate it.
                raise FhirFatalError("too-many-entries")
            if url is None:
                return resources
            if pages_read >= self.client.page_cap:
                # Refuse rather than answer from part of the record: with `_sort=-date` the pages left out are the
                # oldest, which hold the baseline, and a card built without them would misstate what is missing.
                self.stats.truncated()
                raise FhirFatalError("page-cap")
            if url in seen:
                raise FhirFatalError("next-loop")
            seen.add(url)
            page = self._get(url)
            _check_searchset(page)
            resources.extend(bundle_resources(page))
            pages_read += 1
            url = next_link(page)


def _check_searchset(bundle: Resource) -> None:
    if bundle["resourceType"] != "Bundle":
        raise FhirTransientError("not-bundle")
    if bundle.get("type") != "searchset":
        raise FhirFatalError("not-searchset")
