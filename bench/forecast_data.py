"""Public data for bench/forecast_bench.py, all offline (docs/ML.md, "Data sets that install offline").

- wineind, ausbeer, austres, woolyrnq: pmdarima's bundled data (`pmdarima.datasets`).
- airline, shampoo, seatbelts: CSV files inside the installed sktime package, read by path
  (importing sktime is not needed and costs seconds).
- co2 (weekly) and US real consumption (quarterly): statsmodels' bundled data sets.
- Dominick's orangeJuice panel: the Debian package r-cran-bayesm, unpacked (R is not needed) and
  read with `rdata`. `make bench-data` fetches it; `orange_juice()` does the same on first use
  (`apt-get download` + `dpkg -x` into bench/data/) and says how if that fails.
"""

from __future__ import annotations

import importlib.util
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"
OJ_RDA = DATA_DIR / "bayesm" / "usr" / "lib" / "R" / "site-library" / "bayesm" / "data" / "orangeJuice.rda"


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed: `make install` (requirements-dev.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def _monthly(values: Any, start: str) -> pd.Series:
    v = np.asarray(values, dtype=float)
    return pd.Series(v, index=pd.period_range(start, periods=len(v), freq="M"))


def _quarterly(values: Any, start: str) -> pd.Series:
    v = np.asarray(values, dtype=float)
    return pd.Series(v, index=pd.period_range(start, periods=len(v), freq="Q"))


def contract_series() -> dict[str, pd.Series]:
    """The four series the issue names (ML.md): the headline MASE target is on these."""
    from pmdarima.datasets import load_ausbeer, load_wineind

    sk = _package_dir("sktime") / "datasets" / "data"
    airline = pd.read_csv(sk / "Airline" / "Airline.csv")
    shampoo = pd.read_csv(sk / "ShampooSales" / "ShampooSales.csv")
    return {
        "wineind": _monthly(load_wineind(), "1980-01"),
        "ausbeer": _quarterly(load_ausbeer(), "1956Q1"),  # its last value is missing: dropped by fit
        "airline": _monthly(airline["Passengers"], "1949-01"),
        "shampoo": _monthly(shampoo["Sales"], "1991-01"),
    }


def other_series() -> dict[str, pd.Series]:
    """More public series, none used to choose the defaults."""
    import statsmodels.api as sm
    from pmdarima.datasets import load_austres, load_woolyrnq

    sk = _package_dir("sktime") / "datasets" / "data"
    seatbelts = pd.read_csv(sk / "seatbelts" / "seatbelts.csv")
    co2 = sm.datasets.co2.load_pandas().data["co2"]
    macro = sm.datasets.macrodata.load_pandas().data
    return {
        "austres": _quarterly(load_austres(), "1971Q2"),
        "woolyrnq": _quarterly(load_woolyrnq(), "1965Q1"),
        "seatbelts": _monthly(seatbelts["KSI"], "1969-01"),
        "co2_weekly_8y": co2.iloc[-416:],  # weekly, W-SAT; a few missing weeks are interpolated
        "us_realcons": _quarterly(macro["realcons"], "1959Q1"),
    }


def fetch_orange_juice() -> Path:
    if OJ_RDA.exists():
        return OJ_RDA
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["apt-get", "download", "r-cran-bayesm"], cwd=tmp, check=True, capture_output=True)
            deb = next(Path(tmp).glob("r-cran-bayesm_*.deb"))
            subprocess.run(
                ["dpkg", "-x", str(deb), str(DATA_DIR / "bayesm")], check=True, capture_output=True
            )
        except (subprocess.CalledProcessError, StopIteration, FileNotFoundError) as exc:
            raise RuntimeError(
                "could not fetch Dominick's orangeJuice data: run `make bench-data` (needs apt-get: "
                "`apt-get download r-cran-bayesm && dpkg -x r-cran-bayesm_*.deb bench/data/bayesm`)"
            ) from exc
    return OJ_RDA


def orange_juice() -> pd.DataFrame:
    """Dominick's: one row per store x brand x week, in the fit_demand shape.

    units = exp(logmove); price = the brand's own price column; promo = deal; feat (feature ad)
    and the log of the mean price of the other brands (a competitor price) are controls.
    product = store x brand, category = brand: the brand elasticity is the category's pooled one.
    """
    import rdata

    yx = rdata.read_rda(str(fetch_orange_juice()))["orangeJuice"]["yx"]
    prices = yx[[f"price{b}" for b in range(1, 12)]].to_numpy(dtype=float)
    brand = yx["brand"].to_numpy(dtype=int)
    own = prices[np.arange(len(yx)), brand - 1]
    others = (prices.sum(axis=1) - own) / 10
    return pd.DataFrame(
        {
            "product_id": [f"{s}-{b}" for s, b in zip(yx["store"], brand, strict=True)],
            "category": [f"brand{b}" for b in brand],
            "period": yx["week"].to_numpy(dtype=np.int64),
            "units": np.exp(yx["logmove"].to_numpy(dtype=float)),
            "price": own,
            "promo": yx["deal"].to_numpy(dtype=float),
            "feat": yx["feat"].to_numpy(dtype=float),
            "other_price": others,
        }
    )
