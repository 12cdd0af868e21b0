#!/usr/bin/env python3
"""Turns scripts/compare-peers' JSON lines into the Markdown tables of docs/performance.md.

Per workload: each framework's median step (ms), Kiln's time as a ratio of it (< 1 = Kiln faster), effective
GFLOP/s (the workload's analytic direct-convolution FLOPs / median), and peak RSS. The sgemm line gives the
machine's BLAS rate in the same session."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1] if len(sys.argv) > 1 else "bench-results.jsonl") if line.strip()]
sgemm = next((r["max_gflops"] for r in rows if r.get("framework") == "sgemm"), None)
if sgemm:
    print(f"cblas_sgemm, 2 threads, best shape in this session: {sgemm:.0f} GFLOP/s\n")

def rss_mib(result):
    if "peak_rss_bytes" in result:
        return result["peak_rss_bytes"] / 2**20
    for key in ("peak_rss_mib", "rss_mib", "peak_rss"):
        if key in result:
            return float(result[key])
    return None

def gflops(result):
    return result.get("gflops") or result.get("gflops_per_s_median")

workloads = []
for r in rows:
    key = (r.get("workload"), r.get("batch"), r.get("size"))
    if r.get("framework") != "sgemm" and key not in workloads:
        workloads.append(key)

for workload, batch, size in workloads:
    group = [r for r in rows if (r.get("workload"), r.get("batch"), r.get("size")) == (workload, batch, size)]
    kiln = next((r for r in group if r["framework"] == "kiln" and not r["variant"]), None)
    peers = [r for r in group if r["framework"] != "kiln"]
    fastest = min(peers, key=lambda r: r["result"]["median_ms"]) if peers else None
    print(f"### {workload}, batch {batch}, {size}×{size}\n")
    print("| framework | median ms | min–max ms | GFLOP/s | Kiln ÷ it | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for r in group:
        res = r["result"]
        name = r["framework"] + (f" ({r['variant']})" if r["variant"] else "")
        if fastest is r:
            name = f"**{name}**"
        ratio = f"{kiln['result']['median_ms'] / res['median_ms']:.2f}" if kiln else "–"
        g = gflops(res)
        rss = rss_mib(res)
        print(f"| {name} | {res['median_ms']:.0f} | {res['min_ms']:.0f}–{res['max_ms']:.0f} | "
              f"{g:.0f} | {ratio} | {rss:.0f} |" if g is not None and rss is not None else
              f"| {name} | {res['median_ms']:.0f} | {res['min_ms']:.0f}–{res['max_ms']:.0f} | "
              f"{g if g is not None else '–'} | {ratio} | {rss if rss is not None else '–'} |")
    if kiln and sgemm and gflops(kiln["result"]):
        print(f"\nKiln reaches {gflops(kiln['result']) / sgemm * 100:.0f} % of the session's sgemm rate.")
    print()
