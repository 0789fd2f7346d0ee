#!/usr/bin/env python3
"""Reference fixtures for @argus/stats, computed with scipy.

Run with Debian's interpreter (scipy from `apt-get install python3-scipy python3-numpy`):

    /usr/bin/python3 packages/stats/fixtures-gen/generate.py
    node_modules/.bin/biome format --write packages/stats/test/fixtures

Everything is deterministic (fixed seeds), so running it again gives the same files for the same
scipy/numpy versions (recorded in each file).

Large samples are not stored: they are described by a generator spec ("xs32" = xorshift32 with a
seed, and a shape built from IEEE-exact operations only: +, -, *, floor), which the TypeScript
tests replay bit for bit (test/helpers.ts). Each spec carries the sequential sum of its values as a
checksum so a divergence between the two generators is caught instead of silently testing
something else.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance
from scipy.stats import contingency

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures")
M32 = 0xFFFFFFFF


def meta() -> dict:
    return {
        "generator": "packages/stats/fixtures-gen/generate.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }


# ---------------------------------------------------------------- shared deterministic generator
class XorShift32:
    """Marsaglia xorshift32; mirrored in test/helpers.ts."""

    def __init__(self, seed: int) -> None:
        self.state = (seed & M32) or 0x9E3779B9

    def next_u32(self) -> int:
        x = self.state
        x ^= (x << 13) & M32
        x ^= x >> 17
        x ^= (x << 5) & M32
        self.state = x
        return x

    def uniform(self) -> float:
        return self.next_u32() / 4294967296.0


def generate(spec: dict) -> list[float]:
    rng = XorShift32(spec["seed"])
    shape, n, loc, scale = spec["shape"], spec["n"], spec["loc"], spec["scale"]
    out = []
    for _ in range(n):
        if shape == "uniform":
            v = rng.uniform()
        elif shape == "irwinhall":  # sum of 12 uniforms - 6: bell-shaped, variance 1
            s = 0.0
            for _ in range(12):
                s += rng.uniform()
            v = s - 6.0
        elif shape == "square":  # skewed towards 0
            u = rng.uniform()
            v = u * u
        elif shape == "discrete":  # ties: integers 0..levels-1
            v = float(math.floor(rng.uniform() * spec["levels"]))
        else:
            raise ValueError(shape)
        out.append(loc + scale * v)
    return out


def spec(shape: str, n: int, seed: int, loc: float = 0.0, scale: float = 1.0, **extra) -> dict:
    s = {"gen": "xs32", "shape": shape, "n": n, "seed": seed, "loc": loc, "scale": scale, **extra}
    values = generate(s)
    total = 0.0
    for v in values:
        total += v
    s["checksum"] = total
    return s


def data_of(x) -> list[float]:
    return generate(x) if isinstance(x, dict) else x


def rounded_normal(rng: np.random.Generator, n: int, loc: float, scale: float) -> list[float]:
    return [float(v) for v in rng.normal(loc, scale, n)]


def write(name: str, obj: dict) -> None:
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


# ---------------------------------------------------------------- KS two-sample
def ks_fixtures() -> dict:
    rng = np.random.default_rng(20240611)
    cases = []

    def add(name, a, b, method="auto"):
        res = stats.ks_2samp(np.asarray(data_of(a)), np.asarray(data_of(b)), method=method)
        cases.append(
            {
                "name": name,
                "a": a,
                "b": b,
                "method": method,
                "statistic": float(res.statistic),
                "pvalue": float(res.pvalue),
            }
        )

    # raw values from numpy (stored as is: shortest round-trip repr)
    add("raw 8 vs 8 shifted", rounded_normal(rng, 8, 0, 1), rounded_normal(rng, 8, 1.5, 1))
    add("raw 5 vs 7", rounded_normal(rng, 5, 0, 1), rounded_normal(rng, 7, 0.3, 2))
    add("raw 40 vs 60", rounded_normal(rng, 40, 0, 1), rounded_normal(rng, 60, 0.4, 1))
    add("raw 150 vs 120 same", rounded_normal(rng, 150, -3, 2), rounded_normal(rng, 120, -3, 2))
    add("raw 1 vs 3", [0.5], [0.1, 0.7, 2.0])
    add("raw identical", [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0])
    add("raw ties", [0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 5.0], [1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0])
    add("raw disjoint", [1.0, 2.0, 3.0], [10.0, 11.0, 12.0, 13.0])
    add("raw 30 vs 30 asymp", rounded_normal(rng, 30, 0, 1), rounded_normal(rng, 30, 0.5, 1), "asymp")
    add("raw 25 vs 40 exact", rounded_normal(rng, 25, 0, 1), rounded_normal(rng, 40, 0.5, 1), "exact")
    # exact, equal sizes (square method)
    add("exact 100 vs 100", spec("irwinhall", 100, 11), spec("irwinhall", 100, 12, 0.3))
    add("exact 1000 vs 1000", spec("irwinhall", 1000, 13), spec("irwinhall", 1000, 14, 0.08))
    add("exact 10000 vs 10000", spec("irwinhall", 10000, 15), spec("irwinhall", 10000, 16, 0.02))
    # exact, unequal sizes (Hodges/Viehmann inside method)
    add("exact 300 vs 200", spec("uniform", 300, 17), spec("square", 200, 18))
    add("exact 1000 vs 999", spec("irwinhall", 1000, 19), spec("irwinhall", 999, 20, 0.1))
    add("exact 5000 vs 3000", spec("irwinhall", 5000, 21, -1, 2), spec("irwinhall", 3000, 22, -0.95, 2))
    add("exact 10000 vs 7000", spec("irwinhall", 10000, 23), spec("irwinhall", 7000, 24, 0.03))
    add("exact 2000 vs 60 ties", spec("discrete", 2000, 25, levels=12), spec("discrete", 60, 26, levels=10))
    add("exact 700 vs 1300 tiny p", spec("irwinhall", 700, 27), spec("irwinhall", 1300, 28, 0.6))
    # asymptotic (max(n1, n2) > 10000): kstwo.sf(d, round(n1 n2 / (n1 + n2)))
    add("asymp 10001 vs 20000", spec("irwinhall", 10001, 29), spec("irwinhall", 20000, 30, 0.01))
    add("asymp 12000 vs 100", spec("irwinhall", 12000, 31), spec("irwinhall", 100, 32, 0.2))
    add("asymp 15000 vs 15000 shifted", spec("irwinhall", 15000, 33), spec("irwinhall", 15000, 34, 0.05))
    add("asymp 20000 vs 30000 p~0", spec("irwinhall", 20000, 35), spec("square", 30000, 36))
    add("asymp 12000 vs 11000 small d", spec("uniform", 12000, 37), spec("uniform", 11000, 38))
    add("asymp 150000 vs 120000", spec("irwinhall", 150000, 39), spec("irwinhall", 120000, 40, 0.004))
    add("asymp 400000 vs 300000", spec("irwinhall", 400000, 41), spec("irwinhall", 300000, 42, 0.003))
    add("asymp 50000 vs 40000 ties", spec("discrete", 50000, 43, levels=50), spec("discrete", 40000, 44, levels=50))
    add("asymp 30 vs 30 forced", spec("irwinhall", 30, 45), spec("irwinhall", 30, 46, 0.7), "asymp")
    add("exact forced 11000 vs 500", spec("irwinhall", 11000, 47), spec("irwinhall", 500, 48, 0.1), "exact")

    # The one-sample two-sided KS distribution (kstwo) behind the asymptotic p-value, on a grid
    # that crosses every branch of Simard & L'Ecuyer's selection.
    kstwo = []
    ns = [1, 2, 3, 5, 10, 37, 100, 140, 141, 500, 1000, 4545, 20000, 100000, 100001, 500000, 1000000, 2000000]
    for n in ns:
        xs = set()
        for c in [0.4, 0.5, 0.75, 0.99, 1.0, 1.5, 3.0]:
            xs.add(c / n)
        for c in [0.05, 0.3, 0.7546, 1.0, 1.8, 2.19, 2.21, 3.0, 3.99, 4.01, 8.0, 17.9, 18.1, 50.0, 200.0, 369.0, 371.0]:
            xs.add(math.sqrt(c / n))
        for c in [0.98, 1.02]:
            xs.add(c * (1.4 / n) ** (2.0 / 3.0))
        for x in [0.3, 0.49, 0.5, 0.51, 0.7, 0.95, 1.0 - 1.0 / n, 1.0 - 0.5 / n, 1.0]:
            xs.add(x)
        for x in sorted(xs):
            if 0.0 < x <= 1.0:
                kstwo.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})

    smirnov = []
    for n in [1, 2, 5, 10, 50, 141, 1000, 1012, 1013, 5000, 100000, 1000000, 1000001]:
        for x in [0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.999, 1.0 / n, 2.5 / n, 1.0 - 1.0 / n]:
            if 0.0 <= x <= 1.0:
                smirnov.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})

    return {"meta": meta(), "cases": cases, "kstwo": kstwo, "smirnov": smirnov}


# ---------------------------------------------------------------- chi-square
def chi2_fixtures() -> dict:
    rng = np.random.default_rng(7)
    sf = []
    for k in [1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 31, 50, 99, 100, 500, 1000, 5000, 20000, 100000]:
        for c in [1e-6, 1e-3, 0.1, 0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0]:
            x = c * k
            sf.append({"k": k, "x": x, "sf": float(stats.chi2.sf(x, k))})
        for x in [0.5, 1e-10, 4.0, 100.0, 1000.0]:
            sf.append({"k": k, "x": x, "sf": float(stats.chi2.sf(x, k))})
    gamma = []
    for a in [0.1, 0.5, 0.7, 1.3, 7.77, 15.25, 23.3, 150.25, 1234.567, 40000.5]:
        for c in [1e-4, 0.05, 0.5, 0.9, 1.0, 1.05, 1.5, 3.0, 10.0]:
            x = c * a
            gamma.append(
                {"a": a, "x": x, "q": float(special.gammaincc(a, x)), "p": float(special.gammainc(a, x))}
            )

    tables = []

    def add(name, table, correction=True):
        res = contingency.chi2_contingency(np.asarray(table, dtype=float), correction=correction)
        tables.append(
            {
                "name": name,
                "table": table,
                "correction": correction,
                "statistic": float(res[0]),
                "pvalue": float(res[1]),
                "dof": int(res[2]),
            }
        )

    add("2x2 yates", [[12, 5], [7, 15]])
    add("2x2 no correction", [[12, 5], [7, 15]], False)
    add("2x2 yates small diff", [[10, 10], [10, 11]])
    add("2x2 yates large", [[120000, 80000], [118000, 83000]])
    add("1x3 dof 0", [[3, 4, 5]])
    add("2x1 dof 0", [[3], [4]])
    for k in [3, 5, 10, 30, 100, 300]:
        base = rng.dirichlet(np.ones(k))
        shifted = base * rng.uniform(0.8, 1.25, k)
        shifted /= shifted.sum()
        ref = rng.multinomial(20000, base).tolist()
        cur = rng.multinomial(3000, shifted).tolist()
        # keep every column non-empty (scipy raises on a zero expected frequency)
        ref = [r + 1 for r in ref]
        add(f"2x{k} drifted", [ref, cur])
        same = rng.multinomial(5000, base).tolist()
        add(f"2x{k} same", [ref, [s + 1 for s in same]])
    add("3x4 general", [[10, 20, 30, 40], [15, 25, 25, 35], [30, 10, 20, 40]])
    add("2x3 float counts", [[10.5, 20.25, 30.0], [12.0, 18.5, 33.75]])
    add("2x4 p tiny", [[1000, 10, 500, 20], [10, 1000, 20, 500]])
    return {"meta": meta(), "chi2sf": sf, "gammainc": gamma, "contingency": tables}


# ---------------------------------------------------------------- distances
def evidently_fill_zeroes(percents: np.ndarray) -> np.ndarray:
    """Evidently's get_binned_data(feel_zeroes=True) rule, applied to one vector of proportions."""
    out = percents.copy()
    nonzero_min = min(out[out != 0])
    fill = nonzero_min / 10**6 if nonzero_min <= 0.0001 else 0.0001
    np.place(out, out == 0, fill)
    return out


def distance_fixtures() -> dict:
    rng = np.random.default_rng(99)
    js = []

    def add_js(name, p, q, base):
        value = distance.jensenshannon(np.asarray(p, float), np.asarray(q, float), base=base)
        js.append({"name": name, "p": p, "q": q, "base": base, "value": float(value)})

    add_js("small", [0.1, 0.2, 0.7], [0.3, 0.3, 0.4], 2)
    add_js("counts unnormalized", [10, 20, 70], [5, 5, 40], 2)
    add_js("zeros", [0, 5, 10, 0], [3, 0, 10, 1], 2)
    add_js("disjoint", [1, 0], [0, 1], 2)
    add_js("identical", [1, 2, 3], [1, 2, 3], 2)
    add_js("natural base", [1, 2, 3, 4], [4, 3, 2, 1], math.e)
    add_js("base 10", [1, 2, 3, 4], [4, 3, 2, 1], 10)
    for k in [10, 50, 200]:
        p = rng.multinomial(10000, rng.dirichlet(np.ones(k))).tolist()
        q = rng.multinomial(4000, rng.dirichlet(np.ones(k))).tolist()
        add_js(f"random {k}", p, q, 2)

    wd = []

    def add_wd(name, u, v):
        uu, vv = np.asarray(data_of(u)), np.asarray(data_of(v))
        value = stats.wasserstein_distance(uu, vv)
        norm = max(np.std(uu), 0.001)
        wd.append({"name": name, "u": u, "v": v, "value": float(value), "normed": float(value / norm)})

    add_wd("raw small", [0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    add_wd("raw ties", [1.0, 1.0, 2.0, 2.0, 2.0], [1.0, 2.0, 2.0, 3.0])
    add_wd("raw constant ref", [2.0, 2.0, 2.0], [2.0, 2.5, 3.0])
    add_wd("raw normal", rounded_normal(rng, 200, 0, 1), rounded_normal(rng, 150, 0.3, 1.2))
    add_wd("raw negative", rounded_normal(rng, 50, -100, 10), rounded_normal(rng, 80, -90, 5))
    add_wd("gen 20000 vs 15000", spec("irwinhall", 20000, 101, 3, 2), spec("square", 15000, 102, 1, 5))
    add_wd("gen 50000 vs 50000 ties", spec("discrete", 50000, 103, levels=20), spec("discrete", 50000, 104, 1, 1, levels=20))

    psi = []

    def add_psi(name, ref_counts, cur_counts):
        r = np.asarray(ref_counts, float)
        c = np.asarray(cur_counts, float)
        rp = evidently_fill_zeroes(r / r.sum())
        cp = evidently_fill_zeroes(c / c.sum())
        value = float(np.sum((rp - cp) * np.log(rp / cp)))
        psi.append({"name": name, "reference": ref_counts, "current": cur_counts, "value": value})

    add_psi("no zeros", [100, 200, 300, 400], [150, 150, 350, 350])
    add_psi("zero in current", [100, 200, 300, 400], [0, 150, 350, 500])
    add_psi("zero in reference", [0, 200, 300, 400], [10, 150, 350, 500])
    add_psi("tiny smallest share", [1, 2000000, 3000000, 0], [5, 20, 30, 1])
    for k in [10, 30]:
        p = rng.multinomial(50000, rng.dirichlet(np.ones(k))).tolist()
        q = rng.multinomial(5000, rng.dirichlet(np.ones(k) * 3)).tolist()
        add_psi(f"random {k}", p, q)

    return {"meta": meta(), "jensenshannon": js, "wasserstein": wd, "psi": psi}


# ---------------------------------------------------------------- drift detector streams
def drift_fixtures() -> dict:
    # The stream of River's ADWIN and PageHinkley docstring examples (river/drift/adwin.py,
    # river/drift/page_hinkley.py): random.Random(12345), 1000 draws from {0,1} then 1000 from 4..7.
    # River documents "Change detected at index 1023" (ADWIN) and "index 1006" (PageHinkley).
    r = random.Random(12345)
    stream = r.choices([0, 1], k=1000) + r.choices(range(4, 8), k=1000)
    return {
        "meta": meta(),
        "stream": stream,
        "river": {"adwinFirstDetection": 1023, "pageHinkleyFirstDetection": 1006},
    }


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    write("ks.json", ks_fixtures())
    write("chi2.json", chi2_fixtures())
    write("distances.json", distance_fixtures())
    write("drift-streams.json", drift_fixtures())


if __name__ == "__main__":
    main()
