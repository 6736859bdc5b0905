#!/usr/bin/python3
"""Shutdown under load: SIGTERM while clients keep posting loses nothing
and half-applies nothing (docs/operations.md, "Serving").

Six clients post place.define events (each valid on its own), one envelope
a request or 40 a request, as fast as they are answered, on fresh
connections. After a second of that the server gets SIGTERM; the clients
go on posting until the server is gone, so that requests arrive while it is
stopping. Every answer is sorted per envelope:

  receipt        the server acknowledged it (200, or the line's receipt);
  unavailable    503 `unavailable` with Retry-After for the whole request,
                 or `unavailable` for its line;
  unknown        the connection was refused, reset or cut before an answer.

The server must exit 0. Restarted on the same directory:
  - every receipt's entry holds exactly the bytes sent (index, leaf hash);
  - nothing answered `unavailable` is in the log (nothing half-applied);
  - no envelope is in the log twice, and nothing is there that was not sent;
  - an `unknown` envelope sent again is appended or found as a duplicate,
    after which the log holds every envelope sent exactly once;
  - `cmcc verify` passes.
Some requests must have been sent after the signal, or the test says it
showed nothing and fails.
"""
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reliab as rl  # noqa: E402

ct = rl.ct

CLIENTS = 6
BATCH = 40
LOAD_BEFORE_S = 1.0


def place_env(key):
    p = ct.new_id("p")
    return ct.signed(key, ct.event("place.define", {
        "place": p, "kind": "depot", "name": "Depot " + p, "lat": 31.4, "lon": 34.4}, "cell"))


class Shutdown(unittest.TestCase):

    def setUp(self):
        self.L = ct.Log()
        self.addCleanup(self.L.close)
        self.L.start()

    def test_sigterm_under_load_loses_nothing_acknowledged(self):
        L = self.L
        port, key = L.server.port, L.coord
        lock = threading.Lock()
        outcome = {}        # env -> receipt dict | "unavailable" | "unknown"
        sent = []           # every envelope, in the order first sent
        after_signal = [0]  # requests started after SIGTERM
        signalled = threading.Event()
        bad = []

        def record(envs, what):
            with lock:
                for e in envs:
                    outcome[e] = what

        def client(n):
            i = 0
            while True:
                envs = [place_env(key) for _ in range(1 if (n + i) % 2 else BATCH)]
                i += 1
                with lock:
                    sent.extend(envs)
                    if signalled.is_set():
                        after_signal[0] += 1
                try:
                    if len(envs) == 1:
                        r = rl.post_one(port, L.token, envs[0], timeout=30)
                    else:
                        r = rl.post_batch(port, L.token, envs, timeout=30)
                except (OSError, ct.http.client.HTTPException):
                    record(envs, "unknown")
                    return  # the server is gone
                if r.status == 503:
                    if rl.error_code(r.json) != "unavailable" or rl.retry_after(r) is None:
                        bad.append("a 503 without unavailable and Retry-After: %r" % r)
                    record(envs, "unavailable")
                    continue
                if r.status != 200:
                    bad.append("unexpected answer: %r" % r)
                    record(envs, "unknown")
                    return
                results = [r.json] if len(envs) == 1 else r.json["results"]
                for e, x in zip(envs, results):
                    if rl.is_receipt(x):
                        record([e], x)
                    elif rl.error_code(x) == "unavailable":
                        record([e], "unavailable")
                    else:
                        bad.append("a valid envelope refused: %r" % x)
                        record([e], "unknown")

        threads = [threading.Thread(target=client, args=(n,), daemon=True)
                   for n in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(LOAD_BEFORE_S)
        signalled.set()
        status, out = L.stop()
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "a client never finished")
        self.assertEqual(status, 0, "cmcc serve exited %r on SIGTERM: %s" % (status, out))
        self.assertEqual(bad, [])

        kinds = {"receipt": 0, "unavailable": 0, "unknown": 0}
        for v in outcome.values():
            kinds["receipt" if isinstance(v, dict) else v] += 1
        rl.report("shutdown", "%d envelopes: %r; %d requests started after SIGTERM" % (
            len(outcome), kinds, after_signal[0]))
        self.assertGreater(kinds["receipt"], 0, "nothing was acknowledged before SIGTERM")
        self.assertGreater(after_signal[0], 0, "no request was sent while the server stopped")

        L.start()
        entries = L.entries()
        in_log = {}
        for i, e in enumerate(entries[1:], start=1):
            env = rl.entry_envelope(e)
            self.assertNotIn(env, in_log, "entry %d repeats entry %s" % (i, in_log.get(env)))
            in_log[env] = i
        for env, v in outcome.items():
            if isinstance(v, dict):
                self.assertIsNone(rl.receipt_problem(entries, env, v))
            elif v == "unavailable":
                self.assertNotIn(env, in_log, "an envelope answered unavailable was appended")
        self.assertEqual(set(in_log) - set(sent), set(), "the log holds what nobody sent")

        unknown = [e for e, v in outcome.items() if v == "unknown"]
        rl.report("shutdown", "of the %d unknown, %d were appended" % (
            len(unknown), sum(e in in_log for e in unknown)))
        for chunk in range(0, len(unknown), 200):
            r = rl.post_batch(L.server.port, L.token, unknown[chunk:chunk + 200])
            self.assertEqual(r.status, 200, r)
            for e, x in zip(unknown[chunk:chunk + 200], r.json["results"]):
                self.assertTrue(rl.is_receipt(x), x)
                self.assertEqual(x["duplicate"], e in in_log, x)
        acknowledged = {e for e, v in outcome.items() if v != "unavailable"}
        self.assertEqual({rl.entry_envelope(e) for e in L.entries()[1:]}, acknowledged)

        rl.stop_and_verify(self, L)


if __name__ == "__main__":
    ct.main()
