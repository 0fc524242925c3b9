"""`python -m devhost instances [--status S]` and `python -m devhost instance ID`.

Read straight from `<data-dir>/durable.db` (WAL mode lets this run beside a live devhost).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from devhost.durable import events as ev
from devhost.durable.extension import DB_NAME
from devhost.durable.status import parse_json
from devhost.durable.store import Store


def _open(data_dir: str) -> Store | None:
    path = Path(data_dir) / DB_NAME
    if not path.exists():
        print(f"no durable instances ({path} does not exist)")
        return None
    return Store(path)


def _short(text: str | None, width: int = 60) -> str:
    if text is None:
        return "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def main_instances(args: argparse.Namespace) -> int:
    store = _open(args.data_dir)
    if store is None:
        return 0
    try:
        known = {s.lower(): s for s in ("Pending", "Running", "Completed", "Failed", "Terminated")}
        statuses = [
            known.get(s.strip().lower(), s.strip()) for s in (args.status or "").split(",") if s.strip()
        ]
        rows = store.list_instances(statuses=statuses or None)
        if not rows:
            print("no instances" + (f" with status {args.status}" if args.status else ""))
            return 0
        print(f"{'INSTANCE':<36} {'NAME':<20} {'STATUS':<11} {'CREATED':<27} {'UPDATED':<27} OUTPUT")
        for inst in rows:
            print(
                f"{inst.instance_id:<36} {inst.name:<20} {inst.status:<11} {inst.created_at:<27} "
                f"{inst.updated_at:<27} {_short(inst.output)}"
            )
        return 0
    finally:
        store.close()


def main_instance(args: argparse.Namespace) -> int:
    store = _open(args.data_dir)
    if store is None:
        return 1
    try:
        # devhost's parser names the argument `id`; accept `instance_id` as well.
        iid = str(getattr(args, "instance_id", None) or args.id)
        inst = store.get(iid)
        if inst is None:
            print(f"no instance with id {iid}", file=sys.stderr)
            return 1
        print(f"instance   {inst.instance_id}")
        print(f"name       {inst.name}")
        print(f"status     {inst.status}")
        print(f"created    {inst.created_at}")
        print(f"updated    {inst.updated_at}")
        if inst.parent_instance_id:
            print(f"parent     {inst.parent_instance_id} (task {inst.parent_task_id})")
        if inst.generation:
            print(f"execution  #{inst.generation} (continued as new)")
        for label, value in (("input", inst.input), ("custom", inst.custom_status), ("output", inst.output)):
            print(f"{label:<10} {json.dumps(parse_json(value))}")
        print("history:")
        for raw in store.history(inst.instance_id, sdk_only=False):
            print("  " + ev.describe(json.loads(raw)))
        return 0
    finally:
        store.close()
