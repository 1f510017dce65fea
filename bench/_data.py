"""Synthetic points clustered like real towns: shared by the benchmarks."""

from __future__ import annotations

import numpy as np

from geo.gazetteer import Gazetteer


def clustered_gb_points(n: int, *, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (lat, lon) points around GB towns, more around bigger towns (Gaussian, ~3 km)."""
    gaz = Gazetteer.from_geonames("GB")
    towns = gaz.places[:3000]
    weights = np.array([p.population for p in towns], dtype=float)
    weights /= weights.sum()
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(towns), size=n, p=weights)
    lat0 = np.array([towns[i].lat for i in pick])
    lon0 = np.array([towns[i].lon for i in pick])
    spread_km = rng.gamma(2.0, 1.5, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    lat = lat0 + spread_km * np.sin(angle) / 111.2
    lon = lon0 + spread_km * np.cos(angle) / (111.2 * np.cos(np.radians(lat0)))
    return lat.round(6), lon.round(6)


def query_points(m: int, *, seed: int = 2) -> list[tuple[float, float]]:
    """``m`` query origins at GB towns (where peers actually are)."""
    lat, lon = clustered_gb_points(m, seed=seed)
    return list(zip(lat.tolist(), lon.tolist(), strict=True))
