"""Install what the browser tests need and pip cannot bring: Debian's Chromium and axe-core.

    .venv/bin/python -m tests.browser.deps        # `make browser-deps` (part of `make test`)

- Chromium: `/usr/bin/chromium` from Debian (`apt-get install -y chromium`, ~16 s). Playwright's
  own `playwright install` downloads browser builds from a CDN, which these machines cannot reach,
  so the tests launch Debian's build by path. Installing needs root (CI runs as root); otherwise
  this prints the command to run and fails.
- axe-core: `npm ci` of tests/browser/package.json into `.browser-tools/` (git-ignored), skipped
  when the installed lock matches the committed one, as tests/servers does for its servers.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = Path(os.environ.get("SC_CHROMIUM", "/usr/bin/chromium"))
TOOLS_DIR = ROOT / ".browser-tools"
AXE_JS = TOOLS_DIR / "node_modules" / "axe-core" / "axe.min.js"


def ensure_chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0:
        raise SystemExit(f"{CHROMIUM} is missing: run `sudo apt-get install -y chromium`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("installing Debian's chromium (apt-get)...", file=sys.stderr, flush=True)
    # With its recommends (fonts among them): screenshots need real fonts, not fallback boxes.
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    if subprocess.run(install, env=env, check=False, stdout=subprocess.DEVNULL).returncode != 0:
        # A fresh machine has no package lists yet.
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(install, env=env, check=True, stdout=subprocess.DEVNULL)
    if not CHROMIUM.exists():
        raise SystemExit(f"apt-get installed chromium but {CHROMIUM} does not exist")
    return CHROMIUM


def ensure_axe() -> Path:
    lock, installed_lock = HERE / "package-lock.json", TOOLS_DIR / "package-lock.json"
    if AXE_JS.exists() and installed_lock.exists() and filecmp.cmp(lock, installed_lock, shallow=False):
        return AXE_JS
    if shutil.which("npm") is None:
        raise SystemExit("npm is required to install axe-core for the browser tests")
    TOOLS_DIR.mkdir(exist_ok=True)
    shutil.copy(HERE / "package.json", TOOLS_DIR / "package.json")
    shutil.copy(lock, installed_lock)
    print("installing axe-core into .browser-tools/ (npm ci)...", file=sys.stderr, flush=True)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TOOLS_DIR, check=True, timeout=600
    )
    return AXE_JS


def main() -> int:
    print(f"chromium: {ensure_chromium()}")
    print(f"axe-core: {ensure_axe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
