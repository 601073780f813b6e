"""One step that turns a hook request into resources per prefetch key, following the spec's prefetch rules.

Spec "Prefetch Template" (https://cds-hooks.hl7.org/2.0/#prefetch-template): a client with no data sends the key
as null (or an empty Bundle); one that hit an error SHOULD send an OperationOutcome; one that could not provide
the details MUST omit the key. So: omitted, OperationOutcome or error-shaped -> fetch from fhirServer with the
bearer; null -> no data, no fetch; Bundle -> its entries; a single resource -> that resource. Data that is
required and unobtainable without a fhirServer -> 412 (STYLE #8, anti-pattern 7). A prefetched Bundle's next
pages are followed when a server is available (spec "Pagination in prefetch"); without one, a required key's
Bundle with a `next` link is 412 too, as the fetch path refuses a search it cannot read to the end.

A resource may point at another one the search did not return, e.g. a MedicationRequest naming its drug by
`medicationReference` (the prefetch templates have no `_include`: the spec's prefetch subset does not list it).
The spec declares which references to follow (`CdsServiceSpec.follow_references`: per key, element -> target
type). When a fhirServer is given, the targets nobody supplied are read (`<Type>/<id>`, at most
MAX_REFERENCE_READS, in parallel, under the same guard, bearer and time budget) and added to the key, so the
mapper can resolve them. A read that fails leaves the reference unresolved (for medications: counted as
uncoded): it is never a reason to refuse the call.

Only this patient's data (issue 10 §1): every gathered resource is checked against `context.patientId`
(`fhir_maps.ownership`) on both paths, because an EHR may prefetch from the wrong chart and a FHIR server may
ignore the `patient` search parameter. Another patient's resources, and patient data that names no patient, are
dropped and counted (counts only, for the log line). A prefetched key whose resources were ALL another patient's
(or unattributed) says nothing about this patient: it is fetched from fhirServer like an omitted key; with no
fhirServer it is this patient's empty result (no data), never a 412 that would cost every card, the drug-safety
warning included (the cards say once that another patient's resources were ignored). A fetched search whose
results were all foreign is this patient's empty result: the server was asked for this patient and read to the
end. A foreign Patient resource is dropped (no age or sex: the rules already say what that leaves unassessed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fhir_maps import flatten
from fhir_maps.ownership import Ownership, ownership
from hooks.spec import CdsServiceSpec
from service.cds_models import HookRequest
from service.errors import FhirTransientError, FhirUnavailable, PrefetchUnavailable
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
    references_read: int = 0  # followed references read from fhirServer (the mapper resolves them)
    other_patient: int = 0  # resources of another patient dropped (counts only, never content)
    unattributed: int = 0  # patient data naming no readable patient (no subject, contained reference): dropped
    prefetch_other_patient: list[str] = field(default_factory=list)  # prefetched keys holding only others' data

    def count_dropped(self, dropped: tuple[int, int]) -> None:
        """Adds one `_own` call's (other patient, unattributed) counts."""
        self.other_patient += dropped[0]
        self.unattributed += dropped[1]


def _own(resources: Iterable[Resource], patient_id: str) -> tuple[list[Resource], tuple[int, int]]:
    """Returns the resources that may be used for `patient_id`, and how many were another patient's or
    unattributed (Bundles are opened first: an entry of a nested Bundle is judged on its own)."""
    kept: list[Resource] = []
    foreign = unattributed = 0
    for resource in flatten(resources):
        owner = ownership(resource, patient_id)
        if owner is Ownership.FOREIGN:
            foreign += 1
        elif owner is Ownership.UNATTRIBUTED:
            unattributed += 1
        else:
            kept.append(dict(resource))
    return kept, (foreign, unattributed)


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


def needs_fetch(request: HookRequest, keys: Iterable[str]) -> bool:
    """Returns True when the request's prefetch lacks any of `keys` (each would be fetched from the server)."""
    return any(_from_prefetch(request.prefetch, key) is None for key in keys)


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


MAX_REFERENCE_READS = 50  # followed references read per hook call; any beyond stay unresolved (uncoded)
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # FHIR R4 `id` (fullmatch): nothing that could change the path

BACKSTOP_GRACE_SECONDS = 0.25  # the per-read deadline normally fires first; this catches what it cannot (DNS)


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
        timeout = None if deadline is None else max(0.0, deadline.remaining()) + BACKSTOP_GRACE_SECONDS
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
    patient_id = request.patient_id
    for key in keys:
        given = _from_prefetch(request.prefetch, key)
        own, dropped = _own(given.resources, patient_id) if given is not None else ([], (0, 0))
        if given is not None and given.resources and not own:
            got.prefetch_other_patient.append(key)
            got.count_dropped(dropped)
            if fhir is not None:
                given = None  # says nothing about this patient: fetched from the server, as if omitted
            else:
                dropped, given = (0, 0), _FromPrefetch([])  # nobody to ask: this patient's empty result
        if given is None:
            got.prefetch_missing.append(key)
            to_fetch.append(key)
            continue
        got.prefetch_used.append(key)
        out[key] = own
        if given.bundle is not None and next_link(given.bundle) is not None:
            if fhir is not None:
                tasks[key] = partial(fhir.rest_of, given.bundle, 1)  # page 1 is judged again with the rest
                continue
            if key in spec.required_keys:
                # Refused like the fetch path's page cap: a card built from part of the record could misstate it
                # (with `_sort=-date` the unread pages hold the oldest results, the baseline).
                raise PrefetchUnavailable(f"prefetch key {key!r} is required but its Bundle has unread pages")
            else:
                got.prefetch_partial.append(key)  # optional: page 1 is used, and the log line says so
        got.count_dropped(dropped)
    plan = _plan_fetches(spec, request, fhir is not None, to_fetch, got)
    if fhir is not None:
        for key, query in plan.items():
            tasks[key] = partial(fhir.fetch, query)
            got.fetched.append(key)
    for key, found in _run_parallel(tasks, workers, None if fhir is None else fhir.deadline).items():
        out[key], dropped = _own(found, patient_id)  # a prefetched Bundle's rest_of includes its first page
        got.count_dropped(dropped)
    for key in got.unavailable:
        out[key] = []
    if fhir is not None:
        _follow_references(spec, got, fhir, keys, workers)
    return got


def _target_id(reference: Any, target: str, base: str) -> str | None:
    """Returns the id of a `<target>/<id>` reference (relative, or absolute under `base`), else None.

    A `#contained` reference, a versioned one, another type, another server or an id that is not a FHIR id give
    None: only a plain read on the fhirServer itself is ever made.
    """
    if not isinstance(reference, str):
        return None
    if reference.startswith(f"{base}/"):
        reference = reference[len(base) + 1 :]
    if not reference.startswith(f"{target}/"):
        return None
    ident = reference[len(target) + 1 :]
    return ident if _FHIR_ID.fullmatch(ident) and ident.strip(".") else None  # "." and ".." are path segments


def _wanted_targets(
    spec: CdsServiceSpec[Any], got: Gathered, keys: tuple[str, ...], base: str
) -> dict[tuple[str, str], str]:
    """Returns (type, id) -> the key whose resource references it, for declared targets not yet present."""
    resources = [(key, r) for key in keys for r in got.resources.get(key, ())]
    present = {
        (kind, ident)
        for _, r in resources
        # hostile input: a list or object id/resourceType is no key (and not hashable)
        if isinstance(ident := r.get("id"), str) and isinstance(kind := r.get("resourceType"), str)
    }
    wanted: dict[tuple[str, str], str] = {}
    for key, resource in resources:
        for element, target in spec.follow_references.get(key, {}).items():
            reference = resource.get(element)
            ident = _target_id(reference.get("reference") if isinstance(reference, dict) else None, target, base)
            if ident is not None and (target, ident) not in present and (target, ident) not in wanted:
                wanted[(target, ident)] = key
    return wanted


def _read_target(fhir: FhirAccess, target: str, ident: str) -> list[Resource]:
    """Returns the resource `<target>/<ident>` as a one-item list, or [] when it cannot be read (left unresolved)."""
    try:
        resource = fhir.read(f"{target}/{ident}")
    except FhirUnavailable:
        return []
    if resource.get("resourceType") != target or resource.get("id") != ident:
        return []
    return [resource]


def _follow_references(
    spec: CdsServiceSpec[Any], got: Gathered, fhir: FhirAccess, keys: Iterable[str], workers: int
) -> None:
    """Reads the targets of the spec's declared references that gathered resources point at but nobody supplied."""
    wanted = _wanted_targets(spec, got, tuple(keys), fhir.base)
    targets = list(wanted)[:MAX_REFERENCE_READS]
    if not targets:
        return
    tasks: dict[str, Callable[[], list[Resource]]] = {
        f"{target}/{ident}": partial(_read_target, fhir, target, ident) for target, ident in targets
    }
    try:
        found = _run_parallel(tasks, workers, fhir.deadline)
    except FhirUnavailable:  # the call's time budget ran out: the references stay unresolved
        return
    for target, ident in targets:
        read = found[f"{target}/{ident}"]
        got.resources[wanted[(target, ident)]].extend(read)
        got.references_read += len(read)
