#!/usr/bin/env python3
"""Shapiro-Wilk fixtures for @argus/stats (test/fixtures/shapiro.json).

Run with Debian's interpreter (python3-scipy, python3-numpy, python3-mpmath):

    /usr/bin/python3 packages/stats/fixtures-gen/shapiro.py
    node_modules/.bin/biome format --write packages/stats/test/fixtures

For every sample the fixture records

- ``scipy``: ``scipy.stats.shapiro`` (Fortran swilk.f, AS R94, computed in SINGLE precision);
- ``reference``: the same published algorithm (Royston 1992 coefficients, Royston 1995 AS R94
  p-values) evaluated here with mpmath at 50 significant digits on the float64 sample, then
  rounded to float64. It is written from the papers, not from the TypeScript code: full
  coefficient vector, W = (sum a_i x_(i))^2 / sum (x_i - mean)^2, exact normal quantile and tail.

A second, plain float64 transcription (``reference_float64`` below: math/statistics only) is
checked against the mpmath one before anything is written, so the file also shows that float64
arithmetic reaches the reference to ~1e-12.

Samples: for n <= 100 the raw float64 values drawn by numpy (true normal, exponential, ...); for
every n a generator spec ("xs32sw": xorshift32 + IEEE-exact arithmetic only, so the TypeScript
test replays it bit for bit, with a checksum) that keeps the large samples out of the file.
Deterministic: same versions, same file.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import warnings

import mpmath
import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import XorShift32, meta, write  # noqa: E402

NS = [3, 4, 5, 7, 11, 12, 20, 50, 100, 500, 1000, 2500, 5000]
SHAPES = ["normal", "uniform", "exponential", "lognormal", "bimodal", "ties"]
MP_DPS = 50


# ---------------------------------------------------------------- replayable samples ("xs32sw")
def sw_generate(spec: dict) -> list[float]:
    """Only +, -, *, / by powers of two and floor: bit-identical in IEEE float64 everywhere.

    normal: Irwin-Hall (sum of 12 uniforms - 6). exponential: (z1^2 + z2^2) / 2, a chi-square(2)/2
    of Irwin-Hall normals. lognormal: exp(0.8 z) as (1 + 0.8 z / 1024)^1024 (ten squarings).
    bimodal: z -/+ 2.2 with probability 1/2 each. ties: normal rounded to a grid of 0.5.
    """
    rng = XorShift32(spec["seed"])
    shape, n = spec["shape"], spec["n"]

    def z() -> float:
        s = 0.0
        for _ in range(12):
            s += rng.uniform()
        return s - 6.0

    out = []
    for _ in range(n):
        if shape == "normal":
            v = z()
        elif shape == "uniform":
            v = rng.uniform()
        elif shape == "exponential":
            a = z()
            b = z()
            v = (a * a + b * b) * 0.5
        elif shape == "lognormal":
            v = 1.0 + 0.8 * z() / 1024.0
            for _ in range(10):
                v = v * v
        elif shape == "bimodal":
            side = rng.uniform()
            v = z() + (2.2 if side >= 0.5 else -2.2)
        elif shape == "ties":
            v = math.floor(z() * 2.0) * 0.5
        else:
            raise ValueError(shape)
        out.append(spec["loc"] + spec["scale"] * v)
    return out


def sw_spec(shape: str, n: int, seed: int, loc: float = 0.0, scale: float = 1.0) -> dict:
    s = {"gen": "xs32sw", "shape": shape, "n": n, "seed": seed, "loc": loc, "scale": scale}
    total = 0.0
    for v in sw_generate(s):
        total += v
    s["checksum"] = total
    return s


def numpy_sample(rng: np.random.Generator, shape: str, n: int) -> list[float]:
    if shape == "normal":
        x = rng.normal(10.0, 2.0, n)
    elif shape == "uniform":
        x = rng.uniform(-1.0, 3.0, n)
    elif shape == "exponential":
        x = rng.exponential(1.5, n)
    elif shape == "lognormal":
        x = rng.lognormal(0.0, 1.0, n)
    elif shape == "bimodal":
        x = np.where(rng.uniform(size=n) < 0.5, rng.normal(-2.0, 1.0, n), rng.normal(2.0, 1.0, n))
    elif shape == "ties":
        x = rng.poisson(3.0, n).astype(float)
    else:
        raise ValueError(shape)
    return [float(v) for v in x]


# ---------------------------------------------------------------- the reference (mpmath)
# Royston (1992), Statistics and Computing 2, 117-119: polynomial corrections of the two largest
# coefficients in u = 1/sqrt(n), lowest order first.
POLY_AN = ["0", "0.221157", "-0.147981", "-2.071190", "4.434685", "-2.706056"]
POLY_AN1 = ["0", "0.042981", "-0.293762", "-1.752461", "5.682633", "-3.582633"]
# Royston (1995), AS R94: normalizing transformation of W.
SMALL_G = ["-2.273", "0.459"]  # gamma(n), 4 <= n <= 11
SMALL_MU = ["0.5440", "-0.39978", "0.025054", "-0.0006714"]  # mu(n)
SMALL_SIGMA = ["1.3822", "-0.77857", "0.062767", "-0.0020322"]  # log sigma(n)
LARGE_MU = ["-1.5861", "-0.31082", "-0.083751", "0.0038915"]  # mu(log n), n >= 12
LARGE_SIGMA = ["-0.4803", "-0.082676", "0.0030302"]  # log sigma(log n)
P_TOO_SMALL = "1e-19"  # AS R94 returns this when log(1 - W) >= gamma (n <= 11)


def mp_poly(coefs: list[str], x):
    return mpmath.fsum(mpmath.mpf(c) * x**k for k, c in enumerate(coefs))


_m_cache: dict[int, list] = {}


def expected_normal_scores(n: int) -> list:
    """Blom-type approximation m_i = Phi^-1((i - 3/8) / (n + 1/4)), i = 1..n (ascending)."""
    if n not in _m_cache:
        m = []
        for i in range(1, n + 1):
            p = (mpmath.mpf(i) - mpmath.mpf(3) / 8) / (mpmath.mpf(n) + mpmath.mpf(1) / 4)
            m.append(mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1))
        _m_cache[n] = m
    return _m_cache[n]


def royston_coefficients(n: int) -> list:
    """The coefficient vector a (ascending order statistics), sum a_i^2 = 1."""
    if n == 3:
        r = mpmath.sqrt(mpmath.mpf(1) / 2)
        return [-r, mpmath.mpf(0), r]
    m = expected_normal_scores(n)
    mm = mpmath.fsum(v * v for v in m)
    u = 1 / mpmath.sqrt(n)
    a = [mpmath.mpf(0)] * n
    a[n - 1] = m[n - 1] / mpmath.sqrt(mm) + mp_poly(POLY_AN, u)
    if n > 5:
        a[n - 2] = m[n - 2] / mpmath.sqrt(mm) + mp_poly(POLY_AN1, u)
        eps = (mm - 2 * m[n - 1] ** 2 - 2 * m[n - 2] ** 2) / (1 - 2 * a[n - 1] ** 2 - 2 * a[n - 2] ** 2)
        corrected = 2
    else:
        eps = (mm - 2 * m[n - 1] ** 2) / (1 - 2 * a[n - 1] ** 2)
        corrected = 1
    for i in range(corrected, n - corrected):
        a[i] = m[i] / mpmath.sqrt(eps)
    for k in range(corrected):
        a[k] = -a[n - 1 - k]
    return a


def reference_mp(x: list[float]) -> tuple[float, float]:
    with mpmath.workdps(MP_DPS):
        n = len(x)
        xs = sorted(mpmath.mpf(v) for v in x)
        mean = mpmath.fsum(xs) / n
        ss = mpmath.fsum((v - mean) ** 2 for v in xs)
        a = royston_coefficients(n)
        num = mpmath.fsum(ai * xi for ai, xi in zip(a, xs)) ** 2
        w = min(num / (ss * mpmath.fsum(ai * ai for ai in a)), mpmath.mpf(1))
        w1 = 1 - w
        if n == 3:
            p = 6 / mpmath.pi * (mpmath.asin(mpmath.sqrt(w)) - mpmath.asin(mpmath.sqrt(mpmath.mpf(3) / 4)))
            p = min(max(p, mpmath.mpf(0)), mpmath.mpf(1))
            return float(w), float(p)
        if w1 <= 0:
            return float(w), 1.0
        y = mpmath.log(w1)
        if n <= 11:
            gamma = mp_poly(SMALL_G, mpmath.mpf(n))
            if y >= gamma:
                return float(w), float(P_TOO_SMALL)
            y = -mpmath.log(gamma - y)
            mu = mp_poly(SMALL_MU, mpmath.mpf(n))
            sigma = mpmath.exp(mp_poly(SMALL_SIGMA, mpmath.mpf(n)))
        else:
            ln = mpmath.log(n)
            mu = mp_poly(LARGE_MU, ln)
            sigma = mpmath.exp(mp_poly(LARGE_SIGMA, ln))
        z = (y - mu) / sigma
        p = mpmath.erfc(z / mpmath.sqrt(2)) / 2
        return float(w), float(p)


# ---------------------------------------------------------------- plain float64 cross-check
def reference_float64(x: list[float]) -> tuple[float, float]:
    n = len(x)
    xs = sorted(x)
    mean = math.fsum(xs) / n
    xs = [v - mean for v in xs]  # sum(a) = 0, but (sum a_i x_i) on uncentered x would cancel
    ss = math.fsum(v * v for v in xs)
    if n == 3:
        a = [-math.sqrt(0.5), 0.0, math.sqrt(0.5)]
    else:
        nd = statistics.NormalDist()
        m = [nd.inv_cdf((i - 0.375) / (n + 0.25)) for i in range(1, n + 1)]
        mm = math.fsum(v * v for v in m)
        u = 1 / math.sqrt(n)
        a = [0.0] * n
        a[n - 1] = m[n - 1] / math.sqrt(mm) + sum(float(c) * u**k for k, c in enumerate(POLY_AN))
        k0 = 1
        if n > 5:
            a[n - 2] = m[n - 2] / math.sqrt(mm) + sum(float(c) * u**k for k, c in enumerate(POLY_AN1))
            k0 = 2
            eps = (mm - 2 * m[n - 1] ** 2 - 2 * m[n - 2] ** 2) / (1 - 2 * a[n - 1] ** 2 - 2 * a[n - 2] ** 2)
        else:
            eps = (mm - 2 * m[n - 1] ** 2) / (1 - 2 * a[n - 1] ** 2)
        for i in range(k0, n - k0):
            a[i] = m[i] / math.sqrt(eps)
        for k in range(k0):
            a[k] = -a[n - 1 - k]
    w = math.fsum(ai * xi for ai, xi in zip(a, xs)) ** 2 / (ss * math.fsum(ai * ai for ai in a))
    w1 = 1 - w
    if n == 3:
        # (6/pi)(asin(sqrt W) - pi/3) loses all accuracy near W = 1 (the slope is infinite) and
        # near W = 3/4 (cancellation). With the gaps g1 = x2 - x1, g2 = x3 - x2:
        # tan(asin(sqrt W)) = sqrt(3) (g1 + g2) / |g1 - g2|, and the angle-difference formula
        # gives asin(sqrt W) - pi/3 = atan(sqrt(3) min(g1, g2) / (2 max(g1, g2) + min(g1, g2))).
        lo, hi = sorted([xs[1] - xs[0], xs[2] - xs[1]])
        return w, 6 / math.pi * math.atan(math.sqrt(3) * lo / (2 * hi + lo))
    if w1 <= 0:
        return w, 1.0
    y = math.log(w1)
    if n <= 11:
        gamma = -2.273 + 0.459 * n
        if y >= gamma:
            return w, 1e-19
        y = -math.log(gamma - y)
        mu = sum(float(c) * n**k for k, c in enumerate(SMALL_MU))
        sigma = math.exp(sum(float(c) * n**k for k, c in enumerate(SMALL_SIGMA)))
    else:
        ln = math.log(n)
        mu = sum(float(c) * ln**k for k, c in enumerate(LARGE_MU))
        sigma = math.exp(sum(float(c) * ln**k for k, c in enumerate(LARGE_SIGMA)))
    return w, 0.5 * math.erfc((y - mu) / sigma / math.sqrt(2))


# ---------------------------------------------------------------- what scipy does (evidence only)
def swilk_float32_statistic(x: list[float]) -> float:
    """W as scipy 1.10 computes it: x - median, cast to float32, then swilk.f's steps in REAL
    arithmetic (AS 111 normal quantile, sequential sums scaled by the range).

    Not used by the tests: it shows that scipy's distance from the reference is its single
    precision (this emulation lands on scipy's W, see ``scipyFloat32EmulationMaxDeviation``).
    """
    f = np.float32
    n = len(x)
    xs = np.sort(np.asarray(x, dtype=float) - np.median(x)).astype(f)

    def ppnd_as111(p):
        q = p - f(0.5)
        if abs(q) <= f(0.42):
            r = q * q
            num = q * (((f(-25.44106049637) * r + f(41.39119773534)) * r + f(-18.61500062529)) * r + f(2.50662823884))
            den = (((f(3.13082909833) * r + f(-21.06224101826)) * r + f(23.08336743743)) * r + f(-8.47351093090)) * r + f(1)
            return num / den
        r = p if q <= 0 else f(1) - p
        r = f(math.sqrt(-float(f(math.log(r)))))
        v = (((f(2.32121276858) * r + f(4.85014127135)) * r + f(-2.29796479134)) * r + f(-2.78718931138)) / (
            (f(1.63706781897) * r + f(3.54388924762)) * r + f(1)
        )
        return -v if q < 0 else v

    def poly(c, u):  # AS 181.2 POLY, Horner from the top
        p = u * f(c[-1])
        for k in range(len(c) - 2, 0, -1):
            p = (p + f(c[k])) * u
        return f(c[0]) + p

    if n == 3:
        half = [f(0.70711)]
    else:
        an25 = f(n) + f(0.25)
        half = [ppnd_as111((f(i) - f(0.375)) / an25) for i in range(1, n // 2 + 1)]
        summ2 = f(0)
        for v in half:
            summ2 = summ2 + v * v
        summ2 = summ2 * f(2)
        ssumm2 = f(math.sqrt(summ2))
        rsn = f(1) / f(math.sqrt(f(n)))
        a1 = poly([float(c) for c in POLY_AN], rsn) - half[0] / ssumm2
        if n > 5:
            a2 = -half[1] / ssumm2 + poly([float(c) for c in POLY_AN1], rsn)
            fac = f(math.sqrt((summ2 - f(2) * half[0] ** 2 - f(2) * half[1] ** 2) / (f(1) - f(2) * a1**2 - f(2) * a2**2)))
            half = [a1, a2] + [-v / fac for v in half[2:]]
        else:
            fac = f(math.sqrt((summ2 - f(2) * half[0] ** 2) / (f(1) - f(2) * a1**2)))
            half = [a1] + [-v / fac for v in half[1:]]
    coef = [f(0)] * n
    for i, v in enumerate(half):
        coef[n - 1 - i] = v
        coef[i] = -v
    rng = xs[-1] - xs[0]
    sa = f(0)
    sx = f(0)
    for i in range(n):
        sa = sa + coef[i]
        sx = sx + xs[i] / rng
    sa = sa / f(n)
    sx = sx / f(n)
    ssa = ssx = sax = f(0)
    for i in range(n):
        asa = coef[i] - sa
        xsx = xs[i] / rng - sx
        ssa = ssa + asa * asa
        ssx = ssx + xsx * xsx
        sax = sax + asa * xsx
    ssassx = f(math.sqrt(ssa * ssx))
    return float(f(1) - (ssassx - sax) * (ssassx + sax) / (ssa * ssx))


# ---------------------------------------------------------------- fixture
def shapiro_fixtures() -> dict:
    cases = []
    worst = {"w": 0.0, "p": 0.0, "emulation": 0.0, "scipy": 0.0}

    def add(name: str, sample) -> None:
        x = sw_generate(sample) if isinstance(sample, dict) else sample
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.shapiro(np.asarray(x, dtype=float))
        w_ref, p_ref = reference_mp(x)
        w64, p64 = reference_float64(x)
        dw = abs(w64 - w_ref)
        dp = abs(p64 - p_ref) / p_ref if p_ref > 1e-300 else abs(p64 - p_ref)
        worst["w"] = max(worst["w"], dw)
        worst["p"] = max(worst["p"], dp)
        if dw > 1e-12 or dp > 1e-10:
            raise AssertionError(f"{name}: float64 transcription {w64} {p64} vs mpmath {w_ref} {p_ref}")
        worst["emulation"] = max(worst["emulation"], abs(swilk_float32_statistic(x) - float(res.statistic)))
        worst["scipy"] = max(worst["scipy"], abs(float(res.statistic) - w_ref))
        cases.append(
            {
                "name": name,
                "n": len(x),
                "sample": sample,
                "scipy": {"statistic": float(res.statistic), "pvalue": float(res.pvalue)},
                "reference": {"statistic": w_ref, "pvalue": p_ref},
            }
        )

    seed = 5000
    for n in NS:
        for shape in SHAPES:
            seed += 1
            add(f"xs32 {shape} n={n}", sw_spec(shape, n, seed))
    rng = np.random.default_rng(19950401)
    for n in [n for n in NS if n <= 100]:
        for shape in SHAPES:
            add(f"numpy {shape} n={n}", numpy_sample(rng, shape, n))
    # edges
    add("n=3 equally spaced (W = 1, p = 1)", [1.0, 2.0, 3.0])
    add("n=3 two tied (W = 3/4, p = 0)", [1.0, 1.0, 2.0])
    add("n=3 general", [3.0, 1.0, 2.5])
    add("n=4 one outlier (minimum W)", [0.0, 0.0, 0.0, 1.0])
    add("n=11 one outlier", [0.0] * 10 + [1.0])
    add("n=12 one outlier", [0.0] * 11 + [1.0])
    add("n=50 two values", [0.0] * 31 + [1.0] * 19)
    add("n=100 offset 1e6 (scale 1)", sw_spec("normal", 100, 777, 1e6, 1.0))
    add("n=1000 scale 1e-9", sw_spec("normal", 1000, 778, 0.0, 1e-9))
    add("n=2500 scale 1e12 lognormal", sw_spec("lognormal", 2500, 779, 5.0, 1e12))
    return {
        "meta": {
            **meta(),
            "generator": "packages/stats/fixtures-gen/shapiro.py",
            "mpmath": mpmath.__version__,
            "referenceDigits": MP_DPS,
        },
        "float64TranscriptionMaxDeviation": {"statistic": worst["w"], "pvalueRelative": worst["p"]},
        "scipyStatisticMaxDeviation": worst["scipy"],
        "scipyFloat32EmulationMaxDeviation": worst["emulation"],
        "cases": cases,
    }


def main() -> None:
    write("shapiro.json", shapiro_fixtures())


if __name__ == "__main__":
    main()
