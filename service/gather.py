"""One step that turns a hook request into resources per prefetch key, following the spec's prefetch rules.

Spec "Prefetch Template" (https://cds-hooks.hl7.org/2.0/#prefetch-template): a client with no data sends the key
as null (or an empty Bundle); one that hit an error SHOULD send an OperationOutcome; one that could not provide
the details MUST omit the key. So: omitted, OperationOutcome or error-shaped -> fetch from fhirServer with the
bearer; null -> no data, no fetch; Bundle -> its entries; a single resource -> that resource. Data that is
required and unobtainable without a fhirServer -> 412 (STYLE #8, anti-pattern 7). A prefetched Bundle's next
pages are followed when a server is available (spec "Pagination in prefetch").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from hooks.spec import CdsServiceSpec
from service.cds_models import HookRequest
from service.errors import FhirTransientError, PrefetchUnavailable
from service.fhir_client import FhirAccess, Resource, bundle_resources, next_link
from service.outbound import Deadline
from service.queries import render_query


@dataclass
class Gathered:
    """The resources per key, and which keys came from where for the log line (key names only, never values)."""

    resources: dict[str, list[Resource]] = field(default_factory=dict)
    prefetch_used: list[str] = field(default_factory=list)  # satisfied by prefetch (including null = no data)
    prefetch_missing: list[str] = field(default_factory=list)  # omitted, OperationOutcome or error-shaped
    fetched: list[str] = field(default_factory=list)  # fetched from fhirServer
    unavailable: list[str] = field(default_factory=list)  # optional keys nobody could supply
    prefetch_partial: list[str] = field(default_factory=list)  # prefetched Bundle with pages left unread


@dataclass(frozen=True, slots=True)
class _FromPrefetch:
    resources: list[Resource]
    bundle: Resource | None = None  # kept to follow its next pages


def _from_prefetch(prefetch: dict[str, Any] | None, key: str) -> _FromPrefetch | None:
    """Returns the prefetched data for `key`, or None when the key must be fetched."""
    if prefetch is None or key not in prefetch:
        return None
    value = prefetch[key]
    if value is None:
        return _FromPrefetch([])
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return None  # error-shaped: whatever it is, it is not data
    if value["resourceType"] == "OperationOutcome":
        return None
    if value["resourceType"] == "Bundle":
        return _FromPrefetch(bundle_resources(value), value)
    return _FromPrefetch([value])


def _plan_fetches(
    spec: CdsServiceSpec[Any], request: HookRequest, has_server: bool, keys: Iterable[str], got: Gathered
) -> dict[str, str]:
    """Returns key -> rendered query for every key that needs fetching; raises 412 before any call is made."""
    plan: dict[str, str] = {}
    for key in keys:
        query = render_query(spec.prefetch[key], request.context)
        if has_server and query is not None:
            plan[key] = query
        elif key in spec.required_keys:
            raise PrefetchUnavailable(f"prefetch key {key!r} is required but was not prefetched or fetchable")
        else:
            got.unavailable.append(key)
    return plan


_BACKSTOP_GRACE_SECONDS = 0.25  # the per-read deadline normally fires first; this catches what it cannot (DNS)


def _run_parallel(
    tasks: dict[str, Callable[[], list[Resource]]], workers: int, deadline: Deadline | None
) -> dict[str, list[Resource]]:
    """Returns each task's result; independent FHIR queries overlap, so a call costs about its slowest query.

    With a deadline the tasks always run in threads and the caller stops waiting once it has passed: the answer
    (412) goes out on time even if a thread is stuck where no timeout reaches, such as a slow DNS lookup. Such a
    thread is left to finish on its own; every socket read it makes is bounded by the same deadline.
    """
    if not tasks:
        return {}
    if deadline is None and (len(tasks) <= 1 or workers <= 1):
        return {key: task() for key, task in tasks.items()}
    pool = ThreadPoolExecutor(max_workers=min(workers, len(tasks)), thread_name_prefix="fhir")
    try:
        futures = {key: pool.submit(task) for key, task in tasks.items()}
        timeout = None if deadline is None else max(0.0, deadline.remaining()) + _BACKSTOP_GRACE_SECONDS
        done, _ = wait(futures.values(), timeout=timeout, return_when=FIRST_EXCEPTION)
        for future in futures.values():  # one failure decides the answer (412); report the first by key order
            error = future.exception() if future in done else None
            if error is not None:
                raise error
        if len(done) < len(futures):
            raise FhirTransientError("budget")
        return {key: future.result() for key, future in futures.items()}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # queued calls need not run once the answer is known


def gather(
    spec: CdsServiceSpec[Any],
    request: HookRequest,
    fhir: FhirAccess | None,
    keys: Iterable[str],
    *,
    workers: int = 4,
) -> Gathered:
    """Returns the resources of each of `keys`, from prefetch where the client gave them, else from `fhir`.

    Keys the request leaves to the service are fetched in parallel (`workers` at most). Raises
    PrefetchUnavailable (412) for a required key with no data and no server, and FhirUnavailable (412) when the
    server fails.
    """
    got = Gathered()
    keys = tuple(keys)
    out = got.resources
    tasks: dict[str, Callable[[], list[Resource]]] = {}
    to_fetch: list[str] = []
    for key in keys:
        given = _from_prefetch(request.prefetch, key)
        if given is None:
            got.prefetch_missing.append(key)
            to_fetch.append(key)
            continue
        got.prefetch_used.append(key)
        out[key] = given.resources
        if given.bundle is not None and next_link(given.bundle) is not None:
            if fhir is None:
                got.prefetch_partial.append(key)  # later pages exist but there is no server to ask
            else:
                tasks[key] = partial(fhir.rest_of, given.bundle, 1)
    plan = _plan_fetches(spec, request, fhir is not None, to_fetch, got)
    if fhir is not None:
        for key, query in plan.items():
            tasks[key] = partial(fhir.fetch, query)
            got.fetched.append(key)
    out.update(_run_parallel(tasks, workers, None if fhir is None else fhir.deadline))
    for key in got.unavailable:
        out[key] = []
    return got
