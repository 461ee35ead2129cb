"""The load generator: a separate process that drives the server over loopback.

Reads a job (JSON) from a file named on the command line, prints the result (JSON) on
stdout. Keep-alive HTTP/1.1 over asyncio (uvloop when present), one task per connection,
bounded in time (warm-up + measured window) and in count (a job's items may run out).

Two clients:
- "raw" (default): requests written by hand, responses parsed with httptools, the same
  parser uvicorn uses. About 25 us of CPU per request, so one core drives well over 10k
  requests/s and the generator is not what limits a cached strawberry `{ hello }`.
- "httpx": httpx.AsyncClient, for comparison (about 10x more CPU per request).

Each response is checked: non-2xx, a GraphQL `errors` list, and the mutation payload's
`error` object are counted separately, with their codes.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httptools
import pyotp

TOTP_PERIOD = 30


def totp_code(secret: str) -> str:
    """The current code of an authenticator app with this secret."""
    step = int(time.time() // TOTP_PERIOD)
    return str(pyotp.TOTP(secret, digits=6, interval=TOTP_PERIOD).generate_otp(step))


@dataclass
class Stats:
    """What one run saw, in the measured window only."""

    latencies: list[float] = field(default_factory=list)
    http_errors: Counter[str] = field(default_factory=Counter)
    graphql_errors: Counter[str] = field(default_factory=Counter)
    payload_errors: Counter[str] = field(default_factory=Counter)
    ok: int = 0
    warmup_requests: int = 0


class Items:
    """What each request sends: shared (each item used once, across connections) or per connection."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.items: list[dict[str, Any]] = job["items"]
        self.shared = job.get("mode", "cycle") == "once"
        self.next = 0

    def take(self, connection: int, turn: int) -> dict[str, Any] | None:
        if self.shared:
            if self.next >= len(self.items):
                return None
            item = self.items[self.next]
            self.next += 1
            return item
        # "cycle": connection i uses items i, i+n, i+2n ... in turn (per-connection state, e.g. login).
        return self.items[connection % len(self.items)]


def body_of(job: dict[str, Any], item: dict[str, Any]) -> bytes:
    variables = dict(item.get("vars") or {})
    if item.get("totp"):
        variables[item.get("code_var", "code")] = totp_code(item["totp"])
    return json.dumps({"query": job["query"], "variables": variables}, separators=(",", ":")).encode()


def classify(job: dict[str, Any], status: int, raw: bytes, stats: Stats) -> None:
    if not 200 <= status < 300:
        stats.http_errors[str(status)] += 1
        return
    try:
        body = json.loads(raw)
    except ValueError:
        stats.http_errors["bad-json"] += 1
        return
    if body.get("errors"):
        first = body["errors"][0]
        code = (first.get("extensions") or {}).get("code") or first.get("message", "?")[:60]
        stats.graphql_errors[str(code)] += 1
        return
    node: Any = body.get("data")
    for key in job.get("payload_path") or []:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and node.get("error"):
        stats.payload_errors[str(node["error"].get("code"))] += 1
        return
    stats.ok += 1


class RawConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.parser = httptools.HttpResponseParser(self)
        self.body: list[bytes] = []
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.lost = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_exception(error)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.body)))
        self.body = []

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(head + body)
        return await self.waiter


async def run_raw(job: dict[str, Any], items: Items, stats: Stats, deadlines: tuple[float, float]) -> None:
    host, port = job["host"], job["port"]
    loop = asyncio.get_running_loop()
    warm_until, stop_at = deadlines

    async def connection(index: int) -> None:
        # Connections a few ms apart: with several workers sharing the listening socket, a burst
        # of connects can all land in the worker that wakes first (and stay there: keep-alive).
        await asyncio.sleep(index * 0.003)
        _, conn = await loop.create_connection(RawConnection, host, port)
        turn = 0
        while time.perf_counter() < stop_at:
            item = items.take(index, turn)
            if item is None:
                break
            turn += 1
            body = body_of(job, item)
            head = (
                f"POST {job['path']} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n"
            )
            if item.get("token"):
                head += f"Authorization: Bearer {item['token']}\r\n"
            head_bytes = (head + "\r\n").encode()
            started = time.perf_counter()
            try:
                status, raw = await conn.request(head_bytes, body)
            except (ConnectionError, httptools.HttpParserError) as error:
                if warm_until <= time.perf_counter() <= stop_at:
                    stats.http_errors[type(error).__name__] += 1
                if conn.lost:
                    _, conn = await loop.create_connection(RawConnection, host, port)
                continue
            done = time.perf_counter()
            # A request counts when it completes inside the window, whenever it started:
            # counting by start time would lose one latency's worth of slow requests.
            if done < warm_until:
                stats.warmup_requests += 1
                continue
            if done > stop_at:
                break
            stats.latencies.append(done - started)
            classify(job, status, raw, stats)
        if conn.transport is not None:
            conn.transport.close()

    await asyncio.gather(*(connection(i) for i in range(job["connections"])))


async def run_httpx(job: dict[str, Any], items: Items, stats: Stats, deadlines: tuple[float, float]) -> None:
    import httpx

    warm_until, stop_at = deadlines
    limits = httpx.Limits(max_connections=job["connections"], max_keepalive_connections=job["connections"])
    url = f"http://{job['host']}:{job['port']}{job['path']}"
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def connection(index: int) -> None:
            turn = 0
            while time.perf_counter() < stop_at:
                item = items.take(index, turn)
                if item is None:
                    break
                turn += 1
                headers = {"Content-Type": "application/json"}
                if item.get("token"):
                    headers["Authorization"] = f"Bearer {item['token']}"
                body = body_of(job, item)
                started = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.HTTPError as error:
                    if warm_until <= time.perf_counter() <= stop_at:
                        stats.http_errors[type(error).__name__] += 1
                    continue
                done = time.perf_counter()
                if done < warm_until:
                    stats.warmup_requests += 1
                    continue
                if done > stop_at:
                    break
                stats.latencies.append(done - started)
                classify(job, response.status_code, response.content, stats)

        await asyncio.gather(*(connection(i) for i in range(job["connections"])))


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


async def main_async(job: dict[str, Any]) -> dict[str, Any]:
    items = Items(job)
    stats = Stats()
    begin = time.perf_counter()
    warm_until = begin + job["warmup"]
    stop_at = warm_until + job["duration"]
    cpu_before: list[float] = []
    window_start: list[float] = []

    async def mark_window() -> None:
        await asyncio.sleep(max(0.0, warm_until - time.perf_counter()))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before.append(usage.ru_utime + usage.ru_stime)
        window_start.append(time.perf_counter())

    marker = asyncio.create_task(mark_window())
    runner = run_httpx if job.get("client") == "httpx" else run_raw
    await runner(job, items, stats, (warm_until, stop_at))
    ended = time.perf_counter()
    if not marker.done():  # items ran out during the warm-up
        marker.cancel()
        cpu_before.append(0.0)
        window_start.append(ended)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = max(1e-9, min(ended, stop_at) - window_start[0])
    latencies = sorted(stats.latencies)
    completed = len(latencies)
    return {
        "requests": completed,
        "ok": stats.ok,
        "elapsed_s": round(elapsed, 3),
        "rps": completed / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else float("nan"),
        "http_errors": dict(stats.http_errors),
        "graphql_errors": dict(stats.graphql_errors),
        "payload_errors": dict(stats.payload_errors),
        "warmup_requests": stats.warmup_requests,
        "items_used": items.next if items.shared else None,
        "items_exhausted": bool(items.shared and items.next >= len(items.items)),
        "generator_cpu": (usage.ru_utime + usage.ru_stime - cpu_before[0]) / elapsed,
        "generator_cpu_total_s": usage.ru_utime + usage.ru_stime,
        "client": job.get("client", "raw"),
    }


def main() -> None:
    with open(sys.argv[1]) as handle:
        job = json.load(handle)
    if job.get("cpus"):
        os.sched_setaffinity(0, set(job["cpus"]))
    try:
        import uvloop

        result = uvloop.run(main_async(job))
    except ImportError:  # pragma: no cover
        result = asyncio.run(main_async(job))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
