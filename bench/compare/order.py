"""The order of interleaved runs: each repetition starts one configuration later.

A B C, B C A, C A B, ...: with a fixed order A B C A B C the first configuration of every
repetition always ran right after the last one of the previous repetition, and on larson at 4
threads (hakmem-bench, which orders its runs the same way) that alone put one route 4-9% ahead.
"""


def rotated(configs, rep):
    """configs' (name, spec) pairs for repetition `rep` (counted from 1), starting rep - 1 on."""
    items = list(configs.items())
    k = (rep - 1) % len(items) if items else 0
    return items[k:] + items[:k]
