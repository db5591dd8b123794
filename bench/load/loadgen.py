"""A bounded, self-stopping load generator on loopback: simulated annotators doing what the rating page does.

Each simulated annotator is one browser (its own cookie jar and one keep-alive connection). It arrives by the
study's crowd invite link (`/join/<invite>/?pid=...`: the consent page, then its form posted with consent,
which signs it in and lands on the rating page, where it reads the CSRF token like rate.js does), then until the clock runs out: POST `/api/work/<study>/next/` ("next
pair") and POST `/api/work/slots/<slot>/judgment/` ("submit") with a fresh idempotency key. Like rate.js, an
answer that was not acknowledged (connection lost, any 5xx) is kept and sent again with the same key until it
is; an answer counts as acknowledged only on a 200/201 that says `stored`. `--combined` answers with `?next=1`
and takes the next pair from the reply ("submit+next"), as the rating page does: one request per judgment.
`--think S` makes each annotator spend a log-normal time with median S seconds on each pair (a person reading
two edits), and `--stagger T` starts them at random over the first T seconds, so that they do not all ask at
once: an offered load of about users / S judgments per second. `--think 0` is a closed loop (saturation).

`--trivial` instead has the same number of keep-alive clients GET `/healthz/` (a view that returns "ok"):
the framework's ceiling on this machine, measured with the same client.

Library use: `run_annotators(...)` / `run_trivial(...)` return a dict of counts and latencies; the command line
prints it as JSON. Only 127.0.0.1 / localhost URLs are accepted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import resource
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANSWER = {"preference": "left", "accurate_left": True, "accurate_right": False, "comment": ""}
THINK_SIGMA = 0.5


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"join": [], "next": [], "submit": [],
                                                                        "submit+next": [], "trivial": []})
    status: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    acked: dict[str, str] = field(default_factory=dict)  # slot token -> idempotency key acknowledged
    timeline: list[tuple[float, str, int]] = field(default_factory=list)  # (perf_counter, kind, status; 0 = no reply)
    retries: int = 0
    started: float = 0.0
    ended: float = 0.0

    def count(self, kind: str, code: int | str) -> None:
        self.status.setdefault(kind, {})
        self.status[kind][str(code)] = self.status[kind].get(str(code), 0) + 1


def _check_loopback(url: str) -> None:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"Load only ever targets loopback; refusing {url}")


async def _request(session: aiohttp.ClientSession, stats: Stats, kind: str, method: str, url: str,
                   **kw) -> tuple[int, dict | str | None]:
    """One request, timed; returns (status, JSON body or text); status 0 for a connection error."""
    t0 = time.perf_counter()
    try:
        async with session.request(method, url, **kw) as resp:
            body = await resp.read()
            code = resp.status
    except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
        stats.timeline.append((time.perf_counter(), kind, 0))
        stats.count(kind, "connection_error")
        if len(stats.errors) < 50:
            stats.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
        return 0, None
    stats.latencies[kind].append(time.perf_counter() - t0)
    stats.timeline.append((time.perf_counter(), kind, code))
    stats.count(kind, code)
    try:
        data = json.loads(body) if body[:1] in (b"{", b"[") else body.decode("utf-8", "replace")
    except ValueError:
        data = body.decode("utf-8", "replace")
    if code >= 400 and len(stats.errors) < 50:
        stats.errors.append(f"{kind}: HTTP {code}: {str(data)[:200]}")
    return code, data


def think_time(rng: random.Random, median: float) -> float:
    """A human's time on one pair: log-normal around `median` seconds (sigma 0.5: half of all pairs take 0.7x to
    1.4x the median, 1 in 100 over 3.2x); 0 for a closed loop."""
    return median * math.exp(rng.gauss(0.0, THINK_SIGMA)) if median > 0 else 0.0


async def _annotator(i: int, base: str, invite: str, study: str, run_id: str, stats: Stats, start: asyncio.Event,
                     deadline: list[float], think: float, joined: list[int], gate: asyncio.Semaphore,
                     stagger: float = 0.0, combined: bool = False) -> None:
    rng = random.Random(f"{run_id}-{i}")
    connector = aiohttp.TCPConnector(limit=1, force_close=False)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=30)) as session:
        csrf = None
        async with gate:  # arrivals trickle in rather than all at the same millisecond
            for attempt in range(20):  # arrival: the invite link's consent page, agree, land on the rating page
                pid = f"{run_id}-{i}"
                code, page = await _request(session, stats, "join", "GET", f"{base}/join/{invite}/?pid={pid}")
                match = CSRF_RE.search(page) if isinstance(page, str) else None
                if code == 200 and match:
                    code, page = await _request(session, stats, "join", "POST", f"{base}/join/{invite}/",
                                                data={"csrfmiddlewaretoken": match.group(1), "pid": pid,
                                                      "consent": "1"})
                    match = CSRF_RE.search(page) if isinstance(page, str) else None
                    if code == 200 and match and 'id="rate-config"' in page:
                        csrf = match.group(1)
                        break
                await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))
        if csrf is None:
            stats.errors.append(f"annotator {i} could not join")
            return
        joined[0] += 1
        headers = {"X-CSRFToken": csrf, "Content-Type": "application/json", "Accept": "application/json"}
        await start.wait()
        if stagger:  # arrivals spread over the first `stagger` seconds, not all at the starting gun
            await asyncio.sleep(rng.uniform(0, stagger))
        submit_kind = "submit+next" if combined else "submit"
        pending: tuple[str, dict] | None = None  # an answer sent but not acknowledged yet
        given: str | None = None  # the next pair's slot, when the last acknowledgement brought it
        while time.perf_counter() < deadline[0]:
            if pending is None:
                if given is None:
                    code, data = await _request(session, stats, "next", "POST", f"{base}/api/work/{study}/next/",
                                                headers=headers)
                    if code != 200 or not isinstance(data, dict):
                        await asyncio.sleep(0.2)
                        continue
                    if data.get("finished"):
                        return
                    given = data["slot"]["slot"]
                seconds = think_time(rng, think)
                if seconds:
                    await asyncio.sleep(seconds)
                body = {**ANSWER, "idempotency_key": uuid.uuid4().hex, "seconds": round(seconds, 1)}
                pending, given = (given, body), None
            slot, body = pending
            url = f"{base}/api/work/slots/{slot}/judgment/" + ("?next=1" if combined else "")
            code, data = await _request(session, stats, submit_kind, "POST", url, headers=headers,
                                        data=json.dumps(body))
            if code in (200, 201) and isinstance(data, dict) and data.get("stored"):
                stats.acked[slot] = body["idempotency_key"]
                pending = None
                nxt = data.get("next")
                if isinstance(nxt, dict):
                    if nxt.get("finished"):
                        return
                    given = nxt["slot"]["slot"]
            elif code == 0 or code >= 500:  # not acknowledged: keep it and send it again, as rate.js does
                stats.retries += 1
                await asyncio.sleep(0.2)
            else:  # refused (4xx): the server said no; it is not stored and not retried
                pending = None
        if pending is not None:  # the clock ran out with an answer unacknowledged: finish it, like a browser
            slot, body = pending
            for _ in range(50):
                code, data = await _request(session, stats, submit_kind, "POST",
                                            f"{base}/api/work/slots/{slot}/judgment/",
                                            headers=headers, data=json.dumps(body))
                if code in (200, 201) and isinstance(data, dict) and data.get("stored"):
                    stats.acked[slot] = body["idempotency_key"]
                    break
                if 0 < code < 500:
                    break
                await asyncio.sleep(0.5)


def _summary(stats: Stats, window: float, **extra) -> dict:
    def pct(values: list[float], q: float) -> float | None:
        if not values:
            return None
        ordered = sorted(values)
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    lat = {k: {"n": len(v), "p50_ms": pct(v, 0.50), "p99_ms": pct(v, 0.99), "max_ms": pct(v, 1.0)}
           for k, v in stats.latencies.items() if v}
    errors = sum(n for kind in stats.status.values() for code, n in kind.items()
                 if code == "connection_error" or int(code) >= 400)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"window_s": round(window, 2), "latency": lat, "status": stats.status, "errors": errors,
            "error_samples": stats.errors[:10], "retries": stats.retries, "acknowledged": len(stats.acked),
            "judgments_per_s": round(len(stats.acked) / window, 1) if window else 0.0,
            "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2), **extra}


async def run_annotators(base: str, invite: str, study: str, users: int = 200, seconds: float = 60.0,
                         think: float = 0.0, run_id: str | None = None, join_concurrency: int = 20,
                         stats: Stats | None = None, on_start: asyncio.Event | None = None,
                         stagger: float = 0.0, combined: bool = False) -> tuple[dict, Stats]:
    """Join `users` annotators (not timed), then let them all work for `seconds` (`on_start` is set then).

    `think`: the median of each annotator's log-normal time per pair (think_time; 0: a closed loop, the next
    request as soon as the last answer came back). `stagger`: each annotator starts after a uniform random delay
    of up to that many seconds. `combined`: answer with `?next=1` and take the next pair from the reply, as the
    rating page does (one request per judgment); otherwise "next" and "submit" separately."""
    _check_loopback(base)
    stats, start, deadline, joined = stats or Stats(), asyncio.Event(), [float("inf")], [0]
    run_id = run_id or f"load{uuid.uuid4().hex[:6]}"
    gate = asyncio.Semaphore(join_concurrency)

    tasks = [asyncio.create_task(_annotator(i, base, invite, study, run_id, stats, start, deadline, think, joined,
                                            gate, stagger, combined)) for i in range(users)]
    t_join = time.perf_counter()
    while joined[0] + sum(1 for e in stats.errors if "could not join" in e) < users:
        await asyncio.sleep(0.1)
        if all(t.done() for t in tasks):
            break
    join_s = time.perf_counter() - t_join
    for kind in ("next", "submit", "submit+next"):
        stats.latencies[kind].clear()
        stats.status.pop(kind, None)
    stats.started = time.perf_counter()
    deadline[0] = stats.started + seconds
    start.set()
    if on_start is not None:
        on_start.set()
    await asyncio.gather(*tasks)
    stats.ended = time.perf_counter()
    return _summary(stats, stats.ended - stats.started, users=users, joined=joined[0], join_s=round(join_s, 1),
                    think_median_s=think, stagger_s=stagger, combined=combined), stats


async def load_until_fault(base: str, study: dict, users: int, seconds: float, fault_after: float
                           ) -> tuple[Stats, asyncio.Task]:
    """Start ``users`` annotators rating ``study`` (setup_study's dict) for ``seconds``; return, with their
    Stats and the running task (its result: run_annotators'), once they have rated for ``fault_after`` s."""
    stats, started = Stats(), asyncio.Event()
    load = asyncio.create_task(run_annotators(base, study["invite"], study["token"], users, seconds,
                                              stats=stats, on_start=started))
    await started.wait()
    await asyncio.sleep(fault_after)
    return stats, load


async def run_trivial(base: str, users: int = 200, seconds: float = 20.0) -> dict:
    """`users` keep-alive clients GET /healthz/ in a closed loop for `seconds`."""
    _check_loopback(base)
    stats = Stats()
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1),
                                         timeout=aiohttp.ClientTimeout(total=30)) as session:
            while time.perf_counter() < deadline:
                code, _ = await _request(session, stats, "trivial", "GET", f"{base}/healthz/")
                if code == 0:
                    await asyncio.sleep(0.1)

    stats.started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(users)))
    stats.ended = time.perf_counter()
    summary = _summary(stats, stats.ended - stats.started, users=users)
    summary["requests_per_s"] = round(len(stats.latencies["trivial"]) / summary["window_s"], 1)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.0, help="median seconds an annotator looks at a pair")
    parser.add_argument("--stagger", type=float, default=0.0, help="start the annotators over this many seconds")
    parser.add_argument("--combined", action="store_true", help="answer with ?next=1, as the rating page does")
    parser.add_argument("--invite", help="the study's invite token (bench/load/setup_study.py prints it)")
    parser.add_argument("--study", help="the study's public token")
    parser.add_argument("--trivial", action="store_true", help="GET /healthz/ instead: the ceiling")
    args = parser.parse_args()
    if args.trivial:
        print(json.dumps(asyncio.run(run_trivial(args.url, args.users, args.seconds)), indent=1))
    else:
        if not (args.invite and args.study):
            parser.error("--invite and --study are needed (or --trivial)")
        summary, _ = asyncio.run(run_annotators(args.url, args.invite, args.study, args.users, args.seconds,
                                                args.think, stagger=args.stagger, combined=args.combined))
        print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
