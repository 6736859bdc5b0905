#!/usr/bin/python3
"""GET /v1/feed (docs/protocol.md, "The live feed"): the log's new entries
as Server-Sent Events, one event per entry with `id:` its index and data
{index, type, org, id}, resumable with Last-Event-ID (or ?since=, ?from=).

A client that reads 10,000 entries while they are being logged, dropping
its connection every few hundred events and coming back with the last
id it saw, gets each entry exactly once, in order, with the type, org and
id that were signed; a client that comes back from the start, when the
entries have left the server's in-memory ring, reads them from the store
alike. A feed left idle sends a heartbeat comment. Bad requests (no token,
a bad one, a Last-Event-ID that is no index or is past the log's end)
are refused with the protocol's codes.
"""
import os
import random
import socket
import sys
import threading
import time
import unittest
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


def place_event(i):
    return ct.event("place.define", {"place": "fp-%d" % i, "kind": "depot", "name": "Depot %d" % i,
                                     "lat": 10.0, "lon": 20.0}, ct.COORD_ORG, id_="feed-%d" % i)


class Stream:
    """One GET /v1/feed connection, read event by event."""

    def __init__(self, port, path="/v1/feed", token=None, last_id=None, timeout=30):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        h = {"Accept": "text/event-stream"}
        if token:
            h["Authorization"] = "Bearer " + token
        if last_id is not None:
            h["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", path, headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}

    def next(self):
        """The next event as (id, data dict), or ("comment", text) for a
        comment line, or None at the end of the stream."""
        ev_id, data = None, None
        while True:
            line = self.resp.fp.readline()
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if line.startswith(":"):
                return ("comment", line[1:].strip())
            if line.startswith("retry:"):
                continue
            if line.startswith("id: "):
                ev_id = int(line[4:])
            elif line.startswith("data: "):
                data = ct.json.loads(line[6:])
            elif line == "" and data is not None:
                return (ev_id, data)

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


class Feed(ct.LogTestCase):

    def test_10000_entries_across_reconnects(self):
        L = self.log
        n = 10000
        start = L.size()
        lines = [ct.signed(L.coord, place_event(i)) for i in range(n)]
        errors = []

        def writer():
            for k in range(0, n, 500):
                r = L.batch(lines[k:k + 500])
                if r.status != 200:
                    errors.append(r)
                    return

        seen = []
        rnd = random.Random(18)
        st = Stream(L.server.port, "/v1/feed?from=%d" % start, L.token)
        self.assertEqual(st.status, 200)
        self.assertTrue(st.headers["content-type"].startswith("text/event-stream"), st.headers)
        w = threading.Thread(target=writer)
        w.start()
        reconnects = 0
        try:
            budget = rnd.randint(100, 900)
            while len(seen) < n:
                ev = st.next()
                self.assertIsNotNone(ev, "the stream ended after %d events" % len(seen))
                if ev[0] == "comment":
                    continue
                seen.append(ev)
                budget -= 1
                if budget == 0 and len(seen) < n:
                    st.close()
                    reconnects += 1
                    st = Stream(L.server.port, token=L.token, last_id=seen[-1][0])
                    self.assertEqual(st.status, 200)
                    budget = rnd.randint(100, 900)
        finally:
            st.close()
            w.join()
        self.assertEqual(errors, [])
        self.assertGreater(reconnects, 10)
        self.assertEqual([i for i, _ in seen], list(range(start, start + n)),
                         "an entry missed or seen twice")
        for k, (i, d) in enumerate(seen):
            self.assertEqual(d, {"index": i, "type": "place.define", "org": ct.COORD_ORG,
                                 "id": "feed-%d" % k})

        # from the start again: past the in-memory ring, read from the store
        st = Stream(L.server.port, "/v1/feed?since=%d" % (start - 1), L.token)
        try:
            again = []
            while len(again) < n:
                ev = st.next()
                if ev and ev[0] != "comment":
                    again.append(ev)
        finally:
            st.close()
        self.assertEqual(again, seen)

    def test_new_entry_arrives_and_heartbeat(self):
        L = self.log
        st = Stream(L.server.port, "/v1/feed?token=" + L.token)  # an EventSource's way
        try:
            self.assertEqual(st.status, 200)
            self.assertEqual(st.headers.get("cache-control"), "no-store")
            ev = ct.event("place.define", {"place": "fp-new", "kind": "depot", "name": "New",
                                           "lat": 1.0, "lon": 2.0}, ct.COORD_ORG, id_="feed-new")
            r = L.post(ct.signed(L.coord, ev))
            self.assertEqual(r.status, 200, r)
            got = st.next()
            self.assertEqual(got, (r.json["index"], {"index": r.json["index"],
                                                     "type": "place.define",
                                                     "org": ct.COORD_ORG, "id": "feed-new"}))
            t0 = time.monotonic()
            beat = st.next()  # nothing logged: a comment within ~15 s
            self.assertEqual(beat, ("comment", "heartbeat"))
            self.assertGreater(time.monotonic() - t0, 10)
        finally:
            st.close()

    def test_refusals(self):
        L = self.log
        size = L.size()
        cases = [
            ({}, None, 401, "unauthorized", ""),
            ({"Authorization": "Bearer nope"}, None, 401, "unauthorized", ""),
            ({}, "?token=nope", 401, "unauthorized", ""),
            ({}, "?token=", 401, "unauthorized", "token"),
            ({"Last-Event-ID": "x1"}, "", 400, "bad_request", "Last-Event-ID"),
            ({"Last-Event-ID": "007"}, "", 400, "bad_request", "Last-Event-ID"),
            ({"Last-Event-ID": str(size)}, "", 400, "bad_request", "Last-Event-ID"),
            ({}, "?since=%d" % (size + 5), 400, "bad_request", "since"),
            ({}, "?from=%d" % (size + 1), 400, "bad_request", "from"),
            ({}, "?from=-1", 400, "bad_request", "from"),
        ]
        for headers, query, status, code, field in cases:
            with self.subTest(headers=headers, query=query):
                h = dict(headers)
                if "Authorization" not in h and query is not None and "token" not in query:
                    h["Authorization"] = "Bearer " + L.token
                r = ct.http_request(L.server.port, "GET", "/v1/feed" + (query or ""), headers=h)
                self.assertError(r, status, code, field)
                if field:
                    self.assertIn(field, r.error["message"])
        # the sentences, the feed's naming an entry's index, a query's plain
        r = ct.http_request(L.server.port, "GET", "/v1/feed",
                            headers={"Authorization": "Bearer " + L.token, "Last-Event-ID": "007"})
        self.assertEqual(r.error["message"], "Last-Event-ID must be an entry's index, a whole "
                                             "number without leading zeros")
        r = L.get("/v1/proof/consistency?old=01&size=1")
        self.assertError(r, 400, "bad_request", "old")
        self.assertEqual(r.error["message"], "old must be a whole number without leading zeros")
        r = L.request("POST", "/v1/feed", b"{}")
        self.assertEqual(r.status, 405, r)


if __name__ == "__main__":
    unittest.main()
