"""The message queue in durable.db, and the owners that lease its work.

Two kinds of message share one table: `orch` messages are history events waiting for their
instance's next episode (a timer is one with a future `visible_at`), `work` messages are
activities to run, each under a lease. Writers take the caller's open transaction (`db`), so a
message goes in or out in the same commit as the state it belongs to.

Owners are "host:pid:nonce": a restarted devhost releases at once what a killed one on this
machine held, instead of waiting for the leases to expire.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from typing import Any

from devhost.durable import fastjson
from devhost.durable.store import Message, Store

_COLUMNS = "id, kind, instance_id, execution_id, task_id, payload"
# Owners of engines running in this process; any other owner with our pid is a dead engine
# (tests simulate a crash without killing the process).
_LIVE_OWNERS: set[str] = set()


def _message(row: tuple[Any, ...]) -> Message:
    return Message(row[0], row[1], row[2], row[3], row[4], fastjson.loads(row[5]))


def enqueue(
    db: sqlite3.Connection,
    kind: str,
    instance_id: str,
    execution_id: str | None,
    payload: dict[str, Any],
    visible_at: float,
    task_id: int | None = None,
) -> None:
    db.execute(
        "INSERT INTO messages (kind, instance_id, execution_id, task_id, payload, visible_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (kind, instance_id, execution_id, task_id, fastjson.dumps(payload), visible_at),
    )


def _partition_filter(column: str, partitions: tuple[list[int], int] | None) -> tuple[str, list[Any]]:
    """SQL restricting `column` (an instance id) to some partitions of `count` (partitions.py)."""
    if partitions is None or partitions[1] <= 1:
        return "", []
    served, count = partitions
    marks = ", ".join("?" for _ in served)
    return f" AND dh_partition({column}, ?) IN ({marks})", [count, *served]


def ready_instances(
    db: sqlite3.Connection, now: float, limit: int, partitions: tuple[list[int], int] | None = None
) -> list[str]:
    """Instances with a visible event and no live lock on their row (of the given partitions:
    (served partition numbers, partition count), None for all)."""
    where, args = _partition_filter("m.instance_id", partitions)
    rows = db.execute(
        "SELECT DISTINCT m.instance_id FROM messages m JOIN instances i ON i.instance_id = m.instance_id "
        "WHERE m.kind = 'orch' AND m.visible_at <= ? AND (i.lock_owner IS NULL OR i.lock_until < ?)"
        f"{where} LIMIT ?",
        (now, now, *args, limit),
    )
    return [r[0] for r in rows]


def next_visible_at(
    db: sqlite3.Connection, kind: str, partitions: tuple[list[int], int] | None = None
) -> float | None:
    where, args = _partition_filter("instance_id", partitions)
    row = db.execute(
        f"SELECT MIN(visible_at) FROM messages WHERE kind = ? AND lease_owner IS NULL{where}", (kind, *args)
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def inbox(db: sqlite3.Connection, instance_id: str, now: float) -> list[Message]:
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM messages WHERE instance_id = ? AND kind = 'orch' AND visible_at <= ? "
        "ORDER BY id",
        (instance_id, now),
    )
    return [_message(r) for r in rows]


def delete(db: sqlite3.Connection, ids: list[int]) -> None:
    db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in ids])


def delete_timers(db: sqlite3.Connection, instance_id: str, timer_ids: list[int]) -> None:
    db.executemany(
        "DELETE FROM messages WHERE instance_id = ? AND kind = 'orch' AND task_id = ?",
        [(instance_id, t) for t in timer_ids],
    )


def drop_execution(db: sqlite3.Connection, instance_id: str, keep_events: bool) -> None:
    """Discard an ended execution's pending work; raised events may be kept for the next one."""
    sql = "DELETE FROM messages WHERE instance_id = ?"
    if keep_events:
        sql += " AND execution_id IS NOT NULL"
    db.execute(sql, (instance_id,))


_CLAIMABLE = "WHERE kind = 'work' AND visible_at <= ? AND (lease_owner IS NULL OR lease_until < ?) "


def claim_work(store: Store, owner: str, now: float, lease: float, limit: int) -> list[Message]:
    # Every result and every episode wakes the runner, and most wake-ups find nothing: look with
    # a plain read first instead of taking the file's write lock for an empty claim.
    if store.db.execute(f"SELECT 1 FROM messages {_CLAIMABLE}LIMIT 1", (now, now)).fetchone() is None:
        return []
    with store.transaction() as db:
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM messages {_CLAIMABLE}ORDER BY id LIMIT ?",
            (now, now, limit),
        ).fetchall()
        db.executemany(
            "UPDATE messages SET lease_owner = ?, lease_until = ? WHERE id = ?",
            [(owner, now + lease, r[0]) for r in rows],
        )
    return [_message(r) for r in rows]


def finish_work(db: sqlite3.Connection, message_id: int, owner: str) -> bool:
    """Remove a finished activity's message; False if the lease was lost (result discarded)."""
    cur = db.execute("DELETE FROM messages WHERE id = ? AND lease_owner = ?", (message_id, owner))
    return cur.rowcount == 1


# --- owners -------------------------------------------------------------------------------------
def new_owner() -> str:
    owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"
    _LIVE_OWNERS.add(owner)
    return owner


def forget_owner(owner: str) -> None:
    _LIVE_OWNERS.discard(owner)


def _is_dead(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's lease: let it expire
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return int(pid_text) == os.getpid() and owner not in _LIVE_OWNERS


def release_dead_owners(store: Store, me: str) -> int:
    """Give back locks and leases held by devhost processes on this machine that are gone."""
    owners = {
        r[0] for r in store.db.execute("SELECT DISTINCT lease_owner FROM messages WHERE lease_owner NOT NULL")
    }
    owners |= {
        r[0] for r in store.db.execute("SELECT DISTINCT lock_owner FROM instances WHERE lock_owner NOT NULL")
    }
    dead = [o for o in owners if o != me and _is_dead(o)]
    with store.transaction() as db:
        for owner in dead:
            db.execute(
                "UPDATE messages SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?", (owner,)
            )
            db.execute(
                "UPDATE instances SET lock_owner = NULL, lock_until = 0 WHERE lock_owner = ?", (owner,)
            )
    return len(dead)
