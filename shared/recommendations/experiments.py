"""A/B experiments on recommendations: definitions, exposures, conversions, results.

Containers: `experiments` (partition `/name`, id = name) holds the definition and status;
`experiment_units` (partition `/experiment`, id = the unit) holds one document per user (or
anonymous client) exposed: `{variant, exposedAt, convertedAt?}`.

The unit of analysis is the user, not the request: `exposures` counts distinct users shown a
variant and `conversions` those of them who clicked, added to cart or bought after their first
exposure. Per-user counts keep the observations independent, which the z-test assumes (a heavy
user's hundred requests are one observation, not a hundred). Recording an exposure is one create
per new user, remembered in process afterwards, so repeat requests write nothing; the create
itself is queued and written by a background writer thread, off the request path, in one
transactional batch per experiment and 100 units (a unit seen before elsewhere fails its batch:
that batch is then written one create each). The writer waits `LINGER_SECONDS` after being woken
so that a burst of new users is one write, not one each; the queue is flushed at interpreter exit
too (atexit), so a normal shutdown loses nothing.
Everything that reads units here (conversions, results, erasure) first flushes this process's
queue, so on one instance nothing is ever missed; another instance may see an exposure a few
milliseconds late (a conversion that early is not counted: the user could not have seen much).

One experiment per target runs at a time (a second `POST` while one runs is a 409): a user is in
at most one variant, and its results are not confounded by another test's.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.kernel.errors import Conflict, NotFound
from shared.ports.documents import (
    BatchFailed,
    BatchOp,
    Container,
    DocumentExists,
    DocumentNotFound,
    DocumentStore,
    Filter,
    Query,
)
from shared.recommendations.assignment import assign
from shared.recommendations.interactions import iso
from shared.recommendations.schemas import (
    NAME_PATTERN,
    ExperimentCreate,
    ExperimentPublic,
    ExperimentResults,
    SrmPublic,
    VariantResult,
)
from shared.recommendations.stats import relative_lift, srm_check, two_proportion_test
from shared.storage.retry import retry_on_conflict

log = logging.getLogger("smartcommerce.recommendations")
EXPERIMENTS = "experiments"
EXPERIMENTS_PK = "/name"
UNITS = "experiment_units"
UNITS_PK = "/experiment"
CONTROL = "control"
_NAME = re.compile(NAME_PATTERN)
MAX_REMEMBERED_EXPOSURES = 200_000
WRITER_IDLE_SECONDS = 30.0
LINGER_SECONDS = 0.02  # after a wake-up: what else arrives meanwhile goes in the same batch
BATCH_LIMIT = 100  # Cosmos DB's transactional batch limit


@dataclass(frozen=True)
class Assignment:
    experiment: str
    variant: str
    config: dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


def _public(doc: dict[str, Any]) -> ExperimentPublic:
    return ExperimentPublic.model_validate(doc)


class Experiments:
    def __init__(
        self,
        store: DocumentStore,
        *,
        cache_seconds: Callable[[], float] = lambda: 5.0,
        clock: Callable[[], float] = time.monotonic,
        background_exposures: bool = True,
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._running: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._exposed: set[tuple[str, str]] = set()
        self._pending: list[dict[str, Any]] = []
        self._flush_lock = threading.Lock()
        self._background = background_exposures
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        _instances.add(self)

    @property
    def definitions(self) -> Container:
        return self._store.container(EXPERIMENTS, EXPERIMENTS_PK)

    @property
    def units(self) -> Container:
        return self._store.container(UNITS, UNITS_PK)

    # --- admin ----------------------------------------------------------------------------------
    def create(self, data: ExperimentCreate, *, by: str) -> ExperimentPublic:
        if self._load_running(data.target) is not None:
            raise Conflict(
                f"an experiment on {data.target} is already running; stop it first", code="experiment_running"
            )
        doc = {
            "id": data.name,
            "name": data.name,
            "status": "running",
            "target": data.target,
            "variants": [v.model_dump(mode="json", by_alias=True, exclude_none=True) for v in data.variants],
            "createdAt": iso(_now()),
            "createdBy": by,
            "stoppedAt": None,
        }
        try:
            saved = self.definitions.create(doc)
        except DocumentExists:
            raise Conflict(
                f"experiment {data.name} exists (names are never reused)", code="experiment_exists"
            ) from None
        self._forget(data.target)
        return _public(saved)

    def get(self, name: str) -> dict[str, Any]:
        if not _NAME.match(name):
            raise NotFound(f"experiment {name} does not exist")
        try:
            return self.definitions.read(name, name)
        except DocumentNotFound:
            raise NotFound(f"experiment {name} does not exist") from None

    def stop(self, name: str) -> ExperimentPublic:
        """Idempotent: stopping a stopped experiment returns it unchanged."""

        def attempt() -> ExperimentPublic:
            doc = self.get(name)
            if doc["status"] == "stopped":
                return _public(doc)
            saved = self.definitions.replace(
                {**doc, "status": "stopped", "stoppedAt": iso(_now())}, if_match=doc["_etag"]
            )
            self._forget(doc["target"])
            return _public(saved)

        def exhausted() -> ExperimentPublic:
            raise Conflict(f"experiment {name} kept changing; try again", code="concurrent_update")

        return retry_on_conflict(attempt, attempts=5, exhausted=exhausted)

    # --- serving --------------------------------------------------------------------------------
    def _load_running(self, target: str) -> dict[str, Any] | None:
        docs = self.definitions.query_all(
            Query(where=(Filter("status", "=", "running"), Filter("target", "=", target)))
        )
        # Two creates racing past the check could both run: the oldest one wins everywhere.
        return min(docs, key=lambda d: (d["createdAt"], d["name"])) if docs else None

    def _forget(self, target: str) -> None:
        with self._lock:
            self._running.pop(target, None)

    def running(self, target: str = "recommendations") -> dict[str, Any] | None:
        now = self._clock()
        with self._lock:
            entry = self._running.get(target)
        if entry is not None and entry[0] > now:
            return entry[1]
        doc = self._load_running(target)
        with self._lock:
            self._running[target] = (now + self._cache_seconds(), doc)
        return doc

    def assignment(self, unit: str | None, target: str = "recommendations") -> Assignment | None:
        if unit is None:
            return None
        doc = self.running(target)
        if doc is None:
            return None
        variants = doc["variants"]
        name = assign(doc["name"], unit, [(v["name"], float(v["weight"])) for v in variants])
        config = next(v.get("config") or {} for v in variants if v["name"] == name)
        return Assignment(doc["name"], name, config)

    def record_exposure(self, assignment: Assignment, unit: str) -> None:
        """Remember the unit's first exposure; the create is queued for the background writer."""
        key = (assignment.experiment, unit)
        with self._lock:
            if key in self._exposed:
                return
            if len(self._exposed) >= MAX_REMEMBERED_EXPOSURES:
                self._exposed.clear()
            self._exposed.add(key)
            self._pending.append(
                {
                    "id": unit,
                    "experiment": assignment.experiment,
                    "variant": assignment.variant,
                    "exposedAt": iso(_now()),
                }
            )
        if not self._background:
            self.flush()
            return
        self._ensure_writer()
        if not self._wake.is_set():
            self._wake.set()

    def flush(self) -> int:
        """Write the queued exposures now; how many were new. A failed write is forgotten as
        remembered, so the unit's next request queues it again."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            by_experiment: dict[str, list[dict[str, Any]]] = {}
            for doc in pending:
                by_experiment.setdefault(doc["experiment"], []).append(doc)
            written = 0
            for experiment, docs in by_experiment.items():
                for start in range(0, len(docs), BATCH_LIMIT):
                    written += self._write_batch(experiment, docs[start : start + BATCH_LIMIT])
            return written

    def _write_batch(self, experiment: str, docs: list[dict[str, Any]]) -> int:
        if len(docs) > 1:
            try:
                self.units.batch(experiment, [BatchOp("create", document=doc) for doc in docs])
                return len(docs)
            except BatchFailed:
                pass  # one of them exists already (or the batch failed): one by one, below
            except Exception:
                log.warning("experiment exposure batch failed; writing its %d units one by one", len(docs))
        written = 0
        for doc in docs:
            try:
                written += self._create_unit(doc)
            except Exception:
                log.warning("experiment exposure not recorded; retried on the unit's next request")
                with self._lock:
                    self._exposed.discard((doc["experiment"], doc["id"]))
        return written

    def _create_unit(self, doc: dict[str, Any]) -> int:
        with suppress(DocumentExists):  # exposed before (another instance, or before a restart)
            self.units.create(doc)
            return 1
        return 0

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_loop, name="recs-exposures", daemon=True)
                self._writer.start()

    def _write_loop(self) -> None:
        """Write what is queued whenever woken; leave after WRITER_IDLE_SECONDS with nothing to do
        (decided under the lock that `record_exposure` queues under, so nothing is stranded: a
        later exposure starts a new writer)."""
        while True:
            woken = self._wake.wait(WRITER_IDLE_SECONDS)
            if woken:
                time.sleep(LINGER_SECONDS)
            self._wake.clear()
            if not woken:
                with self._lock:
                    if not self._pending:
                        self._writer = None
                        return
            self.flush()

    def record_conversion(
        self, unit: str, *, at: datetime | None = None, target: str = "recommendations"
    ) -> bool:
        """Mark `unit` converted in the running experiment if it was exposed before `at`.
        Set once: repeated or redelivered conversions change nothing. True if it was marked now."""
        doc = self.running(target)
        if doc is None:
            return False
        self.flush()  # this process's queued exposures first
        when = iso(at or _now())

        def attempt() -> bool:
            try:
                unit_doc = self.units.read(unit, doc["name"])
            except DocumentNotFound:
                return False  # never shown a variant: not part of the experiment
            if unit_doc.get("convertedAt") or unit_doc["exposedAt"] > when:
                return False
            self.units.replace({**unit_doc, "convertedAt": when}, if_match=unit_doc["_etag"])
            return True

        return retry_on_conflict(attempt, attempts=5, exhausted=lambda: False)

    def erase_unit(self, unit: str) -> int:
        """Forget `unit` in every experiment (account data erasure); counts stay consistent."""
        self.flush()
        removed = 0
        for doc in self.definitions.query_all(Query()):
            with suppress(DocumentNotFound):
                self.units.delete(unit, doc["name"])
                removed += 1
        with self._lock:
            self._exposed = {key for key in self._exposed if key[1] != unit}
        return removed

    # --- results --------------------------------------------------------------------------------
    def results(self, name: str) -> ExperimentResults:
        self.flush()
        doc = self.get(name)
        counts: dict[str, list[int]] = {v["name"]: [0, 0] for v in doc["variants"]}
        for unit in self.units.query_all(Query(), partition_key=name):
            row = counts.get(unit.get("variant", ""))
            if row is not None:
                row[0] += 1
                row[1] += 1 if unit.get("convertedAt") else 0
        n_c, x_c = counts[CONTROL]
        variants = []
        for v in doc["variants"]:
            n, x = counts[v["name"]]
            is_control = v["name"] == CONTROL
            lift = None if is_control else relative_lift(x_c, n_c, x, n)
            test = None if is_control else two_proportion_test(x_c, n_c, x, n)
            variants.append(
                VariantResult(
                    name=v["name"],
                    weight=float(v["weight"]),
                    exposures=n,
                    conversions=x,
                    rate=x / n if n else None,
                    lift=lift[0] if lift else None,
                    ci95=list(lift[1]) if lift and lift[1] else None,
                    p_value=test[1] if test else None,
                )
            )
        srm = srm_check(
            [counts[v["name"]][0] for v in doc["variants"]], [float(v["weight"]) for v in doc["variants"]]
        )
        return ExperimentResults(
            name=doc["name"],
            status=doc["status"],
            target=doc["target"],
            variants=variants,
            srm=SrmPublic(chi2=srm.chi2, p_value=srm.p_value, ok=srm.ok),
            created_at=doc["createdAt"],
            stopped_at=doc.get("stoppedAt"),
        )


# Every live instance's queue is written at interpreter exit (after devhost's graceful shutdown,
# or the worker's): the writer is a daemon thread, which exit would otherwise abandon mid-queue.
_instances: weakref.WeakSet[Experiments] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    for experiments in list(_instances):
        try:
            experiments.flush()
        except Exception:
            log.exception("experiment exposures not written at exit")
