"""The machine a comparison ran on (goes into summary.md and summary.json)."""

import os
import platform


def describe():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "unknown memory"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            memory = "%.1f GiB RAM" % (kb / 1048576.0)
    except (OSError, ValueError, IndexError):
        pass
    # Other work on the machine skews every figure; the load average at the end says how much.
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": cpu, "memory": memory,
            "kernel": platform.release(), "loadavg_1m": round(os.getloadavg()[0], 2)}
