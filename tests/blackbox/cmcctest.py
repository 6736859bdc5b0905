"""cmcctest: the harness of cmcc's black-box tests (like Redis's start_server).

Every test drives the real `cmcc` binary: `cmcc init` makes a log in a
temporary directory, `cmcc serve DIR --listen 127.0.0.1:0` serves it, and
the test talks HTTP to it and checks what comes back against the protocol
(docs/protocol.md). Nothing here links to or imports cmcc's code: keys,
DSSE envelopes, Merkle trees, proofs and signed notes are all recomputed in
Python from the protocol text, so that a test can tell when the server is
wrong.

Environment:
  CMCC_BIN         the cmcc binary (default: ../../build/cmcc)
  CMCC_SHARED_DIR  the shared directory (design/, tools/, testvectors/; by default the
                   directory "shared" beside the repository)
  CMCC_KEEP=1      keep the temporary log directories
  CMCC_TEST_STORE=postgresql
                   every `cmcc init` keeps its store in a new database of the
                   PostgreSQL cluster at CMCC_PG_URL (tests/pg/with-cluster.sh
                   starts one and sets it), instead of DIR/cmcc.db

Only the standard library and Debian's python3-nacl are used.
"""

import atexit
import base64
import hashlib
import http.client
import itertools
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import nacl.exceptions
import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CMCC_BIN = os.environ.get("CMCC_BIN") or os.path.join(REPO, "build", "cmcc")
SHARED_DIR = os.environ.get("CMCC_SHARED_DIR") or os.path.join(os.path.dirname(REPO), "shared")
CASES_DIR = os.path.join(HERE, "cases")

PAYLOAD_TYPE = "application/vnd.cmcc.event+json"
ORIGIN = "blackbox.cmcc.test/log"
COORD_ORG = "cell"
COORD_NAME = "Coordination Cell"

# ---- encodings ---------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def compact(obj) -> bytes:
    """The compact JSON bytes of obj, keys in the order given."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def rfc3339(t=None) -> str:
    """RFC 3339 UTC, whole seconds, 'Z' (the form events use)."""
    if t is None:
        t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def time_ms(text: str) -> int:
    """Milliseconds since the epoch of an RFC 3339 UTC time ('Z', optional
    fraction)."""
    import calendar
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z", text)
    if not m:
        raise ValueError("not an RFC 3339 UTC time: %r" % text)
    s = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return s * 1000 + (int(round(float(m.group(2)) * 1000)) if m.group(2) else 0)


RECEIVED_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

_ids = itertools.count(1)
_run = "%x" % (os.getpid() & 0xFFFF)


def new_id(prefix="e") -> str:
    """An event or thing identifier never used before in this test run."""
    return "%s-%s-%d" % (prefix, _run, next(_ids))


# ---- keys and DSSE -----------------------------------------------------------


def keyid_of(pub: bytes) -> str:
    """docs/protocol.md 2: lowercase hex of the first 8 bytes of SHA-256(public key)."""
    return hashlib.sha256(pub).digest()[:8].hex()


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def pem_seed(path) -> bytes:
    """The Ed25519 seed of a PKCS#8 PEM key: the last 32 bytes of the DER."""
    with open(path) as f:
        text = f.read()
    body = "".join(l for l in text.splitlines() if l and not l.startswith("-----"))
    der = base64.b64decode(body)
    assert len(der) >= 32, "PEM too short"
    return der[-32:]


class Key:
    """An Ed25519 key with its protocol names."""

    def __init__(self, signing_key=None):
        self.sk = signing_key or nacl.signing.SigningKey.generate()
        self.pub = bytes(self.sk.verify_key)
        self.pub_b64 = b64(self.pub)
        self.keyid = keyid_of(self.pub)

    @classmethod
    def from_pem(cls, path):
        return cls(nacl.signing.SigningKey(pem_seed(path)))

    def sign(self, payload: bytes, payload_type=PAYLOAD_TYPE) -> bytes:
        return self.sk.sign(pae(payload_type, payload)).signature

    def __repr__(self):
        return "Key(%s)" % self.keyid


def write_pem(key, path):
    """Writes key as a PKCS#8 PEM file (mode 0600), the form `openssl genpkey
    -algorithm ed25519` and `cmcc keygen` write, for the cmcc commands that
    take --key."""
    der = bytes.fromhex("302e020100300506032b657004220420") + bytes(key.sk)
    text = "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % b64(der)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def verify_sig(pub: bytes, message: bytes, sig: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(pub).verify(message, sig)
        return True
    except nacl.exceptions.BadSignatureError:
        return False


def event(type_, body, org, id_=None, t=None, v=1) -> dict:
    """An event dict with its fields in the protocol's order."""
    return {"v": v, "type": type_, "id": id_ or new_id(), "org": org,
            "time": t if t is not None else rfc3339(), "body": body}


def envelope(payload: bytes, key: Key, keyid=None, sig=None, payload_type=PAYLOAD_TYPE) -> dict:
    """A DSSE envelope of the exact payload bytes signed by key."""
    if isinstance(payload, dict):
        payload = compact(payload)
    return {"payloadType": payload_type, "payload": b64(payload),
            "signatures": [{"keyid": keyid or key.keyid,
                            "sig": b64(sig if sig is not None else key.sign(payload))}]}


def signed(key: Key, ev) -> bytes:
    """The compact envelope bytes of ev (a dict or exact payload bytes) signed by key."""
    return compact(envelope(compact(ev) if isinstance(ev, dict) else ev, key))


def entry_bytes(received: str, env: dict) -> bytes:
    """docs/protocol.md 4: the exact bytes of a log entry."""
    s = env["signatures"][0]
    return (b'{"v":1,"received":"%s","envelope":{"payloadType":"%s","payload":"%s",'
            b'"signatures":[{"keyid":"%s","sig":"%s"}]}}'
            % (received.encode(), env["payloadType"].encode(), env["payload"].encode(),
               s["keyid"].encode(), s["sig"].encode()))


# ---- RFC 6962 Merkle trees ---------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """The Merkle tree hash of a list of leaf hashes (RFC 6962 2.1)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, proof, root) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old, size, old_root, root, proof) -> bool:
    """RFC 9162 2.1.4.2."""
    if old > size or old == 0:
        return False
    if old == size:
        return len(proof) == 0 and old_root == root
    if len(proof) == 0:
        return False
    if old & (old - 1) == 0:  # a power of two: the old root starts the path
        proof = [old_root] + list(proof)
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == root and sn == 0


def parse_bundle(data: bytes):
    """C2SP tlog-tiles entry bundle: uint16 BE length, entry, repeated."""
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise ValueError("bundle cut inside a length")
        n = int.from_bytes(data[i:i + 2], "big")
        if i + 2 + n > len(data):
            raise ValueError("bundle cut inside an entry")
        out.append(data[i + 2:i + 2 + n])
        i += 2 + n
    return out


def tile_index_path(n: int) -> str:
    """C2SP tile index N as 'x001/x234/067'."""
    s = "%03d" % (n % 1000)
    n //= 1000
    while n:
        s = "x%03d/%s" % (n % 1000, s)
        n //= 1000
    return s


# ---- signed notes (C2SP signed-note, tlog-checkpoint) -----------------------


class Vkey:
    """A note verifier key: name+hash+base64(0x01 || pubkey)."""

    def __init__(self, text):
        name, h, key = text.strip().split("+", 2)
        raw = base64.b64decode(key)
        if raw[0] != 1 or len(raw) != 33:
            raise ValueError("not an Ed25519 verifier key")
        self.name, self.hash, self.pub = name, bytes.fromhex(h), raw[1:]
        want = hashlib.sha256(name.encode() + b"\n\x01" + self.pub).digest()[:4]
        if want != self.hash:
            raise ValueError("verifier key hash does not match its key")


def open_checkpoint(note: bytes, vkey: Vkey):
    """Verifies a signed checkpoint; returns (origin, size, root, extra lines).
    Raises ValueError when it does not verify."""
    text, sep, sigs = note.rpartition(b"\n\n")
    if not sep:
        raise ValueError("no blank line between text and signatures")
    text += b"\n"
    ok = False
    for line in sigs.split(b"\n"):
        if not line:
            continue
        if not line.startswith("\u2014 ".encode()):
            raise ValueError("bad signature line %r" % line)
        name, sig = line[4:].decode().split(" ")
        raw = base64.b64decode(sig, validate=True)
        if name == vkey.name and raw[:4] == vkey.hash:
            if len(raw) != 68 or not verify_sig(vkey.pub, text, raw[4:]):
                raise ValueError("the log's signature does not verify")
            ok = True
    if not ok:
        raise ValueError("no signature by the log key")
    lines = text.decode().split("\n")[:-1]
    if len(lines) < 3:
        raise ValueError("checkpoint body has fewer than 3 lines")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    if str(size) != lines[1] or len(root) != 32:
        raise ValueError("bad size or root line")
    return origin, size, root, lines[3:]


# ---- running cmcc ------------------------------------------------------------


# what `cmcc verify URL` remembers goes to a directory of the test run's own,
# not the user's ~/.local/state/cmcc (a test gives --state to choose its own)
STATE_HOME = tempfile.mkdtemp(prefix="cmcc-bb-state-")
atexit.register(shutil.rmtree, STATE_HOME, True)


PG_STORE = os.environ.get("CMCC_TEST_STORE") == "postgresql"
_pg_databases = itertools.count()


def new_pg_database():
    """A new, empty database in the cluster at CMCC_PG_URL: its URL."""
    base = os.environ["CMCC_PG_URL"]
    name = "cmcc_%d_%d" % (os.getpid(), next(_pg_databases))
    psql = os.path.join(os.environ.get("CMCC_PG_BIN", "/usr/bin"), "psql")
    subprocess.run([psql, "-qX", base, "-c", "CREATE DATABASE " + name], check=True,
                   capture_output=True)
    return base.replace("postgresql:///postgres?", "postgresql:///%s?" % name, 1)


class PgStore:
    """The few calls of sqlite3's connection that tests changing a log's
    rows use (execute with ? parameters, fetchone, fetchall, iteration,
    commit, close), on its PostgreSQL store through psql: each execute is
    one psql run, committed as it runs. Values come back as text, int
    (digits) or bytes (bytea)."""

    def __init__(self, url):
        self.url = url

    @staticmethod
    def literal(v):
        if v is None:
            return "NULL"
        if isinstance(v, (bytes, bytearray)):
            return "'\\x%s'::bytea" % bytes(v).hex()
        if isinstance(v, (int, float)):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"

    @staticmethod
    def value(text):
        if text.startswith("\\x"):
            return bytes.fromhex(text[2:])
        return int(text) if re.fullmatch(r"-?\d+", text) else text

    def execute(self, sql, params=()):
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, sql
        text = parts[0] + "".join(self.literal(p) + rest for p, rest in zip(params, parts[1:]))
        psql = os.path.join(os.environ.get("CMCC_PG_BIN", "/usr/bin"), "psql")
        r = subprocess.run([psql, "-qAtX", "-v", "ON_ERROR_STOP=1", "-F", "\x1f", "-R", "\x1e",
                            self.url, "-c", text], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("psql: %s: %s" % (text[:200], r.stderr))
        out = r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout
        return _Rows([tuple(self.value(v) for v in rec.split("\x1f"))
                      for rec in out.split("\x1e") if rec])

    def commit(self):
        pass

    def close(self):
        pass


class _Rows(list):
    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


def store_url(d):
    """The `store = URL` of DIR/cmcc.conf, or None."""
    try:
        with open(os.path.join(d, "cmcc.conf")) as f:
            for line in f:
                m = re.match(r"\s*store\s*=\s*(\S+)", line)
                if m:
                    return m.group(1)
    except FileNotFoundError:
        pass
    return None


def store_db(d):
    """A connection to the store of the log in DIR, to change its rows:
    sqlite3's to DIR/cmcc.db, or a PgStore to its database."""
    url = store_url(d)
    if url:
        return PgStore(url)
    import sqlite3
    return sqlite3.connect(os.path.join(d, "cmcc.db"))


def until(fn, timeout=5.0, what="condition", step=0.05):
    """fn()'s first true answer, asked every `step` seconds; AssertionError
    naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(step)


def node_package(folder, package, what):
    """node, with the npm package `package` (a path under node_modules) of
    tests/FOLDER installed from its lockfile (`npm ci`) when missing. `what`
    says what cannot be checked without it. Raises AssertionError saying
    what is wrong: a test that needs an independent checker never skips."""
    d = os.path.join(REPO, "tests", folder)
    installed = os.path.join(d, "node_modules", package)
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node:
        raise AssertionError("node is not installed: run scripts/install-deps.sh "
                             "(Debian's nodejs and npm); %s cannot be checked without it" % what)
    if not os.path.isdir(installed):
        if not npm:
            raise AssertionError("npm is not installed and %s is missing: run "
                                 "scripts/install-deps.sh" % installed)
        r = subprocess.run([npm, "ci", "--prefix", d, "--prefer-offline", "--no-audit",
                            "--no-fund", "--loglevel=error"],
                           capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0 or not os.path.isdir(installed):
            raise AssertionError("`npm ci --prefix tests/%s` failed (exit %d), so %s is not "
                                 "installed:\n%s%s" % (folder, r.returncode, package,
                                                        r.stdout, r.stderr))
    return node


def node_run(node, folder, script, args=(), files=()):
    """(exit status, stdout, stderr) of `node tests/FOLDER/SCRIPT args...
    paths...`, where files are (name, bytes) pairs written into a temporary
    directory (removed afterwards) whose paths follow args in their order;
    node is node_package's answer."""
    d = tempfile.mkdtemp(prefix="cmcc-%s-" % folder)
    try:
        paths = []
        for name, data in files:
            paths.append(os.path.join(d, name))
            with open(paths[-1], "wb") as f:
                f.write(data)
        r = subprocess.run([node, os.path.join(REPO, "tests", folder, script)] + list(args) +
                           paths, capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout, r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def sqlite_only(why):
    """Skips a test under CMCC_TEST_STORE=postgresql: it changes the SQLite
    file itself (why); tests/pg/ tests the same on PostgreSQL."""
    return unittest.skipIf(PG_STORE, "changes DIR/cmcc.db itself: " + why)


def run(*args, input=None, timeout=60, env=None):
    """Runs `cmcc args...`; returns CompletedProcess with text stdout/stderr.
    With CMCC_TEST_STORE=postgresql, `cmcc init DIR ...` gets --store with a
    database of its own (unless the test gives --store itself, or makes the
    log from a mirror, whose store is a SQLite file)."""
    args = list(args)
    if PG_STORE and args and args[0] == "init" and "--store" not in args and \
            "--from-mirror" not in args and \
            not any(str(a).startswith("--store=") for a in args) and \
            not any(a in ("-h", "--help") for a in args):
        args += ["--store", new_pg_database()]
    e = dict(os.environ)
    e.pop("CMCC_TOKEN", None)
    e["XDG_STATE_HOME"] = STATE_HOME
    if env:
        e.update(env)
    return subprocess.run([CMCC_BIN] + [str(a) for a in args], input=input,
                          capture_output=True, text=True, timeout=timeout, env=e)


def write_conf(path, text):
    """Writes the cmcc.conf at path with text (str or bytes), keeping the
    `store = ...` line the file held (a log made with --store names its
    store there), last, so that the lines of text keep their numbers. With
    text empty and no such line, the file is removed."""
    keep = b""
    try:
        with open(path, "rb") as f:
            keep = b"".join(l for l in f if re.match(rb"\s*store\s*=", l))
    except FileNotFoundError:
        pass
    data = text.encode() if isinstance(text, str) else text
    if not data and not keep:
        if os.path.exists(path):
            os.unlink(path)
        return
    if data and not data.endswith(b"\n") and keep:
        data += b"\n"
    with open(path, "wb") as f:
        f.write(data + keep)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def error(self):
        return self.json.get("error")

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:400])


def http_request(port, method, path, body=None, headers=None, timeout=60, context=None):
    """One request on a fresh connection, HTTPS when context (an
    ssl.SSLContext) is given. A server that answers early (413) and closes
    while the body is still being sent is tolerated."""
    if context is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    try:
        try:
            conn.request(method, path, body=body, headers=headers or {})
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


_live = []  # every server process started, for cleanup at exit


def _kill_all():
    for p in _live:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(_kill_all)


def _die_with_parent():
    """In the child: SIGKILL when the test process dies, however it dies
    (a CTest timeout kills it with no chance to clean up)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Server:
    """`cmcc serve DIR --listen 127.0.0.1:0` as a subprocess (serving HTTPS
    when args hold --tls-cert and --tls-key: scheme says which)."""

    def __init__(self, directory, args=()):
        self.dir = directory
        self.errlog = open(os.path.join(directory, "serve.stderr"), "ab")
        self.proc = subprocess.Popen(
            [CMCC_BIN, "serve", directory, "--listen", "127.0.0.1:0"] + list(args),
            stdout=subprocess.PIPE, stderr=self.errlog, preexec_fn=_die_with_parent)
        _live.append(self.proc)
        line = self._readline(15)
        m = re.match(rb"cmcc: serving (\S+) \((\d+) entr(?:y|ies)\) at (https?)://127\.0\.0\.1:(\d+)/",
                     line)
        if not m:
            self.kill()
            raise RuntimeError("cmcc serve did not start: %r; stderr: %s" % (line, self.stderr()))
        self.start_line = line.decode()
        self.origin = m.group(1).decode()
        self.start_size = int(m.group(2))
        self.scheme = m.group(3).decode()
        self.port = int(m.group(4))
        self.url = "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def _readline(self, timeout):
        buf = b""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            c = os.read(fd, 1)
            if not c:
                break
            buf += c
        return buf

    def stderr(self):
        if not self.errlog.closed:
            self.errlog.flush()
        with open(os.path.join(self.dir, "serve.stderr"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, timeout=20, sig=signal.SIGTERM):
        """Sends sig (SIGTERM); returns (exit status, rest of stdout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            self.errlog.close()
            return None, (out or b"").decode(errors="replace")
        self.errlog.close()
        return self.proc.returncode, (out or b"").decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.errlog.close()


class Log:
    """A log directory made by `cmcc init`, its coordinator key and tokens,
    and (once started) its server. HTTP helpers send real requests."""

    def __init__(self, origin=ORIGIN, org=COORD_ORG, name=COORD_NAME):
        self.dir = tempfile.mkdtemp(prefix="cmcc-bb-")
        self.origin, self.org = origin, org
        r = run("init", self.dir, "--origin", origin, "--org", org, "--name", name)
        if r.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError("cmcc init failed: %s" % r.stderr)
        self.vkey_text = r.stdout.strip()
        self.vkey = Vkey(self.vkey_text)
        self.coord = Key.from_pem(os.path.join(self.dir, "coordinator.pem"))
        self.keys = {org: [self.coord]}  # org -> its keys, first is the default signer
        self.token, self.token_id = self.create_token(org)
        self.server = None
        self.context = None  # an ssl.SSLContext: the HTTP helpers speak HTTPS

    # -- operator commands
    def create_token(self, org):
        r = run("token", "create", self.dir, "--org", org)
        if r.returncode != 0:
            raise RuntimeError("cmcc token create failed: %s" % r.stderr)
        m = re.search(r"created token (\S+) for", r.stderr)
        return r.stdout.strip(), (m.group(1) if m else None)

    def revoke_token(self, token_id):
        return run("token", "revoke", self.dir, token_id)

    @property
    def db(self):
        """The SQLite store. With CMCC_TEST_STORE=postgresql, a new SQLite
        copy of the database (`cmcc backup`), to read: writes to it reach
        nothing (tests that change the store are sqlite_only)."""
        if not PG_STORE:
            return os.path.join(self.dir, "cmcc.db")
        path = os.path.join(self.dir, "copy-%d.db" % next(_pg_databases))
        r = run("backup", self.dir, path)
        if r.returncode != 0:
            raise RuntimeError("cmcc backup failed: %s" % r.stderr)
        return path

    # -- the server
    def start(self, *args):
        """Starts `cmcc serve DIR --listen 127.0.0.1:0 args...`."""
        assert self.server is None
        self.server = Server(self.dir, args)
        return self.server

    def stop(self, sig=signal.SIGTERM):
        """Stops the server (SIGTERM); returns (status, stdout)."""
        s, self.server = self.server, None
        return s.stop(sig=sig) if s else (0, "")

    def close(self):
        if self.server:
            self.server.kill()
            self.server = None
        if not os.environ.get("CMCC_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self):
        return self.server.url

    # -- HTTP
    def request(self, method, path, body=None, content_type=None, token=True, headers=None):
        h = dict(headers or {})
        if token is True:
            token = self.token
        if token:
            h["Authorization"] = "Bearer " + token
        if content_type:
            h["Content-Type"] = content_type
        if isinstance(body, str):
            body = body.encode()
        return http_request(self.server.port, method, path, body, h, context=self.context)

    def get(self, path, token=True):
        return self.request("GET", path, token=token)

    def post(self, env, content_type="application/json", token=True):
        """POSTs one envelope (dict or bytes) to /v1/events."""
        if isinstance(env, dict):
            env = compact(env)
        return self.request("POST", "/v1/events", env, content_type, token)

    def batch(self, lines, token=True, content_type="application/x-ndjson"):
        body = b"".join((compact(l) if isinstance(l, dict) else l) + b"\n" for l in lines)
        return self.request("POST", "/v1/events", body, content_type, token)

    def size(self) -> int:
        r = self.get("/healthz", token=None)
        assert r.status == 200, r
        return r.json["size"]

    def checkpoint(self):
        r = self.get("/checkpoint", token=None)
        assert r.status == 200, r
        return open_checkpoint(r.body, self.vkey)

    def wait_checkpoint(self, size, timeout=5.0):
        """Polls /checkpoint until it covers at least size entries."""
        deadline = time.monotonic() + timeout
        while True:
            c = self.checkpoint()
            if c[1] >= size or time.monotonic() > deadline:
                return c
            time.sleep(0.05)

    def entries(self, size=None):
        """All entries 0..size-1 read from the entry bundles (authoritative bytes)."""
        if size is None:
            size = self.size()
        out = []
        for n in range((size + 255) // 256):
            w = min(256, size - n * 256)
            path = "/tile/entries/" + tile_index_path(n) + ("" if w == 256 else ".p/%d" % w)
            r = self.get(path)
            assert r.status == 200, (path, r)
            got = parse_bundle(r.body)
            assert len(got) == w, (path, len(got), w)
            out.extend(got)
        return out

    # -- events
    def submit(self, key, type_, body, org=None, id_=None, t=None):
        """Signs and POSTs one event; returns (Response, envelope bytes)."""
        ev = event(type_, body, org or self.org_of(key), id_, t)
        env = signed(key, ev)
        return self.post(env), env

    def org_of(self, key):
        for org, keys in self.keys.items():
            if key in keys:
                return org
        raise KeyError(key)

    def ok(self, key, type_, body, org=None, id_=None):
        """Submits an event that must be accepted; returns its receipt."""
        r, _ = self.submit(key, type_, body, org, id_)
        if r.status != 200:
            raise AssertionError("%s %s refused: %r" % (type_, body, r))
        return r.json

    def admit(self, org, roles, nkeys=1, name=None, keys=None):
        """Admits org (org.admit by the coordinator) with new keys; returns them."""
        keys = keys or [Key() for _ in range(nkeys)]
        body = {"org": org, "name": name or org.title(), "roles": list(roles),
                "keys": [{"public_key": k.pub_b64} for k in keys]}
        self.ok(self.coord, "org.admit", body)
        self.keys[org] = list(keys)
        return keys

    def suspend(self, org, reason="testing"):
        return self.ok(self.coord, "org.suspend", {"org": org, "reason": reason})

    def reinstate(self, org):
        return self.ok(self.coord, "org.reinstate", {"org": org})

    def add_key(self, org, key=None, signer=None):
        key = key or Key()
        self.ok(signer or self.coord, "key.add", {"org": org, "public_key": key.pub_b64})
        self.keys.setdefault(org, []).append(key)
        return key

    def revoke_key(self, org, key, signer=None, reason="lost"):
        return self.ok(signer or self.coord, "key.revoke",
                       {"org": org, "keyid": key.keyid, "reason": reason})

    def define_place(self, place=None, kind="crossing", **extra):
        place = place or new_id("p")
        body = {"place": place, "kind": kind, "name": "Place " + place, "lat": 31.2, "lon": 34.3}
        body.update(extra)
        self.ok(self.coord, "place.define", body)
        return place

    def orgs(self):
        r = self.get("/v1/orgs")
        assert r.status == 200, r
        return {o["org"]: o for o in r.json["orgs"]}

    def consignment(self, cid):
        """GET /v1/consignments/<cid>, which must exist."""
        r = self.get("/v1/consignments/" + cid)
        assert r.status == 200, (cid, r)
        return r.json

    def consignments(self, **filters):
        """GET /v1/consignments[?status=&crossing=&org=]: the list."""
        q = "&".join("%s=%s" % kv for kv in sorted(filters.items()))
        r = self.get("/v1/consignments" + ("?" + q if q else ""))
        assert r.status == 200, (filters, r)
        return r.json["consignments"]

    def places(self):
        r = self.get("/v1/places")
        assert r.status == 200, r
        return {p["place"]: p for p in r.json["places"]}

    def things(self, kind, query=""):
        """GET /v1/<kind>[?query] (sites, zones, movements, incidents): the list."""
        r = self.get("/v1/%s%s" % (kind, "?" + query if query else ""))
        assert r.status == 200, (kind, query, r)
        return r.json[kind]

    def thing(self, kind, id_):
        """The one thing of kind (sites, zones, movements, incidents) with id_, or None."""
        key = kind[:-1]
        found = [t for t in self.things(kind) if t[key] == id_]
        assert len(found) <= 1, found
        return found[0] if found else None

    def movement(self, mid):
        """GET /v1/movements/<mid>, which must exist."""
        r = self.get("/v1/movements/" + mid)
        assert r.status == 200, (mid, r)
        return r.json

    def stats(self):
        """GET /v1/stats (public, no token)."""
        r = self.get("/v1/stats", token=None)
        assert r.status == 200, r
        return r.json


# ---- supply (docs/protocol.md 3 "Supply") ----------------------------------------
#
# Body builders: quantities are given as {line: quantity}; the lines are
# written in line order. Optional fields are left out unless given.


def qty_lines(q, key="quantity"):
    """[{"line": n, key: q}, ...] in line order, from {n: q} or [(n, q), ...]."""
    items = sorted(q.items()) if isinstance(q, dict) else list(q)
    return [{"line": n, key: v} for n, v in items]


def declare_body(consignment, crossing, lines, consignee=None, donor=None, reference=None):
    """lines: {n: quantity} (item, category food, unit bag) or a list of line dicts."""
    if isinstance(lines, dict):
        lines = [{"line": n, "item": "item %d" % n, "category": "food", "quantity": q,
                  "unit": "bag"} for n, q in sorted(lines.items())]
    b = {"consignment": consignment, "crossing": crossing, "lines": lines}
    for k, v in (("consignee", consignee), ("donor", donor), ("reference", reference)):
        if v is not None:
            b[k] = v
    return b


def screen_body(consignment, approved, reasons=None):
    """approved: {n: approved}; reasons: {n: reason} for the lines cut."""
    reasons = reasons or {}
    ds = []
    for n, a in sorted(approved.items()):
        d = {"line": n, "approved": a}
        if n in reasons:
            d["reason"] = reasons[n]
        ds.append(d)
    return {"consignment": consignment, "decisions": ds}


def enter_body(consignment, transfer, crossing, to, q):
    return {"consignment": consignment, "transfer": transfer, "crossing": crossing, "to": to,
            "lines": qty_lines(q)}


def transfer_body(transfer, consignment, to, q, place=None):
    b = {"transfer": transfer, "consignment": consignment, "to": to, "lines": qty_lines(q)}
    if place is not None:
        b["place"] = place
    return b


def accept_body(transfer, received):
    return {"transfer": transfer, "lines": qty_lines(received, "received")}


def reject_body(transfer, reason="refused at the gate"):
    return {"transfer": transfer, "reason": reason}


def distribution_body(distribution, consignment, place, q, households=None, individuals=None):
    b = {"distribution": distribution, "consignment": consignment, "place": place,
         "lines": qty_lines(q)}
    if households is not None:
        b["households"] = households
    if individuals is not None:
        b["individuals"] = individuals
    return b


def loss_body(loss, consignment, cause, source, q, org=None, incident=None):
    b = {"loss": loss, "consignment": consignment, "cause": cause, "from": source,
         "lines": qty_lines(q)}
    if org is not None:
        b["org"] = org
    if incident is not None:
        b["incident"] = incident
    return b


def ledger_problems(c):
    """What is wrong with the ledger of a served consignment (GET
    /v1/consignments/<id>): every line's accounts must be positive (zero
    balances are left out) and sum to its `entered`, and the consignment's
    totals must be the sums over its lines. [] when all holds."""
    bad = []
    kinds = {"held": "held", "pending": "pending", "distributed": "distributed",
             "lost": "lost", "unaccounted": "unaccounted"}
    totals = dict.fromkeys(kinds.values(), 0)
    totals.update(declared=0, approved=0, entered=0)
    for l in c["lines"]:
        acc = l["accounts"]
        for a, q in acc.items():
            if not isinstance(q, int) or q <= 0:
                bad.append("line %s: account %s is %r" % (l["line"], a, q))
            kind = a.split(":", 1)[0]
            if kind not in kinds or (kind == "distributed") != (a == "distributed"):
                bad.append("line %s: unknown account %r" % (l["line"], a))
            else:
                totals[kinds[kind]] += q
        if sum(acc.values()) != l["entered"]:
            bad.append("line %s: entered %s but the accounts sum to %s (%r)"
                       % (l["line"], l["entered"], sum(acc.values()), acc))
        if l["approved"] is not None and l["entered"] > l["approved"]:
            bad.append("line %s: entered %s > approved %s" % (l["line"], l["entered"],
                                                              l["approved"]))
        if l["approved"] is not None and l["approved"] > l["declared"]:
            bad.append("line %s: approved > declared" % l["line"])
        totals["declared"] += l["declared"]
        totals["approved"] += l["approved"] or 0
        totals["entered"] += l["entered"]
    for k, v in totals.items():
        if c.get(k) != v:
            bad.append("total %s is %r, the lines give %r" % (k, c.get(k), v))
    return bad


def balances(c):
    """{line: accounts} of a served consignment."""
    return {l["line"]: dict(l["accounts"]) for l in c["lines"]}


# ---- deconfliction and incidents (docs/protocol.md 3) ---------------------------
#
# Body builders: optional fields are left out unless given; points are
# [lat, lon] as events carry them. Polygon builders give counter-clockwise
# rings in the (lon, lat) plane unless reversed.


def hours(h, base=None) -> str:
    """RFC 3339 time h hours from base (default now), whole seconds."""
    return rfc3339((time.time() if base is None else base) + h * 3600)


def _opt(b, **extra):
    for k, v in extra.items():
        if v is not None:
            b[k] = v
    return b


def site_body(site, lat=31.5, lon=34.45, kind="clinic", name=None, radius_m=None, from_=None,
              until=None):
    return _opt({"site": site, "kind": kind, "name": name or "Site " + site, "lat": lat,
                 "lon": lon, "from": from_ or hours(-24)}, radius_m=radius_m, until=until)


def zone_body(zone, polygon, kind="closed", from_=None, until=None):
    return _opt({"zone": zone, "kind": kind, "polygon": polygon, "from": from_ or hours(-24)},
                until=until)


def movement_body(movement, route, window_start=None, window_end=None, vehicles=2,
                  purpose="food convoy", consignments=None, from_place=None, to_place=None):
    return _opt({"movement": movement, "purpose": purpose, "route": route,
                 "window_start": window_start or hours(72),
                 "window_end": window_end or hours(80), "vehicles": vehicles},
                consignments=consignments, from_place=from_place, to_place=to_place)


def respond_body(movement, decision="acknowledged", reason=None, conditions=None):
    return _opt({"movement": movement, "decision": decision}, reason=reason,
                conditions=conditions)


def report_body(movement, outcome="completed", reason=None, incident=None):
    return _opt({"movement": movement, "outcome": outcome}, reason=reason, incident=incident)


def incident_body(incident, category="other", severity="low", occurred=None,
                  description="something happened", **refs):
    """refs: lat, lon, place, consignment, movement, site."""
    return _opt({"incident": incident, "category": category,
                 "occurred": occurred or hours(-1), "severity": severity,
                 "description": description}, **refs)


def rect(lat0, lon0, lat1, lon1):
    """The rectangle lat0..lat1 x lon0..lon1, counter-clockwise in (lon, lat)."""
    return [[lat0, lon0], [lat0, lon1], [lat1, lon1], [lat1, lon0]]


def circle(lat, lon, r_deg, n):
    """A regular n-gon of radius r_deg degrees, counter-clockwise, rounded to
    7 decimals (simple for any n up to thousands at r_deg >= 0.1)."""
    import math
    return [[round(lat + r_deg * math.sin(2 * math.pi * i / n), 7),
             round(lon + r_deg * math.cos(2 * math.pi * i / n), 7)] for i in range(n)]


def ring_area2(ring_lonlat):
    """Twice the signed area of a ring of [x, y] positions (shoelace); > 0 for
    counter-clockwise. A closing position equal to the first adds nothing."""
    s = 0.0
    n = len(ring_lonlat)
    for i in range(n):
        x0, y0 = ring_lonlat[i - 1][:2]
        x1, y1 = ring_lonlat[i][:2]
        s += x0 * y1 - x1 * y0
    return s


# ---- unittest glue -----------------------------------------------------------


def check_clean_exit(status, out, err):
    if status != 0 or "stopped cleanly" not in out:
        raise AssertionError("cmcc serve exited %r: %s %s" % (status, out, err))
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        if bad in err:
            raise AssertionError("cmcc serve reported: %s" % err)


def map_strings(v, fn):
    """v (a case's JSON value) with every string s in it, at any depth of
    lists and objects, replaced by fn(s), which may be any value: the one
    walker the test cases' placeholders are expanded with."""
    if isinstance(v, str):
        return fn(v)
    if isinstance(v, list):
        return [map_strings(x, fn) for x in v]
    if isinstance(v, dict):
        return {k: map_strings(x, fn) for k, x in v.items()}
    return v


def raw_exchange(port, data, timeout=20):
    """Sends data, bytes written as given, on a fresh connection to port
    and reads until the server closes it: (status, head text, body bytes).
    For requests no HTTP client would send (any byte in a target, oversized
    heads); a reset while sending or reading ends what was read."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head.decode(errors="replace"), body


def stop_clean(log):
    """Stops log's server with SIGTERM: it must exit 0 and report no
    sanitizer error; then removes the log, whatever happened."""
    try:
        err = log.server.stderr
        check_clean_exit(*log.stop(), err())
    finally:
        log.close()


class LogTestCase(unittest.TestCase):
    """A test class with one log and one server for all its tests
    (setUpClass), stopped and removed whatever happens."""

    log = None

    @classmethod
    def setUpClass(cls):
        cls.log = Log()
        cls.addClassCleanup(cls.log.close)
        cls.log.start()

    @classmethod
    def tearDownClass(cls):
        """Stops the server with SIGTERM: it must exit 0 and report no
        sanitizer error (the process is killed by close() otherwise)."""
        if cls.log and cls.log.server:
            err = cls.log.server.stderr
            status, out = cls.log.stop()
            check_clean_exit(status, out, err())

    def assertError(self, r, status, code, field=None):
        """r is the error status/code (and field, when given: "" = no field)."""
        self.assertEqual(r.status, status, r)
        self.assertIn("error", r.json, r)
        e = r.json["error"]
        self.assertEqual(e.get("code"), code, r)
        self.assertIsInstance(e.get("message"), str, r)
        self.assertTrue(e["message"], r)
        if field is not None:
            if field == "":
                self.assertNotIn("field", e, r)
            else:
                self.assertEqual(e.get("field"), field, r)

    def assertReceipt(self, r, index=None, duplicate=False):
        self.assertEqual(r.status, 200, r)
        j = r.json
        # "proof" comes with an entry a published checkpoint already holds
        self.assertEqual(sorted(k for k in j if k != "proof"),
                         ["duplicate", "index", "leaf_hash"], r)
        if "proof" in j:
            self.assertTrue(j["proof"].startswith("c2sp.org/tlog-proof@v1\n"), r)
            self.assertIn("\nindex %d\n" % j["index"], j["proof"], r)
        self.assertIs(j["duplicate"], duplicate, r)
        self.assertEqual(len(unb64(j["leaf_hash"])), 32, r)
        if index is not None:
            self.assertEqual(j["index"], index, r)
        return j


def main():
    unittest.main(verbosity=int(os.environ.get("CMCC_TEST_VERBOSITY", "2")))


def load_case_file(name, driver):
    """The document of cases/NAME, which must name DRIVER as its driver."""
    with open(os.path.join(CASES_DIR, name)) as f:
        doc = json.load(f)
    assert doc.get("driver", driver) == driver, (name, doc["driver"])
    return doc


def slug(s):
    """A case's name as part of a test method's name."""
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")[:60]


def add_case_tests(cls, cases, prefix):
    """One test method of cls per case, named after it, calling
    cls.run_case(case)."""
    for i, case in enumerate(cases):
        def t(self, case=case):
            self.run_case(case)
        t.__doc__ = "%s: %s" % (prefix, case["name"])
        setattr(cls, "test_%s_%03d_%s" % (prefix, i, slug(case["name"])), t)


def csv_long(text):
    """A CSV export in HXL's long form (docs/protocol.md, "CSV exports"):
    (header, hxl row, records), a record per key in the order its rows
    come, each (keys, figures, units): keys {heading: cell} of the columns
    other than figure, unit and value; figures {figure: value} (text, ''
    when never given); units {figure: unit} ({} when the export has no
    unit column). A record's rows must be together."""
    import csv
    import io
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, hxl = rows[0], rows[1]
    records, seen = [], set()
    for r in rows[2:]:
        assert len(r) == len(header), r
        d = dict(zip(header, r))
        keys = {h: v for h, v in d.items() if h not in ("figure", "unit", "value")}
        k = tuple(sorted(keys.items()))
        if not records or records[-1][0] != keys:
            assert k not in seen, ("a record's rows apart", keys)
            seen.add(k)
            records.append((keys, {}, {}))
        assert d["figure"] not in records[-1][1], ("a figure twice", r)
        records[-1][1][d["figure"]] = d["value"]
        if "unit" in d:
            records[-1][2][d["figure"]] = d["unit"]
    return header, hxl, records
