"""reliab: helpers of cmcc's reliability tests, on top of the black-box
harness (tests/blackbox/cmcctest.py, imported here as `ct`).

What the harness does not have and these tests need:
  - HTTP requests from a chosen source address (127.0.0.X: the whole of
    127/8 is local on Linux, so one machine can play many clients) that
    raise on any transport error instead of tolerating it;
  - a sampler of the server's resident memory (/proc/PID/status VmRSS);
  - supply chains (declare -> screen -> enter -> accept -> distribute) as
    signed envelopes, with the totals the server must show after any prefix
    of them;
  - checks of a log against what clients were told: receipts against the
    entries, checkpoints against each other (RFC 6962 consistency proofs).

Only the standard library and Debian's python3-nacl are used.
"""

import http.client
import json
import os
import random
import resource
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "blackbox"))
import cmcctest as ct  # noqa: E402

MiB = 1024 * 1024

# ---- HTTP ----------------------------------------------------------------------


def request(port, method, path, body=None, headers=None, timeout=30, source=None):
    """One request on a fresh connection from source (an address of 127/8,
    default 127.0.0.1). Any transport error (refused, reset, timeout, cut
    answer) raises: the caller decides what it means."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return ct.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def auth(token, content_type=None):
    h = {"Authorization": "Bearer " + token}
    if content_type:
        h["Content-Type"] = content_type
    return h


def post_one(port, token, env: bytes, timeout=30, source=None):
    return request(port, "POST", "/v1/events", env, auth(token, "application/json"), timeout,
                   source)


def post_batch(port, token, envs, timeout=60, source=None):
    body = b"".join(e + b"\n" for e in envs)
    return request(port, "POST", "/v1/events", body, auth(token, "application/x-ndjson"),
                   timeout, source)


def is_receipt(j):
    # "proof" comes with an entry a published checkpoint already holds
    return (isinstance(j, dict)
            and sorted(k for k in j if k != "proof") == ["duplicate", "index", "leaf_hash"]
            and isinstance(j["index"], int) and isinstance(j["duplicate"], bool))


def error_code(j):
    """The error code of an answer (a whole body or one batch result), or None."""
    if isinstance(j, dict) and isinstance(j.get("error"), dict):
        return j["error"].get("code")
    return None


def retry_after(r):
    """The Retry-After of a response as whole seconds (None if absent or bad)."""
    v = r.headers.get("retry-after")
    if v is None or not v.strip().isdigit():
        return None
    return int(v)


# ---- the server process --------------------------------------------------------


def rss_kib(pid):
    """VmRSS of a process in KiB (None once it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def open_sockets(pid):
    """The sockets a process holds (its listening socket and connections)."""
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
            except OSError:
                pass
    except OSError:
        return None
    return n


class RssSampler:
    """Samples a process's VmRSS every `every` seconds in a thread, as a
    context manager: .max_kib, .samples (KiB)."""

    def __init__(self, pid, every=0.05):
        self.pid, self.every = pid, every
        self.samples = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            v = rss_kib(self.pid)
            if v is not None:
                self.samples.append(v)
            self._stop.wait(self.every)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()

    @property
    def max_kib(self):
        return max(self.samples) if self.samples else 0

    def summary(self):
        if not self.samples:
            return "no samples"
        return "VmRSS %.1f MiB at start, max %.1f MiB, at end %.1f MiB (%d samples)" % (
            self.samples[0] / 1024, self.max_kib / 1024, self.samples[-1] / 1024,
            len(self.samples))


_sanitized = None


def sanitized():
    """True when the cmcc binary is built with AddressSanitizer. Its VmRSS
    then holds shadow memory and the quarantine of freed memory (up to
    256 MiB): memory bounds are reported, not asserted."""
    global _sanitized
    if _sanitized is None:
        try:
            with open(ct.CMCC_BIN, "rb") as f:
                _sanitized = b"AddressSanitizer" in f.read()
        except OSError:
            _sanitized = False
    return _sanitized


def raise_nofile(want):
    """Raises this process's (and so its children's) open-file limit to want,
    or to the hard limit. Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def report(name, text):
    """A figure worth reading in the test's output (ctest --output-on-failure
    or -V shows it): stderr, prefixed."""
    sys.stderr.write("[%s] %s\n" % (name, text))
    sys.stderr.flush()


def verify_dir(directory, timeout=300):
    """`cmcc verify DIR`: (exit status, stdout + stderr)."""
    r = ct.run("verify", directory, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def stop_and_verify(tc, holder):
    """Stops holder's server (holder: a Log or a Server) with SIGTERM, which
    must exit 0, then runs `cmcc verify` on its directory, which must pass."""
    status, out = holder.stop()
    tc.assertEqual(status, 0, "cmcc serve exited %r: %s" % (status, out))
    rc, out = verify_dir(holder.dir)
    tc.assertEqual(rc, 0, out)


# ---- checkpoints and entries ---------------------------------------------------


def consistency_problem(L, old, old_root, new, new_root):
    """None when the tree (new, new_root) extends (old, old_root), checked
    with the server's consistency proof and the harness's RFC 9162
    verifier; else what is wrong."""
    if new < old:
        return "the tree shrank from %d to %d" % (old, new)
    if old == 0:
        return None
    if old == new:
        return None if old_root == new_root else "two roots for size %d" % old
    r = L.get("/v1/proof/consistency?old=%d&size=%d" % (old, new))
    if r.status != 200:
        return "consistency proof %d -> %d: %r" % (old, new, r)
    j = r.json
    if j.get("old_size") != old or j.get("tree_size") != new:
        return "consistency proof for the wrong sizes: %r" % j
    proof = [ct.unb64(p) for p in j["consistency_path"]]
    if not ct.verify_consistency(old, new, old_root, new_root, proof):
        return "the consistency proof %d -> %d does not verify" % (old, new)
    return None


def expected_entry(received: str, env: bytes) -> bytes:
    """The exact entry bytes the log must hold for the envelope bytes a
    client sent (compact JSON, as the harness signs them)."""
    return ct.entry_bytes(received, json.loads(env))


def receipt_problem(entries, env: bytes, rc):
    """None when entry rc["index"] holds exactly env and hashes to
    rc["leaf_hash"]; else what is wrong."""
    i = rc["index"]
    if i >= len(entries):
        return "receipt index %d is beyond the log (%d entries)" % (i, len(entries))
    e = entries[i]
    try:
        received = json.loads(e)["received"]
    except (ValueError, KeyError):
        return "entry %d is not an entry: %r" % (i, e[:200])
    if e != expected_entry(received, env):
        return "entry %d does not hold the envelope its receipt was for: %r" % (i, e[:300])
    if ct.b64(ct.leaf_hash(e)) != rc["leaf_hash"]:
        return "entry %d: receipt leaf_hash %s, the entry hashes to %s" % (
            i, rc["leaf_hash"], ct.b64(ct.leaf_hash(e)))
    return None


def entry_envelope(e: bytes) -> bytes:
    """The compact envelope bytes of an entry (what the client sent)."""
    return ct.compact(json.loads(e)["envelope"])


# ---- supply chains -------------------------------------------------------------

STEPS = ("consignment.declare", "consignment.screen", "consignment.enter", "custody.accept",
         "distribution.record")


class Chain:
    """One consignment's life as five signed envelopes in an order that
    matters (each step is refused without the one before it):

      humanitarian declares two lines at crossing,
      inspector screens them (line 2 may be cut, reason damaged),
      inspector enters the approved quantity to the humanitarian (transfer),
      humanitarian accepts (line 1 may come short: unaccounted:<inspector>),
      humanitarian distributes part of line 1 at the distribution point.

    .envs[k] is the envelope of step k; expected(n) the consignment's totals
    once exactly the first n steps are in the log."""

    def __init__(self, rng, hum, hum_key, insp, insp_key, crossing, dp):
        self.cid, self.tid, self.did = ct.new_id("c"), ct.new_id("t"), ct.new_id("d")
        self.hum, self.insp = hum, insp
        q1, q2 = rng.randint(5, 900), rng.randint(5, 900)
        a2 = q2 - rng.choice((0, 0, rng.randint(1, q2 - 1)))
        r1 = q1 - rng.choice((0, 0, 1, 2))
        d1 = rng.randint(1, r1)
        self.q = (q1, q2, a2, r1, d1)
        bodies = [
            ct.declare_body(self.cid, crossing, {1: q1, 2: q2}),
            ct.screen_body(self.cid, {1: q1, 2: a2}, {2: "damaged"} if a2 < q2 else None),
            ct.enter_body(self.cid, self.tid, crossing, hum, {1: q1, 2: a2}),
            ct.accept_body(self.tid, {1: r1, 2: a2}),
            ct.distribution_body(self.did, self.cid, dp, {1: d1}, households=d1 // 5 + 1),
        ]
        signers = [(hum, hum_key), (insp, insp_key), (insp, insp_key), (hum, hum_key),
                   (hum, hum_key)]
        self.envs = [ct.signed(k, ct.event(t, b, o)) for t, b, (o, k) in zip(STEPS, bodies,
                                                                            signers)]

    def expected(self, n):
        """The totals of GET /v1/consignments for this consignment after n
        steps (n >= 1)."""
        q1, q2, a2, r1, d1 = self.q
        e = {"declared": q1 + q2, "approved": 0, "entered": 0, "held": 0, "pending": 0,
             "distributed": 0, "lost": 0, "unaccounted": 0, "status": "declared"}
        if n >= 2:
            e.update(approved=q1 + a2, status="screened")
        if n >= 3:
            e.update(entered=q1 + a2, pending=q1 + a2, status="in_transit")
        if n >= 4:
            e.update(pending=0, held=r1 + a2, unaccounted=q1 - r1, status="in_custody")
        if n >= 5:
            e.update(held=r1 + a2 - d1, distributed=d1)
        return e


def totals_of(c):
    """The fields of a consignment (list item) that Chain.expected predicts."""
    return {k: c.get(k) for k in ("declared", "approved", "entered", "held", "pending",
                                   "distributed", "lost", "unaccounted", "status")}


def supply_setup(L, humanitarians, crossing="north", dp="dp-1"):
    """Admits an inspector and the given humanitarian orgs, defines an open
    crossing and a distribution point. Returns (insp, insp_key, {org: key})."""
    insp_key = L.admit("gate", ["inspector"])[0]
    hums = {h: L.admit(h, ["humanitarian"])[0] for h in humanitarians}
    L.define_place(crossing, kind="crossing")
    L.define_place(dp, kind="distribution_point")
    return "gate", insp_key, hums


def rng_for(name):
    """A random generator seeded from CMCC_SEED (printed, to replay a run)."""
    seed = os.environ.get("CMCC_SEED")
    seed = int(seed) if seed else random.randrange(1 << 30)
    report(name, "seed %d (set CMCC_SEED to replay)" % seed)
    return random.Random(seed)
