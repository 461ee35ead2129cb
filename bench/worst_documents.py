"""Parse + check + validation time of the worst documents we know of, within the limits and over them.

    .venv/bin/python bench/worst_documents.py [--repeat N]

Then `twofactor serve` (development, SQLite, one worker) answers `{ __typename }` probes alone and
while two clients send all these documents in a loop; their latencies are printed.

Each document goes through what the server does with a text it has not seen (no cache):
the size check, graphql-core's parse with MAX_TOKENS, the shape caps (schema/limits.py) and,
when they pass, validation with the server's rules (introspection on, as in development,
which admits the most documents). Prints a table and writes bench/results/worst_documents.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
from graphql import GraphQLError, get_introspection_query, parse, specified_rules

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twofactor.schema import operation_checks
from twofactor.schema.limits import too_large, too_large_error
from twofactor.schema.operation_checks import OperationChecks, _checked
from twofactor.schema.root import MAX_TOKENS, build_schema
from twofactor.security.rules import (
    CACHED_DOCUMENT_MAX_CHARS,
    MAX_DOCUMENT_BYTES,
    MAX_NESTING,
    MAX_OPERATIONS,
    MAX_SAME_FIELD,
    MAX_SELECTIONS,
)

RESULTS = Path(__file__).resolve().parent / "results" / "worst_documents.json"
POLICY = "twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled }"


def repeated(times: int, text: str) -> str:
    return " ".join([text] * times)


def nested_repeats(levels: list[str], times: int) -> str:
    """`a { b { c } }` with each field repeated `times` times at its place."""
    inner = ""
    for name in reversed(levels):
        inner = repeated(times, f"{name} {{ {inner} }}" if inner else name)
    return "{ " + inner + " }"


def exponential(levels: int) -> str:
    spreads = "".join(f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }} " for i in range(1, levels + 1))
    return f"{{ ...F{levels} }} {spreads}fragment F0 on Query {{ {POLICY} }}"


def cyclic(size: int) -> str:
    fragments = "".join(
        f"fragment F{i} on Query {{ {' '.join(f'...F{j}' for j in range(size) if j != i)} }} " for i in range(size)
    )
    return "{ ...F0 } " + fragments


def chain(length: int) -> str:
    fragments = "".join(f"fragment F{i} on Query {{ ...F{i + 1} }} " for i in range(length))
    return f"{{ ...F0 }} {fragments}fragment F{length} on Query {{ __typename }}"


def within() -> dict[str, str]:
    """The largest documents of each shape the caps let through (each fills the cap it names)."""
    same = MAX_SAME_FIELD
    return {
        "introspection query (GraphiQL)": get_introspection_query(descriptions=True, input_value_deprecation=True),
        f"one field {same}x, 6 selections each": "{ "
        + repeated(same, "session { user { id email name isAdmin } nextStep expiresAt }")
        + " }",
        f"introspection, a field {same}x": "{ " + repeated(same, "__schema { types { fields { name } } }") + " }",
        f"a fragment spread {same}x": (
            f"{{ {repeated(same, '...F')} }} fragment F on Query {{ "
            "myTwoFactor { enabled authenticators { id name method } } session { user { id } } }"
        ),
        f"{same} distinct fragments, same fields": (
            "{ "
            + " ".join(f"...F{i}" for i in range(same))
            + " } "
            + "".join(
                f"fragment F{i} on Query {{ {POLICY} myTwoFactor {{ enabled mandatory authenticators {{ id }} }} "
                f"session {{ user {{ id email }} nextStep }} }} "
                for i in range(same)
            )
        ),
        f"inline fragments {MAX_NESTING - 2} deep": "{ "
        + "... on Query { " * (MAX_NESTING - 2)
        + "__typename"
        + " }" * (MAX_NESTING - 2)
        + " }",
        f"fragment chain {MAX_NESTING - 3} long": chain(MAX_NESTING - 3),
        "230 unused variables": "query(" + " ".join(f"$v{i}: Int" for i in range(230)) + ") { __typename }",
        "300 arguments": "{ admin { auditEvents(" + repeated(300, "first: 1") + ") { nextCursor } } }",
        "140 directives": "{ __typename " + repeated(140, "@skip(if: false)") + " }",
        "list of 950 values": "{ admin { auditEvents(userId: [" + repeated(950, "1") + "]) { nextCursor } } }",
        "15 KiB comment": "# " + "x" * (15 * 1024) + "\n{ __typename }",
        "15 KiB string": '{ admin { auditEvents(after: "' + "x" * (15 * 1024) + '") { nextCursor } } }',
        f"{MAX_OPERATIONS} operations": " ".join(f"query Q{i} {{ {POLICY} }}" for i in range(MAX_OPERATIONS)),
    }


def over() -> dict[str, str]:
    """Documents over a cap: refused before validation."""
    return {
        "issue #14: 499x twoFactorPolicy { mandatory }": "{ " + repeated(499, "twoFactorPolicy { mandatory }") + " }",
        f"one field {MAX_SAME_FIELD + 1}x": "{ " + repeated(MAX_SAME_FIELD + 1, POLICY) + " }",
        "fragments doubling 30 times": exponential(30),
        "10 fragments spreading each other": cyclic(10),
        "fragment chain 140 long": chain(140),
        f"{MAX_SELECTIONS + 1} selections": (
            "{ " + repeated(MAX_SELECTIONS // 4 + 1, "myTwoFactor { enabled mandatory setupRequired }") + " }"
        ),
        "95 operations": " ".join(f"query Q{i} {{ {POLICY} }}" for i in range(95)),
        "1 MB text": "{ __typename }" + " " * (1024 * 1024),
    }


def cache_memory(schema: Any, rules: tuple[Any, ...]) -> float:
    """MiB the parse and validation caches hold when filled with the largest cacheable documents we know."""
    operation_checks._parse.cache_clear()
    operation_checks._validate.cache_clear()
    tracemalloc.start()
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    options = (("max_tokens", MAX_TOKENS),)
    for i in range(operation_checks.CACHE_SIZE * 2):
        # About 490 tokens in 1 KiB, and an error message that prints the whole list.
        head, tail = f"{{admin{{auditEvents(userId:[{i}", "]){nextCursor}}}"
        text = head + " 1" * ((CACHED_DOCUMENT_MAX_CHARS - len(head) - len(tail)) // 2) + tail
        operation_checks.parse_document(text, max_tokens=MAX_TOKENS)
        operation_checks._validate(schema, text, options, rules)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert operation_checks._parse.cache_info().currsize == operation_checks.CACHE_SIZE
    return held / 2**20


def probe_under_flood(documents: list[str], probes: int) -> dict[str, Any]:
    """`twofactor serve` (one worker): `{ __typename }` latency alone, then while two clients send `documents`."""
    with tempfile.TemporaryDirectory() as folder:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
        env.update(TWOFACTOR_DATABASE_URL=f"sqlite://{folder}/bench.db", TWOFACTOR_DATA_DIR=folder)
        command = [str(Path(sys.executable).with_name("twofactor")), "serve", "--port", str(port)]
        server = subprocess.Popen(command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            with httpx.Client(timeout=60) as client:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        client.get(f"http://127.0.0.1:{port}/healthz")
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline or server.poll() is not None:
                            raise RuntimeError("twofactor serve did not start") from None
                        time.sleep(0.2)

                def probe_times() -> list[float]:
                    times = []
                    for _ in range(probes):
                        started = time.perf_counter()
                        answer = client.post(url, json={"query": "{ __typename }"}).json()
                        times.append((time.perf_counter() - started) * 1000)
                        assert answer == {"data": {"__typename": "Query"}}, answer
                        time.sleep(0.005)
                    return times

                alone = probe_times()
                stop = threading.Event()
                sent: list[float] = []

                def flood() -> None:
                    with httpx.Client(timeout=60) as own:
                        while not stop.is_set():
                            for text in documents:
                                started = time.perf_counter()
                                own.post(url, json={"query": text})
                                sent.append((time.perf_counter() - started) * 1000)

                floods = [threading.Thread(target=flood) for _ in range(2)]
                for thread in floods:
                    thread.start()
                time.sleep(0.5)
                try:
                    flooded = probe_times()
                finally:
                    stop.set()
                    for thread in floods:
                        thread.join()
        finally:
            server.terminate()
            server.wait(timeout=30)

    def summary(times: list[float]) -> dict[str, float]:
        ordered = sorted(times)
        return {
            "p50_ms": round(ordered[len(ordered) // 2], 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max_ms": round(ordered[-1], 2),
            "count": len(ordered),
        }

    return {"probe_alone": summary(alone), "probe_under_flood": summary(flooded), "flood_requests": summary(sent)}


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, str]:
    """(median ms, min ms, outcome) of `repeat` runs."""
    times = []
    outcome = ""
    for _ in range(repeat):
        started = time.perf_counter()
        outcome = str(run())
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--probes", type=int, default=200, help="probe requests alone, then under the flood")
    args = parser.parse_args()
    schema = build_schema(introspection=True)
    extension = cast(OperationChecks, schema.extensions[0]())
    rules = (*specified_rules, *extension.rules)

    def check(text: str) -> Callable[[], object]:
        def run() -> object:
            try:
                if too_large(text):  # what parse_document does, without its cache
                    raise too_large_error()
                document = parse(text, max_tokens=MAX_TOKENS)
            except GraphQLError as error:
                return f"refused at parse: {error.message[:60]}"
            errors = _checked(schema._schema, document, rules)
            if not errors:
                return "valid"
            return f"{len(errors)} errors: {errors[0].message[:60]}"

        return run

    rows: list[dict[str, Any]] = []
    for group, documents in (("within the limits", within()), ("over a limit", over())):
        for name, text in documents.items():
            median, least, outcome = timed(check(text), args.repeat)
            rows.append(
                {
                    "group": group,
                    "document": name,
                    "bytes": len(text.encode()),
                    "median_ms": round(median, 3),
                    "min_ms": round(least, 3),
                    "outcome": outcome,
                }
            )
    width = max(len(r["document"]) for r in rows)
    # A legitimate document measured in the same run: figures on a shared machine drift, ratios less.
    baseline = rows[0]["min_ms"]
    for row in rows:
        print(
            f"{row['group']:18} {row['document']:{width}} {row['bytes']:8} B {row['median_ms']:8.2f} ms "
            f"(min {row['min_ms']:7.2f}, {row['min_ms'] / baseline:5.1f}x introspection)  {row['outcome']}"
        )
    slowest = max(r["min_ms"] for r in rows)
    print(
        f"slowest document: {slowest:.1f} ms (min of {args.repeat}), target under 100 ms: "
        f"{'met' if slowest < 100 else 'missed'}"
    )
    probe = probe_under_flood([*within().values(), *over().values()], args.probes)
    for name, figures in probe.items():
        print(
            f"{name:18} p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms  "
            f"max {figures['max_ms']:7.2f} ms  ({figures['count']} requests)"
        )
    cached = cache_memory(schema._schema, rules)
    print(
        f"caches full of the largest cacheable documents ({operation_checks.CACHE_SIZE} entries each): {cached:.1f} MiB"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": platform.platform(),
                "python": platform.python_version(),
                "repeat": args.repeat,
                "limits": {
                    "max_document_bytes": MAX_DOCUMENT_BYTES,
                    "max_tokens": MAX_TOKENS,
                    "max_selections": MAX_SELECTIONS,
                    "max_same_field": MAX_SAME_FIELD,
                    "max_nesting": MAX_NESTING,
                    "max_operations": MAX_OPERATIONS,
                },
                "baseline": "introspection query (GraphiQL), min_ms",
                "documents": rows,
                "cache_full_mib": round(cached, 1),
                "slowest_min_ms": round(slowest, 3),
                "probe": probe,
            },
            indent=2,
        )
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
