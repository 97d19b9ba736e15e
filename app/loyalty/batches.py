"""Walking a large set of members in short transactions, for the schedules.

Each batch of ids is worked and committed on its own, so a million members never sit in one
transaction or in memory, and a batch that fails on a conflict is rolled back and worked again:
every step the schedules take is idempotent.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.exc import OperationalError, PendingRollbackError

from app.extensions import db
from app.loyalty.errors import IdempotencyKeyReused, InsufficientPoints

BATCH_SIZE = 500
ATTEMPTS = 3

SelectIds = Callable[[int, int], Sequence[int]]  # (after this id, at most n) -> ascending ids
Work = Callable[[int], bool]  # member id -> whether something was done
BatchWork = Callable[[Sequence[int]], int]  # a batch of member ids -> how many were changed


def _committed(step: Callable[[], int]) -> int:
    """Run `step` and commit; on a conflict roll back and run it again, from the database's state."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            done = step()
            db.session.commit()
            return done
        except (PendingRollbackError, OperationalError):
            db.session.rollback()
            if attempt == ATTEMPTS:
                raise
    return 0


def _work_one(member_id: int, work: Work) -> bool:
    try:
        return work(member_id)
    except (IdempotencyKeyReused, InsufficientPoints):
        # Another run, or the till, got there first; the next run sees the new state.
        return False


def each_batch(select_ids: SelectIds, work: Work, batch_size: int | None = None) -> int:
    """Work every member `select_ids` yields, one by one, batch by batch; returns how many were changed."""
    return each_id_batch(select_ids, lambda ids: sum(1 for member_id in ids if _work_one(member_id, work)),
                         batch_size)


def each_id_batch(select_ids: SelectIds, work: BatchWork, batch_size: int | None = None) -> int:
    """Work every member `select_ids` yields a whole batch at a time (set-based statements over the
    batch's ids), each batch committed on its own; returns how many were changed."""
    size = batch_size or BATCH_SIZE
    after, done = 0, 0
    while True:
        ids = list(select_ids(after, size))
        db.session.rollback()  # the read ends here; each batch writes in a fresh transaction
        if not ids:
            return done
        done += _committed(lambda: work(ids))
        after = ids[-1]
