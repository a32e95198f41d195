"""Benchmark of `rein serve` (not a test): throughput at several
concurrencies, compile latency on cache miss and hit, and how long a slow
compile delays a concurrent simple request.

    .cache/venv-server/bin/python engine/server/clients/bench_server.py

Prints one table; `--json FILE` also writes the figures.
"""

import argparse
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from server import Server

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 20}, "year": {"type": "integer"}},
    "required": ["city", "year"],
    "additionalProperties": False,
}
PROMPTS = [f"Tell me about city number {index}." for index in range(64)]


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q))] if ordered else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()
    server = Server("--compile-timeout", "30")
    model = server.raw("GET", "/v1/models")[1]["data"][0]["id"]

    def chat(content, extra, max_tokens=args.max_tokens):
        body = {"model": model, "messages": [{"role": "user", "content": content}], "temperature": 0, "max_tokens": max_tokens}
        body.update(extra)
        start = time.perf_counter()
        status, answer = server.raw("POST", "/v1/chat/completions", body)
        return status, answer, time.perf_counter() - start

    figures = {"throughput": [], "compile": {}, "hostile": {}}
    print(f"{'kind':<12}{'conc':>5}{'req/s':>9}{'tok/s':>9}{'p50 s':>8}{'p99 s':>8}{'max s':>8}")
    for kind, extra in [("free", {}), ("json_schema", {"response_format": {"type": "json_schema", "json_schema": {"name": "c", "schema": SCHEMA}}})]:
        for level in [int(level) for level in args.levels.split(",")]:
            count = max(level, 4)
            start = time.perf_counter()
            with ThreadPoolExecutor(level) as pool:
                results = list(pool.map(lambda i: chat(PROMPTS[i % len(PROMPTS)], extra), range(count)))
            wall = time.perf_counter() - start
            assert all(status == 200 for status, _, _ in results), [r[1] for r in results if r[0] != 200][:1]
            tokens = sum(answer["usage"]["completion_tokens"] for _, answer, _ in results)
            latencies = [elapsed for _, _, elapsed in results]
            row = {"kind": kind, "concurrency": level, "requests": count, "requests_per_s": count / wall, "tokens_per_s": tokens / wall,
                   "p50_s": quantile(latencies, 0.5), "p99_s": quantile(latencies, 0.99), "max_s": max(latencies)}
            figures["throughput"].append(row)
            print(f"{kind:<12}{level:>5}{row['requests_per_s']:>9.2f}{row['tokens_per_s']:>9.1f}{row['p50_s']:>8.2f}{row['p99_s']:>8.2f}{row['max_s']:>8.2f}", flush=True)

    # Compile latency: distinct schemas (misses), then the same again (hits),
    # measured as the time to a 400 from a budget too small to run, so no
    # generation is timed.
    misses, hits = [], []
    for phase, into in [("miss", misses), ("hit", hits)]:
        for index in range(20):
            schema = {"type": "object", "properties": {f"field_{index}_{k}": {"type": "string"} for k in range(8)}, "required": [f"field_{index}_0"]}
            status, answer, elapsed = chat("x", {"response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": schema}}}, max_tokens=1)
            assert status == 400 and "too small" in answer["error"]["message"], answer
            into.append(elapsed)
    figures["compile"] = {"miss_p50_ms": quantile(misses, 0.5) * 1e3, "miss_p99_ms": quantile(misses, 0.99) * 1e3,
                          "hit_p50_ms": quantile(hits, 0.5) * 1e3, "hit_p99_ms": quantile(hits, 0.99) * 1e3}
    print("compile (request to 400, ms): miss p50 {miss_p50_ms:.1f} p99 {miss_p99_ms:.1f}; hit p50 {hit_p50_ms:.1f} p99 {hit_p99_ms:.1f}".format(**figures["compile"]))

    # Slow compiles beside a simple request: four distinct schemas whose
    # allOf of anyOf pairs multiplies into 2,048 alternatives (about 1.3 s
    # of compile each here), sent at once, while a cached simple request
    # runs again and again. `minProperties` makes their shortest output
    # longer than the 1-token budget, so each ends in a 400 after its
    # compile and budget plan: what is measured is the compile, not a
    # generation.
    def hostile(variant):
        parts = [{"anyOf": [{"properties": {f"v{variant}a{i}": {"type": "string", "pattern": f"^x{i}"}}},
                            {"properties": {f"v{variant}a{i}": {"type": "integer"}}, "required": [f"v{variant}b{i}"]}]} for i in range(11)]
        return {"response_format": {"type": "json_schema", "json_schema": {"name": "h", "schema": {"type": "object", "minProperties": 2, "allOf": parts}}}}

    simple = {"guided_choice": ["yes", "no"]}
    alone = [chat("Is the sky blue?", simple)[2] for _ in range(5)]
    hostile_times = []
    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(chat, "x", hostile(variant), 1) for variant in range(4)]
        beside = []
        while not all(future.done() for future in futures) and len(beside) < 50:
            beside.append(chat("Is the sky blue?", simple)[2])
        hostile_times = [future.result()[2] for future in futures]
        statuses = sorted({future.result()[0] for future in futures})
    figures["hostile"] = {"hostile_compiles": 4, "hostile_statuses": statuses, "hostile_wall_s": time.perf_counter() - start,
                          "hostile_max_s": max(hostile_times),
                          "simple_alone_p50_s": statistics.median(alone), "simple_alone_max_s": max(alone),
                          "simple_beside_p50_s": statistics.median(beside), "simple_beside_max_s": max(beside),
                          "simple_beside_requests": len(beside)}
    print("hostile compiles: 4 at once, slowest answered in {hostile_max_s:.2f} s (statuses {hostile_statuses}); "
          "simple request alone p50 {simple_alone_p50_s:.3f} s max {simple_alone_max_s:.3f} s, "
          "beside them p50 {simple_beside_p50_s:.3f} s max {simple_beside_max_s:.3f} s over {simple_beside_requests} requests".format(**figures["hostile"]))
    server.stop()
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
