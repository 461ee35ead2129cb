"""bench/run --against REV: this build and REV's, measured in the same run, interleaved.

REV is exported with `git archive` into a scratch folder and installed in a scratch venv
(`pip install -e <src> -c <src>/constraints.txt`, or this tree's constraints.txt when REV has
none), both kept under TWOFACTOR_BENCH_CACHE (default ~/.cache/twofactor-bench) for the next
run. Each build gets its own fresh database, migrated and filled by its own code (bench/flows.py
run with the build's interpreter), and its own `twofactor serve`. Both servers are up for the
whole block, idle in turn: each flow is driven old, new, new, old ... (the first of each pair
alternates between rounds and flows), so a drift of the machine's load falls on both builds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flows as flowdefs
import runner

# The hot paths (new/old >= 0.90) and rare paths (>= 0.05 of H, whatever the database).
HOT = ["session", "myTwoFactor", "verifyLogin", "login", "sendLoginCode"]
RARE = list(runner.RARE_FLOWS)
HOT_RATIO = 0.90
RARE_SHARE_OF_H = runner.RARE_SHARE_OF_H
CACHE = Path(os.environ.get("TWOFACTOR_BENCH_CACHE", Path.home() / ".cache" / "twofactor-bench"))


@dataclass(frozen=True)
class Build:
    """One installed build: its interpreter and `twofactor` command."""

    label: str
    rev: str
    python: str
    twofactor: str


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(runner.ROOT), *args], capture_output=True, text=True, check=True).stdout


def install(rev: str) -> Build:
    """REV's source and venv under the cache, made once."""
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}").strip()
    home = CACHE / sha[:12]
    src, venv = home / "src", home / "venv"
    done = home / "installed"
    if not done.exists():
        shutil.rmtree(home, ignore_errors=True)
        src.mkdir(parents=True)
        runner.log(f"--against {rev}: git archive {sha[:12]} -> {src}")
        archive = subprocess.run(["git", "-C", str(runner.ROOT), "archive", sha], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
        constraints = src / "constraints.txt"
        if not constraints.exists():
            constraints = runner.ROOT / "constraints.txt"
        runner.log(f"--against {rev}: scratch venv {venv}, pip install -e {src} -c {constraints}")
        subprocess.run([runner.PYTHON, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-e", str(src), "-c", str(constraints)], check=True)
        done.write_text(f"{sha}\n{constraints}\n")
    return Build("old", sha[:12], str(venv / "bin" / "python"), str(venv / "bin" / "twofactor"))


def this_build() -> Build:
    sha = git("rev-parse", "--short=12", "HEAD").strip()
    dirty = "+changes" if git("status", "--porcelain", "--untracked-files=no").strip() else ""
    return Build("new", sha + dirty, runner.PYTHON, runner.TWOFACTOR)


def seed(build: Build, url: str, key: str, pool: dict[str, int], workdir: Path) -> dict[str, list[dict[str, Any]]]:
    """bench/flows.py with the build's own interpreter: its migrations, its models."""
    out = workdir / f"items-{build.label}.json"
    command = [build.python, str(runner.BENCH / "flows.py"), url, key, json.dumps(pool), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=workdir)
    if done.returncode != 0:
        raise RuntimeError(f"seeding the {build.label} build failed:\n{done.stderr[-3000:]}")
    items: dict[str, list[dict[str, Any]]] = json.loads(out.read_text())
    return items


def run_block(
    kind: str,
    builds: list[Build],
    flows: list[str],
    rounds: int,
    plan: runner.Plan,
    pool: dict[str, int],
    sink: runner.Sink,
    cpus: dict[str, Any],
    workdir: Path,
) -> dict[str, Any]:
    """Both builds on `kind`, every flow interleaved; H before and after."""
    block: dict[str, Any] = {"flows": {}, "hello": []}
    with contextlib.ExitStack() as stack:
        servers: dict[str, runner.Server] = {}
        items: dict[str, dict[str, list[dict[str, Any]]]] = {}
        urls: dict[str, str] = {}
        for build in builds:
            url = stack.enter_context(runner.fresh_database(kind, workdir))
            key = flowdefs.secret_key()
            runner.log(f"{kind} {build.label} ({build.rev}): migrating and seeding with its own code")
            started = time.perf_counter()
            items[build.label] = seed(build, url, key, pool, workdir)
            block[f"seed_s_{build.label}"] = round(time.perf_counter() - started, 1)
            server = runner.twofactor_server(url, key, sink.port, 1, cpus["server"], workdir)
            server.command[0] = build.twofactor
            server.start()
            stack.callback(server.stop)
            servers[build.label], urls[build.label] = server, url
        gen = cpus["gen"]
        block["hello"].append(runner.run_hello(1, plan, cpus, workdir, latency=False)["c32"])
        for index, name in enumerate(flows):
            flow = flowdefs.FLOWS[name]
            entry: dict[str, Any] = {"runs": {b.label: [] for b in builds}}
            if name == "login":
                entry["argon2_before"] = runner.argon2_rate(1.5)
                for server in servers.values():
                    assert server.process is not None
                    runner.set_affinity_all_threads(server.process.pid, set(cpus["all"]))
            for turn in range(rounds):
                order = builds if (turn + index) % 2 == 0 else builds[::-1]
                for build in order:
                    runner.log(f"{kind} {name} round {turn + 1}/{rounds}: {build.label}")
                    pending = items[build.label][name]
                    got = runner.drive(servers[build.label], flow, pending, plan.connections, plan.warmup,
                                       plan.duration, gen, plan.client, workdir)  # fmt: skip
                    if flow.mode == "once":
                        items[build.label][name] = pending[(got["items_used"] or 0) :]
                    if flow.mails:
                        got["mail"] = runner.wait_for_mail(urls[build.label], sink, 120, servers[build.label], got)
                    got["order"] = [b.label for b in order]
                    entry["runs"][build.label].append(got)
            if name == "login":
                entry["argon2_after"] = runner.argon2_rate(1.5)
            block["flows"][name] = entry
        block["hello"].append(runner.run_hello(1, plan, cpus, workdir, latency=False)["c32"])
        block["errors_in_log"] = {label: server.errors_in_log() for label, server in servers.items()}
    return block


def summarize(kind: str, block: dict[str, Any]) -> list[dict[str, Any]]:
    """Per flow: median req/s of each build, new/old, share of H, and the verdict."""
    hello = statistics.median(h["rps"] for h in block["hello"])
    hello_cpu = statistics.median(h["server_cpu_us_per_req"] for h in block["hello"])
    rows = []
    for name, entry in block["flows"].items():
        runs = entry["runs"]
        old = statistics.median(r["rps"] for r in runs["old"])
        new = statistics.median(r["rps"] for r in runs["new"])
        row: dict[str, Any] = {
            "backend": kind,
            "flow": name,
            "old_rps": old,
            "new_rps": new,
            "old_rounds": [round(r["rps"]) for r in runs["old"]],
            "new_rounds": [round(r["rps"]) for r in runs["new"]],
            "ratio": new / old if old else None,
            "share_of_h": new / hello if hello else None,
            "errors": {label: sum(r["errors"] for r in found) for label, found in runs.items()},
            "exhausted": any(r.get("items_exhausted") for found in runs.values() for r in found),
            "foreign_cpu_cores": max(r.get("foreign_cpu_cores", 0) for found in runs.values() for r in found),
        }
        flow = flowdefs.FLOWS[name]
        if flow.mails:
            # Much of a mailing flow's mail goes out after the run: compare CPU per request with it.
            with_mail = {
                label: statistics.median(r.get("server_cpu_us_per_req_with_mail") or 0 for r in found)
                for label, found in runs.items()
            }
            row["cpu_us_with_mail"] = with_mail
            if with_mail["new"]:
                row["share_of_h_with_mail"] = hello_cpu / with_mail["new"]
                row["ratio_by_cpu_with_mail"] = with_mail["old"] / with_mail["new"] if with_mail["old"] else None
        verdicts = []
        if name in HOT:
            verdicts.append(("new/old >= 0.90", row["ratio"], HOT_RATIO))
        if name in RARE:
            share = row.get("share_of_h_with_mail", row["share_of_h"]) if name == "submitCode" else row["share_of_h"]
            verdicts.append(("new >= 0.05 of H" + (" (CPU with mail)" if name == "submitCode" else ""), share,
                             RARE_SHARE_OF_H))  # fmt: skip
        if name == "myTwoFactor":
            verdicts.append(("new >= 0.35 of H", row["share_of_h"], 0.35))
        if name == "login":
            argon2 = (entry["argon2_before"]["verify_per_s"] + entry["argon2_after"]["verify_per_s"]) / 2
            row["argon2_per_s"] = argon2
            verdicts.append(("new >= 0.70 of raw argon2id", new / argon2, 0.70))
        errors = sum(row["errors"].values())
        row["verdicts"] = [
            {
                "target": target,
                "value": value,
                "status": "not measured" if value is None else ("met" if value >= limit else "missed"),
            }
            for target, value, limit in verdicts
        ]
        if errors:
            row["verdicts"].append({"target": "no errors", "value": errors, "status": "missed"})
        rows.append(row)
    return rows


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"# bench/run --against {results['against']['asked']}",
        "",
        f"Run {results['date']}: new = {results['new']['rev']} (this tree), old = {results['old']['rev']} "
        f"(`{results['against']['asked']}`), {results['settings']['rounds']} rounds per flow of "
        f"{results['settings']['duration_s']:.0f} s after {results['settings']['warmup_s']:.0f} s of warm-up, "
        f"32 connections, 1 worker, interleaved; {results['elapsed_s']:.0f} s in all. Machine: {m['nproc']} CPUs "
        f"({m['cpu_model']}), Python {m['python']}. req/s are medians over the rounds.",
        "",
    ]
    for kind, block in results["blocks"].items():
        hello = [round(h["rps"]) for h in block["hello"]]
        lines += [
            f"## {kind}",
            "",
            f"H `{{ hello }}` before / after the block: {hello[0]} / {hello[-1]} req/s.",
            "",
            "| flow | old req/s | new req/s | new/old | new, share of H | rounds old / new | other load | verdicts |",
            "|---|---:|---:|---:|---:|---|---:|---|",
        ]
        for row in results["summary"][kind]:
            verdicts = "; ".join(f"{v['target']}: {_fmt(v['value'])} **{v['status']}**" for v in row["verdicts"]) or "-"
            share = f"{row['share_of_h']:.2f}"
            if "share_of_h_with_mail" in row:
                share += f" ({row['share_of_h_with_mail']:.2f} by CPU with mail)"
            flow = row["flow"] + (" (ran out of prepared items)" if row["exhausted"] else "")
            lines.append(
                f"| {flow} | {row['old_rps']:.0f} | {row['new_rps']:.0f} | {_fmt(row['ratio'])} | {share} | "
                f"{row['old_rounds']} / {row['new_rounds']} | {row['foreign_cpu_cores']} | {verdicts} |"
            )
        lines.append("")
    lines += [
        "Hot paths (new/old >= 0.90): "
        + ", ".join(HOT)
        + ". Rare paths (new >= 0.05 of H): "
        + ", ".join(RARE)
        + "; submitCode by server CPU per request with its mail, against H's.",
        "Both builds get the same GraphQL documents (bench/flows.py): the API only gained fields and optional "
        "arguments since, and the documents select what both have. Other load: the most cores other processes "
        "of the machine used during one of the flow's runs; above ~0.2 the figures are noisy.",
    ]
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else str(value)


def run(args: argparse.Namespace, plan: runner.Plan) -> int:
    """The whole --against run; writes bench/results/against-<rev>-<time>.{json,md}."""
    quick = args.quick
    backends = (args.backends or ("sqlite" if quick else "sqlite,postgres")).split(",")
    rounds = args.rounds or (2 if quick else 3)
    # login last: it leaves the servers unpinned (argon2 uses every core, as the raw rate does).
    known = [name for name in HOT + RARE if name != "login"] + ["login"]
    flows = [name for name in args.flows.split(",") if name] if args.flows_given else known
    flows = [name for name in flows if name in flowdefs.FLOWS]
    # Single-use items: enough for ~2,000 requests/s in every round (verifyLogin on PostgreSQL
    # passed 1,200/s, and a round that runs out measures nothing).
    pool = {name: int(rounds * (plan.warmup + plan.duration) * 2000) for name in flowdefs.FLOWS}
    old, new = install(args.against), this_build()
    cpus = runner.cpu_sets(args)
    pinned = cpus["server"] is not None
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "against": {"asked": args.against},
        "old": old.__dict__,
        "new": new.__dict__,
        "machine": runner.machine(),
        "settings": {
            "rounds": rounds,
            "warmup_s": plan.warmup,
            "duration_s": plan.duration,
            "pinned": pinned,
            "backends": backends,
            "flows": flows,
        },
        "blocks": {},
        "summary": {},
    }
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="twofactor-bench-against-") as tmp, runner.Sink() as sink:
        workdir = Path(tmp)
        if pinned:
            os.sched_setaffinity(0, cpus["gen"])
        for kind in backends:
            block = run_block(kind, [old, new], flows, rounds, plan, pool, sink, cpus, workdir)
            results["blocks"][kind] = block
            results["summary"][kind] = summarize(kind, block)
    results["elapsed_s"] = round(time.perf_counter() - begun, 1)
    text = markdown(results)
    print(text)
    out = runner.BENCH / "results"
    out.mkdir(exist_ok=True)
    stem = f"against-{old.rev}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str))
    (out / f"{stem}.md").write_text(text)
    runner.log(f"results: {out / stem}.md and .json ({results['elapsed_s']} s)")
    return 0
