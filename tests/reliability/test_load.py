#!/usr/bin/python3
"""Load: the server refuses what it cannot take, cheaply and truthfully, and
keeps serving everyone else. Each class starts its own server; the server's
resident memory (VmRSS) is sampled throughout and must stay under
RSS_BOUND_MIB (300 by default): the figures are printed (and not checked
under AddressSanitizer, whose quarantine keeps freed memory).

  Overload         --max-queue 50, 12 clients posting 42-line batches at once:
                   some answers are 503 unavailable with Retry-After; clients
                   honouring it get every envelope either appended or refused
                   by a rule (none lost, none twice), and the log verifies.
  RateLimit        --rate 2 --burst 10: a burst passes, the next request is 429
                   rate_limited with Retry-After and appends nothing; waiting
                   Retry-After is enough; another address is not limited;
                   requests paced under the rate all pass; a batch larger than
                   the burst is not refused forever.
  SlowClients      --head-timeout 2 --timeout 2 --threads 2: 60 connections
                   idle, stalled in the headers or in the body do not hold the
                   workers (a normal request is answered within seconds) and
                   are closed by the server after the timeouts.
  HugeBodies       100 MiB NDJSON with Content-Length and chunked (and 100 MiB
                   JSON) are cut off (413 or closed) while a normal client
                   keeps getting answers; bodies held under the limit cost at
                   most their own size each.
  BodyBudget       --max-buffered 2: an NDJSON body over 2 MiB is 413; with
                   1.5 MiB held by a body still arriving, a 1 MiB request is 503
                   unavailable with Retry-After while a small one is appended;
                   once the held connection is gone, a body of 0.9 MiB is judged.
  ManyConnections  2,000 connections from one address: at most --per-ip (64)
                   stay open (the others are closed at once), other addresses
                   are served; 600 more from ten addresses: the server holds at
                   most --max-connections (300) in all (counted in its fd
                   table; the rest wait unaccepted in the listen backlog); once
                   they are closed, everything works again.
"""
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reliab as rl  # noqa: E402

ct = rl.ct

RSS_BOUND_MIB = int(os.environ.get("CMCC_RSS_BOUND_MIB", "300"))
LIVE_S = 8.0  # a liveness bound: an answer within this many seconds


def place_env(key, org="cell", kind="depot"):
    p = ct.new_id("p")
    return ct.signed(key, ct.event("place.define", {
        "place": p, "kind": kind, "name": "Depot " + p, "lat": 31.4, "lon": 34.4}, org))


class ServerCase(unittest.TestCase):
    """One log and server per test class, started with ARGS; VmRSS sampled
    for the whole class."""

    ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.L = ct.Log()
        cls.addClassCleanup(cls.L.close)
        cls.L.start(*cls.ARGS)
        cls.rss = rl.RssSampler(cls.L.server.proc.pid)
        cls.rss.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.rss.__exit__(None, None, None)
        rl.report(cls.__name__, cls.rss.summary())
        if cls.L.server:
            status, out = cls.L.stop()
            if status != 0:
                raise AssertionError("cmcc serve exited %r: %s" % (status, out))

    def assertMemoryBounded(self):
        mib = self.rss.max_kib / 1024
        if rl.sanitized():
            rl.report(type(self).__name__, "VmRSS max %.1f MiB: not checked under ASan" % mib)
            return
        self.assertLess(mib, RSS_BOUND_MIB, "VmRSS reached %.1f MiB" % mib)

    @property
    def port(self):
        return self.L.server.port


class Liveness(threading.Thread):
    """A normal client: a GET /healthz and a POST of one event in turn, every
    `every` seconds, from `source`; keeps the slowest answer and failures."""

    def __init__(self, L, source="127.0.0.2", every=0.05):
        super().__init__(daemon=True)
        self.L, self.source, self.every = L, source, every
        self.stop = threading.Event()
        self.slowest, self.n, self.failures = 0.0, 0, []

    def run(self):
        port = self.L.server.port
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                if self.n % 2:
                    r = rl.request(port, "GET", "/healthz", timeout=LIVE_S * 2,
                                   source=self.source)
                else:
                    r = rl.post_one(port, self.L.token, place_env(self.L.coord),
                                    timeout=LIVE_S * 2, source=self.source)
                if r.status != 200:
                    self.failures.append(repr(r))
            except (OSError, ct.http.client.HTTPException) as e:
                self.failures.append(repr(e))
            self.slowest = max(self.slowest, time.monotonic() - t)
            self.n += 1
            self.stop.wait(self.every)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(60)


# ---- (a) past capacity: 503 with Retry-After ---------------------------------


class Overload(ServerCase):
    ARGS = ("--max-queue", "50")
    CLIENTS, BATCHES, CHAINS = 12, 6, 8

    def test_503_with_retry_after_and_nothing_lost(self):
        L = self.L
        insp, insp_key, hums = rl.supply_setup(L, ["hum-%d" % i for i in range(self.CLIENTS)])
        L.define_place("depot-1", kind="depot")
        setup = L.size()
        rng = rl.rng_for("overload")
        lock = threading.Lock()
        outcome = {}     # env -> receipt or error code (final)
        meant = {}       # env -> "ok" | "rule_violation"
        chains = []
        stats = {"503": 0, "503_bad": [], "line_unavailable": 0, "requests": 0, "other": []}

        def client(org, key, seed):
            r_ = rl.random.Random(seed)
            for _ in range(self.BATCHES):
                envs = []
                per = []
                for _ in range(self.CHAINS):
                    c = rl.Chain(r_, org, key, insp, insp_key, "north", "dp-1")
                    with lock:
                        chains.append(c)
                    per.append(list(c.envs))
                    for e in c.envs:
                        meant[e] = "ok"
                while any(per):
                    for steps in per:
                        if steps:
                            envs.append(steps.pop(0))
                for _ in range(2):  # refused by a rule: a depot is no crossing
                    e = ct.signed(key, ct.event("consignment.declare", ct.declare_body(
                        ct.new_id("c"), "depot-1", {1: 5}), org))
                    meant[e] = "rule_violation"
                    envs.insert(r_.randrange(len(envs) + 1), e)
                todo = envs
                while todo:
                    r = rl.post_batch(self.port, L.token, todo, timeout=120)
                    with lock:
                        stats["requests"] += 1
                    if r.status == 503:
                        ra = rl.retry_after(r)
                        with lock:
                            stats["503"] += 1
                            if ra is None or ra < 1 or rl.error_code(r.json) != "unavailable":
                                stats["503_bad"].append((r.headers, r.body[:200]))
                        time.sleep(ra if ra and ra >= 1 else 1)
                        continue
                    if r.status != 200:
                        with lock:
                            stats["other"].append(repr(r))
                        return
                    again = []
                    for e, x in zip(todo, r.json["results"]):
                        if rl.error_code(x) == "unavailable":
                            again.append(e)
                        elif rl.is_receipt(x):
                            outcome[e] = x
                        else:
                            outcome[e] = rl.error_code(x)
                    if again:
                        with lock:
                            stats["line_unavailable"] += len(again)
                        time.sleep(rl.retry_after(r) or 1)
                    todo = again

        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(h, k, rng.random()))
                   for h, k in sorted(hums.items())]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        took = time.monotonic() - t0
        self.assertEqual(stats["other"], [])
        self.assertFalse(any(t.is_alive() for t in threads))
        rl.report("Overload", "%d requests in %.1f s: %d answered 503, %d lines unavailable "
                  "in 200 batches, %d envelopes" % (stats["requests"], took, stats["503"],
                                                    stats["line_unavailable"], len(meant)))
        self.assertGreater(stats["503"], 0, "past --max-queue nothing was answered 503")
        self.assertEqual(stats["503_bad"], [], "503 without unavailable and Retry-After")

        # none lost: every envelope has its meant outcome
        self.assertEqual(set(outcome), set(meant))
        wrong = [(meant[e], outcome[e]) for e in meant
                 if (meant[e] == "ok") != isinstance(outcome[e], dict)
                 or (meant[e] != "ok" and outcome[e] != meant[e])]
        self.assertEqual(wrong, [])
        receipts = [(e, x) for e, x in outcome.items() if isinstance(x, dict)]
        self.assertFalse(any(x["duplicate"] for _, x in receipts))
        entries = L.entries()
        self.assertEqual(len(entries), setup + len(receipts))
        for e, x in receipts:
            p = rl.receipt_problem(entries, e, x)
            self.assertIsNone(p, p)
        listed = {c["consignment"]: c for c in L.consignments()}
        self.assertEqual(len(listed), len(chains))
        for c in chains:
            self.assertEqual(rl.totals_of(listed[c.cid]), c.expected(5))
        self.assertMemoryBounded()
        rl.stop_and_verify(self, L)


# ---- (b) --rate: 429 with Retry-After ---------------------------------------


class RateLimit(ServerCase):
    ARGS = ("--rate", "2", "--burst", "10")

    def post(self, envs, source=None):
        if len(envs) == 1:
            return rl.post_one(self.port, self.L.token, envs[0], source=source)
        return rl.post_batch(self.port, self.L.token, envs, source=source)

    def assertLimited(self, r):
        self.assertEqual(r.status, 429, r)
        self.assertEqual(rl.error_code(r.json), "rate_limited", r)
        ra = rl.retry_after(r)
        self.assertIsNotNone(ra, r.headers)
        self.assertGreaterEqual(ra, 1)
        return ra

    def test_1_burst_then_429_then_retry_after_is_enough(self):
        L = self.L
        key = L.coord
        size = L.size()
        # nothing sent for a while: the bucket is full
        burst = [place_env(key) for _ in range(10)]
        one = place_env(key)
        t = time.monotonic()
        r = self.post(burst)
        self.assertEqual(r.status, 200, r)
        r1 = self.post([one])
        gap = time.monotonic() - t
        self.assertTrue(all(rl.is_receipt(x) for x in r.json["results"]), r)
        if gap < 0.45:  # else the bucket refilled one token (2/s): the machine is slow
            self.assertLimited(r1)
            self.assertEqual(L.size(), size + 10)
        else:
            rl.report("RateLimit", "%.2f s between burst and next: its 429 not checked" % gap)
            size = L.size() - 10
        batch = [place_env(key) for _ in range(5)]
        r = self.post(batch)
        ra = self.assertLimited(r)
        self.assertEqual(L.size(), size + 10, "a refused request appended something")
        # another address has its own budget
        r = self.post([place_env(key)], source="127.0.0.2")
        self.assertEqual(r.status, 200, r)
        # waiting as told is enough
        time.sleep(ra)
        r = self.post(batch)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(L.size(), size + 16)

    def test_2_under_the_rate_everything_passes(self):
        time.sleep(5.5)  # a full bucket again
        ok = 0
        for _ in range(8):  # one a second: half the rate
            t = time.monotonic()
            r = self.post([place_env(self.L.coord)])
            self.assertEqual(r.status, 200, r)
            ok += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t)))
        self.assertEqual(ok, 8)

    def test_3_batch_larger_than_burst_is_not_refused_forever(self):
        """A 429 promises that waiting Retry-After helps. A batch of more events
        than the burst can never be covered by the bucket: it must either be
        taken once the bucket is full, or be refused as something other than
        rate_limited (413), not answered 'retry after 1 s' forever."""
        time.sleep(5.5)
        batch = [place_env(self.L.coord) for _ in range(11)]
        answers = []
        for _ in range(3):
            r = self.post(batch)
            answers.append((r.status, rl.retry_after(r)))
            if r.status != 429:
                break
            time.sleep(rl.retry_after(r) or 1)
        self.assertNotEqual(answers[-1][0], 429,
                            "a batch over the burst was rate_limited every time, though each "
                            "Retry-After was waited out: %r" % answers)
        self.assertMemoryBounded()


# ---- (c) slow and idle clients -------------------------------------------------


def is_closed(s):
    """True when the peer closed the socket (EOF or reset), with any
    pending answer read and dropped. The socket is made non-blocking (a
    socket with a timeout would wait for data first)."""
    s.setblocking(False)
    try:
        while True:
            d = s.recv(65536, socket.MSG_DONTWAIT)
            if not d:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


class SlowClients(ServerCase):
    ARGS = ("--head-timeout", "2", "--timeout", "2", "--threads", "2")

    def test_slow_clients_hold_no_worker_and_are_closed(self):
        port = self.port
        socks = []
        t0 = time.monotonic()
        for i in range(60):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            if i % 3 == 1:    # stalled inside the headers
                s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
            elif i % 3 == 2:  # headers sent, stalled inside the body
                s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Authorization: Bearer " + self.L.token.encode() +
                          b"\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n"
                          b"\r\n{\"payloadType\":\"applic")
            socks.append(s)   # else idle: connected, nothing sent
        # normal requests are answered promptly meanwhile, from the same address
        t = time.monotonic()
        r = rl.request(port, "GET", "/healthz", timeout=LIVE_S)
        self.assertEqual(r.status, 200, r)
        r = rl.post_one(port, self.L.token, place_env(self.L.coord), timeout=LIVE_S)
        self.assertEqual(r.status, 200, r)
        answered = time.monotonic() - t
        self.assertLess(answered, LIVE_S)
        early = sum(is_closed(s) for s in socks)
        early_at = time.monotonic() - t0  # the first sockets are this old
        # the server closes every one of them once they have been idle for 2 s
        closed_at = {}
        deadline = time.monotonic() + 20
        while len(closed_at) < len(socks) and time.monotonic() < deadline:
            for i, s in enumerate(socks):
                if i not in closed_at and is_closed(s):
                    closed_at[i] = time.monotonic() - t0
            time.sleep(0.05)
        for s in socks:
            s.close()
        times = sorted(closed_at.values())
        rl.report("SlowClients", "normal requests answered in %.2f s with 60 slow connections "
                  "open; %d closed at once; the server closed %d/60 after %.1f..%.1f s" % (
                      answered, early, len(times), times[0] if times else -1,
                      times[-1] if times else -1))
        self.assertEqual(len(closed_at), len(socks),
                         "slow connections still open 20 s after a 2 s timeout: %s" %
                         sorted(set(range(len(socks))) - set(closed_at)))
        if early_at < 1.5:  # younger than the 2 s timeout: none may be closed yet
            self.assertLessEqual(early, 5, "the slow connections were closed before any timeout")
        r = rl.request(port, "GET", "/healthz", timeout=LIVE_S)
        self.assertEqual(r.status, 200)
        self.assertMemoryBounded()


# ---- (d) huge bodies -----------------------------------------------------------


def upload(port, token, size, chunked, content_type="application/x-ndjson", stall=False):
    """Sends a body of `size` bytes (NDJSON-looking lines) with Content-Length
    or chunked. Returns (bytes of body sent, answer status or None, how it
    ended). With stall, stops after size bytes without finishing the body and
    returns the open socket as the last item instead."""
    line = b'{"payloadType":"application/vnd.cmcc.event+json","payload":"' + b"A" * 900 + b'"}\n'
    block = line * (1 * rl.MiB // len(line))
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
            token.encode() + b"\r\nContent-Type: " + content_type.encode() + b"\r\n")
    if chunked:
        head += b"Transfer-Encoding: chunked\r\n\r\n"
    else:
        head += b"Content-Length: %d\r\n\r\n" % (size if not stall else size * 2)
    sent, how = 0, "sent all"
    try:
        s.sendall(head)
        while sent < size:
            part = block[:min(len(block), size - sent)]
            s.sendall((b"%x\r\n" % len(part) + part + b"\r\n") if chunked else part)
            sent += len(part)
        if stall:
            return sent, None, s
        if chunked:
            s.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError) as e:
        how = "cut off: %s" % type(e).__name__
    except socket.timeout:
        how = "cut off: the server stopped reading"
    status = None
    try:
        s.settimeout(10)
        data = s.recv(4096)
        if data.startswith(b"HTTP/1."):
            status = int(data.split(b" ", 2)[1])
        elif not data:
            how += ", then closed"
    except OSError as e:
        how += ", then %s" % type(e).__name__
    s.close()
    return sent, status, how


class HugeBodies(ServerCase):

    def test_1_huge_bodies_are_cut_off_and_others_served(self):
        L = self.L
        size = L.size()
        results = {}

        def go(name, *a):
            results[name] = upload(self.port, L.token, 100 * rl.MiB, *a)

        with Liveness(L) as live:
            ts = [threading.Thread(target=go, args=("ndjson+length", False)),
                  threading.Thread(target=go, args=("ndjson+chunked", True)),
                  threading.Thread(target=go, args=("json+length", False, "application/json")),
                  threading.Thread(target=go, args=("json+chunked", True, "application/json"))]
            for t in ts:
                t.start()
            for t in ts:
                t.join(300)
            time.sleep(0.5)
        for name, (sent, status, how) in sorted(results.items()):
            rl.report("HugeBodies", "%s: %.1f MiB sent, answer %s, %s" % (
                name, sent / rl.MiB, status, how))
            self.assertTrue(status == 413 or (status is None and sent < 100 * rl.MiB),
                            "%s: %r" % (name, (sent, status, how)))
        rl.report("HugeBodies", "meanwhile %d normal requests, slowest %.2f s, failures %r" % (
            live.n, live.slowest, live.failures[:3]))
        self.assertEqual(live.failures, [])
        self.assertGreater(live.n, 4)
        self.assertLess(live.slowest, LIVE_S)
        self.assertEqual(L.size(), size + (live.n + 1) // 2)
        self.assertMemoryBounded()

    def test_2_bodies_under_the_limit_cost_their_size(self):
        """The memory bound: each connection holds at most one body under the
        limit (16 MiB of NDJSON) while it arrives. Eight connections each
        holding 15 MiB must not cost more than 8 x 16 MiB (plus a base)."""
        L = self.L
        base = rl.rss_kib(L.server.proc.pid)
        held = []
        try:
            for _ in range(8):
                held.append(upload(self.port, L.token, 15 * rl.MiB, True, stall=True)[2])
            time.sleep(0.5)
            during = rl.rss_kib(L.server.proc.pid)
            r = rl.request(self.port, "GET", "/healthz", timeout=LIVE_S, source="127.0.0.2")
            self.assertEqual(r.status, 200)
        finally:
            for s in held:
                s.close()
        rl.report("HugeBodies", "8 connections holding 15 MiB each: VmRSS %.1f -> %.1f MiB" % (
            base / 1024, during / 1024))
        if not rl.sanitized():
            self.assertLess((during - base) / 1024, 8 * 16 + 32)
        self.assertMemoryBounded()


class BodyBudget(ServerCase):
    """--max-buffered 2: the request bodies held at once share 2 MiB."""

    ARGS = ("--max-buffered", "2")

    def test_the_request_past_the_budget_is_503_and_others_are_served(self):
        L = self.L
        size = L.size()
        line = b'{"payloadType":"application/vnd.cmcc.event+json","payload":"' + b"A" * 900 + b'"}\n'
        one_mib = line * (rl.MiB // len(line))
        # an NDJSON body is now at most the budget, not 16 MiB
        sent, status, how = upload(self.port, L.token, 3 * rl.MiB, False)
        self.assertEqual(status, 413, how)
        # 1.5 MiB held by a body still arriving
        held = upload(self.port, L.token, 3 * rl.MiB // 2, True, stall=True)[2]
        try:
            time.sleep(0.3)
            r = rl.request(self.port, "POST", "/v1/events", one_mib,
                           rl.auth(L.token, "application/x-ndjson"), source="127.0.0.2")
            self.assertEqual((r.status, rl.error_code(r.json)), (503, "unavailable"), r.body)
            self.assertIsNotNone(rl.retry_after(r))
            # a small request still fits, and is served
            r = rl.post_one(self.port, L.token, place_env(L.coord), source="127.0.0.3")
            self.assertEqual(r.status, 200, r.body)
            self.assertTrue(rl.is_receipt(r.json), r.body)
        finally:
            held.close()
        time.sleep(0.3)
        # the held body's share is given back when its connection goes
        r = rl.request(self.port, "POST", "/v1/events", line * 900,
                       rl.auth(L.token, "application/x-ndjson"), source="127.0.0.2")
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(len(r.json["results"]), 900)  # each line judged (and refused)
        self.assertEqual(L.size(), size + 1)


# ---- (e) thousands of connections ----------------------------------------------


def connect_many(port, n, source):
    """Up to n connections from source; returns (sockets, failed connects)."""
    socks, failed = [], 0
    for _ in range(n):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5)
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            s.close()
            failed += 1
    return socks, failed


def settle_open(socks, wait=2.0):
    """Polls until the number of sockets the server left open stops changing
    for `wait` seconds (at most 20 s); returns the open ones."""
    deadline = time.monotonic() + 20
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        open_ = [s for s in socks if not is_closed(s)]
        if len(open_) != last:
            last, since = len(open_), time.monotonic()
        elif time.monotonic() - since >= wait:
            break
        time.sleep(0.2)
    return open_


class ManyConnections(ServerCase):
    ARGS = ("--max-connections", "300", "--per-ip", "64", "--head-timeout", "60",
            "--timeout", "60")

    @classmethod
    def setUpClass(cls):
        cls.nofile = rl.raise_nofile(8192)  # before the server starts: it inherits it
        super().setUpClass()

    def test_thousands_of_connections(self):
        if self.nofile < 3000:
            self.skipTest("RLIMIT_NOFILE is %d, cannot open 2,000 sockets" % self.nofile)
        port = self.port
        pid = self.L.server.proc.pid
        fds0 = rl.open_sockets(pid)
        all_socks = []
        try:
            socks, failed = connect_many(port, 2000, "127.0.0.1")
            all_socks += socks
            open1 = settle_open(socks)
            fds1 = rl.open_sockets(pid)
            rl.report("ManyConnections", "2000 connections from 127.0.0.1: %d connects failed, "
                      "%d left open by the server (per-ip 64); server sockets %d -> %d" % (
                          failed, len(open1), fds0, fds1))
            self.assertLessEqual(len(open1), 64)
            self.assertGreater(len(open1), 0)
            self.assertLessEqual(fds1 - fds0, 64)
            # other addresses are served
            t = time.monotonic()
            r = rl.request(port, "GET", "/healthz", timeout=LIVE_S, source="127.0.0.2")
            self.assertEqual(r.status, 200)
            r = rl.post_one(port, self.L.token, place_env(self.L.coord), timeout=LIVE_S,
                            source="127.0.0.2")
            self.assertEqual(r.status, 200, r)
            self.assertLess(time.monotonic() - t, LIVE_S)
            # the one address is at its limit: refused
            with self.assertRaises((OSError, ct.http.client.HTTPException)):
                rl.request(port, "GET", "/healthz", timeout=LIVE_S, source="127.0.0.1")

            # 600 more from ten addresses, 60 each (under --per-ip): the server
            # holds at most --max-connections; the rest are not accepted (they
            # wait in the kernel's listen backlog, or are closed)
            more = []
            for a in range(3, 13):
                s, _ = connect_many(port, 60, "127.0.0.%d" % a)
                more += s
            all_socks += more
            open2 = settle_open(open1 + more)
            fds2 = rl.open_sockets(pid)
            rl.report("ManyConnections", "then 600 from 10 more addresses: server sockets %d (%d "
                      "connections over its idle %d; max-connections 300); %d of the client "
                      "sockets not closed (accepted or in the backlog); %s" % (
                          fds2, fds2 - fds0, fds0, len(open2), self.rss.summary()))
            self.assertLessEqual(fds2 - fds0, 300)
            self.assertGreater(fds2 - fds0, 64)
        finally:
            for s in all_socks:
                s.close()
        # once closed, everything works again, from every address
        deadline = time.monotonic() + 15
        while True:
            try:
                r = rl.request(port, "GET", "/healthz", timeout=LIVE_S, source="127.0.0.1")
                if r.status == 200:
                    break
            except (OSError, ct.http.client.HTTPException):
                pass
            self.assertLess(time.monotonic(), deadline, "127.0.0.1 still refused")
            time.sleep(0.2)
        for src in ("127.0.0.1", "127.0.0.5", "127.0.0.2"):
            r = rl.post_one(port, self.L.token, place_env(self.L.coord), timeout=LIVE_S,
                            source=src)
            self.assertEqual(r.status, 200, r)
        time.sleep(1)
        rl.report("ManyConnections", "after closing: server sockets %d" % rl.open_sockets(pid))
        self.assertMemoryBounded()


if __name__ == "__main__":
    ct.main()
