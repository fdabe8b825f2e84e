"""Bootstrap 95% intervals (percentile method, fixed seed) and the verdict words built on them.

The ratio of an allocator's median to system malloc's is resampled by drawing each side's runs
with replacement, independently; the interval is the 2.5th-97.5th percentile of the resampled
ratios. A difference is "detectable" when the interval excludes 1. Fewer than MIN_N runs on
either side give no interval at all: two numbers cannot tell noise from a difference.
"""

import random
import statistics

RESAMPLES = 2000
SEED = 20
MIN_N = 3


def _percentiles(values, lo=0.025, hi=0.975):
    v = sorted(values)
    def at(q):
        pos = q * (len(v) - 1)
        i = int(pos)
        j = min(i + 1, len(v) - 1)
        return v[i] + (v[j] - v[i]) * (pos - i)
    return at(lo), at(hi)


def median_interval(values, resamples=RESAMPLES, seed=SEED):
    """[lo, hi] of the median, or None with fewer than MIN_N values."""
    vals = [v for v in values if v is not None]
    if len(vals) < MIN_N:
        return None
    rng = random.Random(seed)
    meds = [statistics.median(rng.choices(vals, k=len(vals))) for _ in range(resamples)]
    return list(_percentiles(meds))


def ratio_interval(values, base, resamples=RESAMPLES, seed=SEED):
    """[lo, hi] of median(values) / median(base), or None (too few runs, or a zero median)."""
    a = [v for v in values if v is not None]
    b = [v for v in base if v is not None]
    if len(a) < MIN_N or len(b) < MIN_N:
        return None
    rng = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        den = statistics.median(rng.choices(b, k=len(b)))
        if not den:
            return None
        ratios.append(statistics.median(rng.choices(a, k=len(a))) / den)
    return list(_percentiles(ratios))


def fmt_ratio(r):
    if abs(r - 1.0) < 0.005 and r != 1.0:
        return "%.3fx" % r  # an interval bound next to 1 must not read as 1.00
    return "%.2fx" % r if r < 10 else "%.1fx" % r


def judge(ratio, interval, n, n_base, direction):
    """(word, text) for one allocator against system on one metric.

    word: "better", "worse", "same" (no difference detectable) or "n/a"; direction +1 when higher
    is better. text, e.g. "0.62x [0.55-0.70] better" or "no difference detectable with n = 3
    (0.97x [0.90-1.05])"."""
    if ratio is None:
        return "n/a", "n/a"
    if interval is None:
        return "n/a", "%s (n = %s: no interval)" % (
            fmt_ratio(ratio), n if n == n_base else "%d vs %d" % (n, n_base))
    lo, hi = interval
    span = "%s [%s-%s]" % (fmt_ratio(ratio), fmt_ratio(lo)[:-1], fmt_ratio(hi)[:-1])
    if lo <= 1.0 <= hi:
        return "same", "no difference detectable with n = %s (%s)" % (
            n if n == n_base else "%d vs %d" % (n, n_base), span)
    higher = lo > 1.0
    word = "better" if higher == (direction > 0) else "worse"
    return word, "%s %s" % (span, word)
