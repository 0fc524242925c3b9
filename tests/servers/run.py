"""Run a command with the contract suites' stand-in servers up: Azurite (blobs) and
@vercel/cosmosdb-server (Cosmos DB), each on a free 127.0.0.1 port, stopped afterwards.

    .venv/bin/python -m tests.servers.run -- .venv/bin/pytest tests/integration

Installs the npm packages into `.testservers/` (git-ignored) from the committed package.json and
package-lock.json when they are missing or the lock changed, so installs are reproducible.
Exports, for the command:
    SC_TEST_SERVERS=required         the suites then FAIL (not skip) if a server is unusable
    SC_TEST_COSMOS_ENDPOINT / SC_TEST_COSMOS_KEY
    SC_TEST_AZURITE_CONNECTION_STRING
"""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
INSTALL_DIR = ROOT / ".testservers"
START_TIMEOUT_SECONDS = 30.0

# The well-known, public development keys of the Cosmos emulator and Azurite (not secrets).
COSMOS_EMULATOR_KEY = (
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_installed() -> Path:
    """npm ci into .testservers/ unless the installed lock matches the committed one."""
    INSTALL_DIR.mkdir(exist_ok=True)
    lock, installed_lock = HERE / "package-lock.json", INSTALL_DIR / "package-lock.json"
    bin_dir = INSTALL_DIR / "node_modules" / ".bin"
    ready = (bin_dir / "azurite-blob").exists() and (bin_dir / "cosmosdb-server").exists()
    if ready and installed_lock.exists() and filecmp.cmp(lock, installed_lock, shallow=False):
        return bin_dir
    if shutil.which("npm") is None:
        raise SystemExit("npm is required to install the test servers (azurite, cosmosdb-server)")
    shutil.copy(HERE / "package.json", INSTALL_DIR / "package.json")
    shutil.copy(lock, installed_lock)
    print("installing test servers into .testservers/ (npm ci)...", file=sys.stderr, flush=True)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=INSTALL_DIR, check=True, timeout=600
    )
    return bin_dir


def _wait_http(url: str, deadline: float, proc: subprocess.Popen[bytes]) -> None:
    context = ssl._create_unverified_context()  # cosmosdb-server's cert is self-signed and expired
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1, context=context)
            return
        except urllib.error.HTTPError:
            return  # it answered: up (an error status is fine for a liveness probe)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {START_TIMEOUT_SECONDS:g}s")


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    # Own process group so that stopping it also stops any node child processes.
    return subprocess.Popen(
        argv, cwd=INSTALL_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextmanager
def servers() -> Iterator[dict[str, str]]:
    bin_dir = ensure_installed()
    blob_port, cosmos_port = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            _start(
                [
                    str(bin_dir / "azurite-blob"),
                    "--blobHost",
                    "127.0.0.1",
                    "--blobPort",
                    str(blob_port),
                    "--skipApiVersionCheck",
                    "--loose",
                    "--disableTelemetry",
                    "--inMemoryPersistence",
                    "--extentMemoryLimit",
                    "256",
                ]
            )
        )
        procs.append(
            _start([str(bin_dir / "cosmosdb-server"), "--host", "127.0.0.1", "--port", str(cosmos_port)])
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        _wait_http(f"http://127.0.0.1:{blob_port}/{AZURITE_ACCOUNT}?comp=list", deadline, procs[0])
        _wait_http(f"https://127.0.0.1:{cosmos_port}/", deadline, procs[1])
        yield {
            "SC_TEST_SERVERS": "required",
            "SC_TEST_COSMOS_ENDPOINT": f"https://127.0.0.1:{cosmos_port}/",
            "SC_TEST_COSMOS_KEY": COSMOS_EMULATOR_KEY,
            "SC_TEST_AZURITE_CONNECTION_STRING": (
                f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                f"BlobEndpoint=http://127.0.0.1:{blob_port}/{AZURITE_ACCOUNT};"
            ),
        }
    finally:
        for proc in procs:
            _stop(proc)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: python -m tests.servers.run -- <command> [args...]", file=sys.stderr)
        return 2
    with servers() as env:
        print(f"test servers: cosmos {env['SC_TEST_COSMOS_ENDPOINT']}", file=sys.stderr, flush=True)
        return subprocess.run(argv, env={**os.environ, **env}, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
