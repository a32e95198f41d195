#!/usr/bin/env python3
"""Merge `rein bench maskbench --timings` files from shards of MaskBench.

Usage: maskbench_merge.py OUT.json TIMINGS.jsonl...

Writes {"rein": {...}, "llguidance": {...}} with the same keys and the same
percentile rule as `rein bench maskbench --json` (nearest rank over the
sorted values, index round((n - 1) * q)), and prints both columns with
their ratios.
"""
import json
import sys

VERDICTS = ["passing", "compile_error", "validation_error", "invalidation_error", "timeout"]


def stats(values):
    if not values:
        return [0.0] * 5
    values = sorted(values)
    at = lambda q: values[round((len(values) - 1) * q)]
    return [sum(values) / len(values), at(0.5), at(0.9), at(0.99), values[-1]]


def summarize(lines):
    out = {"schemas": len(lines), **{v: 0 for v in VERDICTS}, "tokens": 0}
    tbm, ttfm = [], []
    for line in lines:
        out[line["verdict"]] += 1
        out["tokens"] += line["tokens"]
        tbm.extend(line["tbm_us"])
        if line["ttfm_us"] is not None:
            ttfm.append(line["ttfm_us"])
    for name, values in (("tbm", tbm), ("ttfm", ttfm)):
        for key, value in zip(("avg", "p50", "p90", "p99", "max"), stats(values)):
            out[f"{name}_{key}_us"] = value
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    by_engine = {}
    for path in sys.argv[2:]:
        with open(path) as f:
            for text in f:
                line = json.loads(text)
                by_engine.setdefault(line["engine"], []).append(line)
    result = {engine: summarize(lines) for engine, lines in by_engine.items()}
    with open(sys.argv[1], "w") as f:
        json.dump(result, f, indent=2)
    engines = list(result)
    print(f"{'':<20}" + "".join(f"{e:>14}" for e in engines) + ("        ratio" if len(engines) == 2 else ""))
    for key in result[engines[0]]:
        values = [result[e][key] for e in engines]
        ratio = f"{values[0] / values[1]:>13.2f}" if len(values) == 2 and values[1] else ""
        print(f"{key:<20}" + "".join(f"{v:>14.1f}" for v in values) + ratio)


if __name__ == "__main__":
    main()
