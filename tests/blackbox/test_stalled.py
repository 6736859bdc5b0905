#!/usr/bin/python3
"""Stalled connections (docs/operations.md, "Connections and timeouts"):
connections that send nothing must not keep a new client out for long.

With the defaults (1,024 connections, 64 per address, 5 s of silence
before a request's head has arrived, 30 s once it has), about 1,100
connections from 30 loopback addresses (127.0.0.2 to 127.0.0.31, each
under the per-address limit) send nothing: they fill the server and the
kernel's queue behind it. A fresh client must still get its answer within BOUND seconds, the
server must close every stalled connection itself, append nothing, and
serve as before once they are gone. Loopback only; the test closes every
socket it opened, whatever happens, and its waits are bounded.

With --head-timeout 2: an idle connection is closed after about 2 s; a
request whose head has arrived has --timeout for its body; a kept-alive
connection that has had its answer goes back to the head timeout.
"""
import errno
import os
import resource
import select
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402

SOURCES = 30  # source addresses, 127.0.0.2 onwards
BOUND = 8.0  # seconds a fresh client may wait for its answer
HEAD_TIMEOUT = 5  # the server's default


def raise_nofile():
    """Raises this process's open-file soft limit as far as the hard limit
    allows (the server, its child, inherits it); returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 8192)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft if soft != resource.RLIM_INFINITY else 1 << 20
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def hold(port, n):
    """n connections to port, each from one of SOURCES loopback addresses in
    turn, that will send nothing."""
    socks = []
    try:
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.setblocking(False)
            s.bind(("127.0.0.%d" % (2 + i % SOURCES), 0))
            rc = s.connect_ex(("127.0.0.1", port))
            if rc not in (0, errno.EINPROGRESS):
                raise OSError(rc, "connect from %s: %s" % (s.getsockname()[0], os.strerror(rc)))
    except BaseException:
        close_all(socks)
        raise
    return socks


def close_all(socks):
    for s in socks:
        s.close()


def wait_connected(socks, timeout):
    """How many of socks have connected (are writable without error) within
    timeout seconds."""
    p = select.poll()
    left = {s.fileno(): s for s in socks}
    for fd in left:
        p.register(fd, select.POLLOUT)
    done = 0
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        for fd, ev in p.poll(200):
            s = left.pop(fd, None)
            if s is None:
                continue
            p.unregister(fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                done += 1
    return done


def wait_closed(socks, timeout):
    """How many of socks the server has closed (end of stream or reset)
    within timeout seconds; nothing is ever sent on them."""
    p = select.poll()
    left = {s.fileno(): s for s in socks}
    for fd in left:
        p.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    closed = 0
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        for fd, ev in p.poll(200):
            s = left.pop(fd, None)
            if s is None:
                continue
            p.unregister(fd)
            try:
                data = s.recv(1)
            except OSError:
                data = b""
            if data == b"":
                closed += 1
    return closed


def timed_get(port, path, timeout):
    """(seconds, status or None) of GET path on a fresh connection from
    127.0.0.1, given at most timeout seconds."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" %
                  path.encode())
        got = b""
        while b"\r\n" not in got:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                break
            s.settimeout(left)
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    took = time.monotonic() - t0
    if b"\r\n" not in got:
        return took, None
    return took, int(got.split(b" ", 2)[1])


def recv_all(s, timeout):
    """Everything s receives until the peer closes, or timeout seconds."""
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    return got


def place_event(L):
    return ct.signed(L.coord, ct.event(
        "place.define", {"place": ct.new_id("p"), "kind": "crossing", "name": "P", "lat": 31.2,
                         "lon": 34.3}, "cell"))


class StalledConnections(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        nofile = raise_nofile()
        # the defaults when the limit allows them; fewer connections otherwise
        # (the server needs a descriptor for each, and so does this test)
        cls.limit = min(1024, (nofile - 200) // 64 * 64)
        if cls.limit < 256:
            raise unittest.SkipTest("open-file limit %d is too low for this test" % nofile)
        cls.held = cls.limit + cls.limit * 3 // 40  # about 1,100 for 1,024
        assert cls.held // SOURCES + 1 < 64, "each source address under --per-ip"
        cls.L = ct.Log()
        args = [] if cls.limit == 1024 else ["--max-connections", str(cls.limit)]
        cls.L.start(*args)

    @classmethod
    def tearDownClass(cls):
        ct.stop_clean(cls.L)

    def test_fresh_client_answered_within_bound(self):
        port = self.L.server.port
        before = self.L.size()
        t0 = time.monotonic()
        socks = hold(port, self.held)
        try:
            self.assertEqual(wait_connected(socks, 10), self.held,
                             "every stalled connection reaches the server's queue")
            time.sleep(1)  # the server takes its fill
            took, status = timed_get(port, "/healthz", BOUND)
            self.assertEqual(status, 200,
                             "a fresh client behind %d stalled connections got no answer in "
                             "%.1f s" % (self.held, took))
            self.assertLess(took, BOUND)
            # every stalled connection is closed by the server: those it took
            # at once after the head timeout, the rest (queued behind) after
            # a second one
            left = 3 * HEAD_TIMEOUT + 3 - (time.monotonic() - t0)
            closed = wait_closed(socks, max(left, 1))
            self.assertEqual(closed, self.held, "stalled connections the server closed itself")
        finally:
            close_all(socks)
        # nothing appended, and the server serves as before
        self.assertEqual(self.L.size(), before)
        took, status = timed_get(port, "/healthz", BOUND)
        self.assertEqual(status, 200)
        self.assertLess(took, 2)
        r = self.L.post(place_event(self.L))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.L.size(), before + 1)


class HeadTimeout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.L = ct.Log()
        cls.L.start("--head-timeout", "2", "--timeout", "30")

    @classmethod
    def tearDownClass(cls):
        ct.stop_clean(cls.L)

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.L.server.port), timeout=10)
        self.addCleanup(s.close)
        return s

    def test_idle_connection_closed_after_head_timeout(self):
        s = self.connect()
        t0 = time.monotonic()
        self.assertEqual(recv_all(s, 8), b"")
        took = time.monotonic() - t0
        self.assertGreater(took, 1.5)
        self.assertLess(took, 5)

    def test_part_of_a_head_closed_after_head_timeout(self):
        s = self.connect()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        t0 = time.monotonic()
        self.assertEqual(recv_all(s, 8), b"")
        self.assertLess(time.monotonic() - t0, 5)

    def test_body_has_the_request_timeout(self):
        # the head has arrived: the body may come later than the head timeout
        before = self.L.size()
        env = place_event(self.L)
        s = self.connect()
        s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" %
                  (self.L.token.encode(), len(env)))
        time.sleep(4)
        s.sendall(env)
        got = recv_all(s, 10)
        self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:300])
        self.assertEqual(self.L.size(), before + 1)

    def test_kept_alive_connection_back_to_head_timeout(self):
        s = self.connect()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        s.settimeout(5)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(65536)
            self.assertTrue(chunk, "closed before the answer")
            got += chunk
        self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:300])
        head, _, body = got.partition(b"\r\n\r\n")
        length = int([l.split(b":", 1)[1] for l in head.split(b"\r\n")
                      if l.lower().startswith(b"content-length:")][0])
        t0 = time.monotonic()
        rest = recv_all(s, 8)
        took = time.monotonic() - t0
        self.assertEqual(len(body + rest), length)
        self.assertLess(took, 5, "a kept-alive idle connection waits the head timeout, not 30 s")

    def test_bad_values(self):
        for v in ("0", "-1", "x", "", "1000001"):
            with self.subTest(value=v):
                r = ct.run("serve", self.L.dir, "--listen", "127.0.0.1:0", "--head-timeout", v,
                           timeout=10)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("--head-timeout must be a whole number", r.stderr)


if __name__ == "__main__":
    unittest.main()
