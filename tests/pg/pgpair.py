"""Two PostgreSQL clusters on this machine, a primary and a streaming
standby, for the failover tests (tests/pg/test_pg_failover.py,
tests/pg/test_pg_async.py). Run under tests/pg/with-cluster.sh, for
CMCC_PG_BIN (its own cluster is not used).

Pair(sync=True, tcp=False):
  - initdb of the primary into a new temporary directory (as the
    `postgres` user, through runuser, when the tests run as root);
  - sync: the primary names the standby in synchronous_standby_names with
    synchronous_commit=remote_apply, so a commit returns once the standby
    has applied it; else the standby is asynchronous and may lag;
  - tcp: both listen on 127.0.0.1, on two ports free when the pair was
    made, and the URL names host=127.0.0.1,127.0.0.1 port=P1,P2; else each
    listens only on a unix socket in the temporary directory (ports 5432
    and 5433 there);
  - the standby is a pg_basebackup of the primary, streaming from it.
url(db) is cmcc's multi-host URL with target_session_attrs=read-write;
close() stops both (immediate) and removes the directory.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.geteuid() == 0


def pg(*args, check=True):
    cmd = [os.path.join(os.environ["CMCC_PG_BIN"], args[0])] + list(args[1:])
    if ROOT:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pair:
    def __init__(self, sync=True, tcp=False):
        self.dir = tempfile.mkdtemp(prefix="cmcc-pgfo-")
        os.chmod(self.dir, 0o755)
        if ROOT:
            shutil.chown(self.dir, "postgres")
        self.tcp = tcp
        self.host = "127.0.0.1" if tcp else self.dir
        if tcp:
            self.ports = (free_port(), free_port())
            while self.ports[1] == self.ports[0]:
                self.ports = (self.ports[0], free_port())
        else:
            self.ports = (5432, 5433)
        self.p, self.s = os.path.join(self.dir, "p"), os.path.join(self.dir, "s")
        pg("initdb", "-D", self.p, "-U", "cmcc_test", "-A", "trust", "-E", "UTF8",
           "--locale=C.UTF-8", "--no-sync")
        extra = ("-c synchronous_standby_names=standby1 -c synchronous_commit=remote_apply"
                 if sync else "")
        self.start(self.p, self.ports[0], extra)
        pg("pg_basebackup", "-d", "host=%s port=%d user=cmcc_test" % (self.host, self.ports[0]),
           "-D", self.s, "-R", "-X", "stream", "--no-sync")
        with open(os.path.join(self.s, "postgresql.auto.conf"), "a") as f:
            f.write("primary_conninfo = 'host=%s port=%d user=cmcc_test "
                    "application_name=standby1'\n" % (self.host, self.ports[0]))
        self.start(self.s, self.ports[1], "")

    def url(self, db="cmcc_log"):
        return ("postgresql:///%s?host=%s,%s&port=%d,%d&user=cmcc_test"
                "&target_session_attrs=read-write&connect_timeout=2"
                % (db, self.host, self.host, self.ports[0], self.ports[1]))

    def start(self, data, port, extra=""):
        listen = "-c listen_addresses=127.0.0.1" if self.tcp else "-c listen_addresses="
        pg("pg_ctl", "-D", data, "-l", data + ".log", "-w", "-s", "-o",
           "%s -c unix_socket_directories=%s -c port=%d -c fsync=off %s"
           % (listen, self.dir, port, extra), "start")

    def stop(self, data):
        pg("pg_ctl", "-D", data, "-m", "fast", "-w", "-s", "stop")

    def psql(self, port, sql, db="postgres"):
        r = subprocess.run([os.path.join(os.environ["CMCC_PG_BIN"], "psql"), "-qAtX",
                            "-h", self.dir, "-p", str(port), "-U", "cmcc_test", "-d", db,
                            "-c", sql], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        return r.stdout.strip()

    def caught_up(self, timeout=20):
        """Waits until the standby has replayed all the primary has written."""
        want = self.psql(self.ports[0], "SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while self.psql(self.ports[1], "SELECT pg_last_wal_replay_lsn() >= '%s'" % want) != "t":
            if time.monotonic() > deadline:
                raise AssertionError("the standby did not catch up")
            time.sleep(0.1)

    def kill_primary(self):
        with open(os.path.join(self.p, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)

    def close(self):
        for d in (self.p, self.s):
            pg("pg_ctl", "-D", d, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
