"""The time-driven jobs a test clock runs as it advances, registered at start-up.

Advancing a clock steps it to each job's next due moment in time order; at one instant the jobs
run in ``rank`` order. Each app registers its own jobs in its ``AppConfig.ready()``, so this app
never imports the apps above it (apps.collections). The order at one instant, fixed by rank:

  -1 card_update         a card's scheduled update (apps.collections)
   0 trial_end           an item's trial ends (apps.subscriptions)
   1 cancel_at           a scheduled cancellation (apps.subscriptions)
   2 invoice             a draft's auto-advance finalization (apps.subscriptions)
   3 renewal             a subscription's renewal (apps.subscriptions)
   4 retry               a payment retry (apps.collections)
   5 incomplete_expiry   an incomplete subscription's expiry (apps.collections)
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ClockJob:
    kind: str
    rank: int
    # (customers: a queryset of the clock's customer ids, until) → (when, object id) or None:
    # the earliest moment this job is due for those customers by ``until``.
    next_due: Callable[..., tuple[datetime, str] | None]
    # (object id) → False when there was nothing to do after all (done meanwhile): the clock
    # stops stepping rather than spin.
    run: Callable[[str], bool]


_jobs: dict[str, ClockJob] = {}


def register_clock_job(job: ClockJob) -> None:
    """At start-up (``AppConfig.ready()``): a job test clocks run; one per kind and rank."""
    if any(other.rank == job.rank and other.kind != job.kind for other in _jobs.values()):
        raise ValueError(f"Clock job rank {job.rank} is taken")
    _jobs[job.kind] = job


def clock_jobs() -> list[ClockJob]:
    """The registered jobs, in rank order."""
    return sorted(_jobs.values(), key=lambda job: job.rank)


def clock_job_next(customers, until: datetime) -> tuple[datetime, ClockJob, str] | None:
    """The earliest job due for ``customers`` by ``until`` (ties by rank): when, the job, and
    the id of the object it runs on."""
    candidates = []
    for job in clock_jobs():
        due = job.next_due(customers=customers, until=until)
        if due:
            candidates.append((due[0], job.rank, job.kind, due[1]))
    if not candidates:
        return None
    when, _, kind, object_id = min(candidates)
    return when, _jobs[kind], object_id
