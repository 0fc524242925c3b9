"""Files that hold customer data are created readable by their owner only.

SQLite databases (profiles, addresses, orders), the local bus (event payloads) and the notification
sink (emails, phone numbers) are 0600, like the signing keys. SQLite creates its -wal and -shm files
with the database file's permissions, so creating the database file first is enough.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_MODE = 0o600


def ensure_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist; tighten an existing one to 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        with contextlib.suppress(PermissionError):  # not ours to change: leave it as it is
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, PRIVATE_MODE)
    else:
        os.close(fd)
