#!/usr/bin/python3
"""HTTPS: `cmcc serve --tls-cert FILE --tls-key FILE` (or tls.cert and
tls.key in DIR/cmcc.conf) and the clients' --cacert FILE ($CMCC_CACERT).

A throwaway CA and a server certificate for 127.0.0.1 and localhost are
made with `openssl` in a temporary directory when the tests start (no key
is ever kept). The real server is started with them; Python's ssl module,
trusting only that CA, talks to it: /healthz answers JSON, a signed event
is appended, plain HTTP to the port gets no answer. `cmcc submit`, `cmcc
verify URL` and `cmcc report --server` work with --cacert (or
$CMCC_CACERT) and without it fail at once with a sentence about the
certificate. Bad inputs to the server: one of the pair alone (usage, exit
2), a file that is not PEM, a key of another certificate, an encrypted key,
a missing file (exit 1, the file named, nothing served), and the same in
cmcc.conf.
"""
import concurrent.futures
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmcctest as ct  # noqa: E402


def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr))


class Pki:
    """A CA, a server certificate it signed for 127.0.0.1 and localhost, a
    second CA that signed nothing here, and a key of no certificate, in a
    temporary directory (keys mode 600)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cmcc-tls-")
        d = self.dir
        for ca in ("ca", "other-ca"):
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2",
                    "-subj", "/CN=cmcc test " + ca, cwd=d)
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
                cwd=d)
        openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", "stray.key", cwd=d)
        openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:secret",
                "-out", "encrypted.key", cwd=d)
        with open(os.path.join(d, "not-pem.pem"), "w") as f:
            f.write("this is not a certificate\n")
        for name in os.listdir(d):
            os.chmod(os.path.join(d, name), 0o600 if name.endswith(".key") else 0o644)

    def path(self, name):
        return os.path.join(self.dir, name)

    def context(self, ca="ca.pem"):
        """A client context trusting only this CA."""
        return ssl.create_default_context(cafile=self.path(ca))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


PKI = None


def setUpModule():
    global PKI
    PKI = Pki()


def tearDownModule():
    PKI.close()


def tls_args(cert="server.pem", key="server.key"):
    return ["--tls-cert", PKI.path(cert), "--tls-key", PKI.path(key)]


class Https(unittest.TestCase):
    """One log served over HTTPS for all these tests."""

    @classmethod
    def setUpClass(cls):
        cls.log = ct.Log()
        cls.addClassCleanup(cls.log.close)
        cls.server = cls.log.start(*tls_args())
        cls.log.context = PKI.context()

    @classmethod
    def tearDownClass(cls):
        err = cls.log.server.stderr
        status, out = cls.log.stop()
        ct.check_clean_exit(status, out, err())

    def write_envelopes(self, n):
        """A file of n signed key.add envelopes of the coordinator."""
        path = os.path.join(self.log.dir, "outbox-%s.ndjson" % ct.new_id("o"))
        with open(path, "wb") as f:
            for _ in range(n):
                ev = ct.event("key.add", {"org": ct.COORD_ORG, "public_key": ct.Key().pub_b64},
                              ct.COORD_ORG)
                f.write(ct.signed(self.log.coord, ev) + b"\n")
        return path

    def test_start_line_says_https(self):
        self.assertEqual(self.server.scheme, "https")
        self.assertTrue(self.log.url.startswith("https://127.0.0.1:"), self.log.url)
        self.assertNotIn("warning", self.server.stderr())

    def test_healthz_over_https_with_the_ca(self):
        r = self.log.get("/healthz", token=None)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("application/json"), r.headers)
        self.assertEqual(r.json["status"], "ok")
        self.assertIsInstance(r.json["size"], int)

    def handshake(self, version, old=False):
        """The TLS version agreed when the client offers only version."""
        ctx = PKI.context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ctx.maximum_version = version
        if old:
            ctx.set_ciphers("ALL:@SECLEVEL=0")  # so that this client offers it at all
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                return s.version(), s.getpeercert(binary_form=True)

    def test_tls_1_2_and_1_3_and_the_served_certificate(self):
        with open(PKI.path("server.pem")) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        self.assertEqual(self.handshake(ssl.TLSVersion.TLSv1_2), ("TLSv1.2", der))
        self.assertEqual(self.handshake(ssl.TLSVersion.TLSv1_3), ("TLSv1.3", der))

    def test_tls_1_1_is_refused_by_the_server(self):
        try:
            got = self.handshake(ssl.TLSVersion.TLSv1_1, old=True)
        except ssl.SSLError as e:
            if e.reason == "NO_PROTOCOLS_AVAILABLE":
                self.skipTest("this client cannot offer TLS 1.1: %s" % e)
            return  # the server ended the handshake
        except OSError:
            return
        self.fail("a TLS 1.1 handshake succeeded: %r" % (got[0],))

    def test_post_of_a_signed_event_appends_it(self):
        L = self.log
        size = L.size()
        r, env = L.submit(L.coord, "key.add", {"org": ct.COORD_ORG, "public_key": ct.Key().pub_b64})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["index"], size)
        self.assertEqual(L.size(), size + 1)
        self.assertIn(env, b"".join(e for e in L.entries()))

    def test_a_batch_over_https(self):
        L = self.log
        size = L.size()
        lines = [ct.signed(L.coord, ct.event("key.add", {"org": ct.COORD_ORG,
                                                         "public_key": ct.Key().pub_b64},
                                             ct.COORD_ORG)) for _ in range(200)]
        r = L.batch(lines)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["results"]), 200)
        self.assertTrue(all("error" not in x for x in r.json["results"]), r)
        self.assertEqual(L.size(), size + 200)

    def test_concurrent_posts_over_https(self):
        """Each POST waits for the sequencer (its connection suspended and
        resumed): over TLS too, every one is answered and appended."""
        L = self.log
        size = L.size()
        envs = [ct.signed(L.coord, ct.event("key.add", {"org": ct.COORD_ORG,
                                                        "public_key": ct.Key().pub_b64},
                                            ct.COORD_ORG)) for _ in range(64)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda e: L.post(e).status, envs))
        self.assertEqual(statuses, [200] * len(envs))
        self.assertEqual(L.size(), size + len(envs))

    def test_the_system_store_does_not_trust_a_private_ca(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            ct.http_request(self.server.port, "GET", "/healthz",
                            context=ssl.create_default_context())
        with self.assertRaises(ssl.SSLCertVerificationError):
            ct.http_request(self.server.port, "GET", "/healthz",
                            context=PKI.context("other-ca.pem"))

    def test_plain_http_to_the_tls_port_gets_no_answer(self):
        with self.assertRaises((OSError, ct.http.client.HTTPException)):
            ct.http_request(self.server.port, "GET", "/healthz", timeout=10)
        # and the server goes on answering HTTPS
        self.assertEqual(self.log.get("/healthz", token=None).status, 200)

    def submit(self, path, *args, env=None):
        t0 = time.monotonic()
        r = ct.run("submit", "--server", self.log.url, "--token", self.log.token, *args, path,
                   env=env, timeout=120)
        return r, time.monotonic() - t0

    def test_submit_with_cacert(self):
        size = self.log.size()
        r, _ = self.submit(self.write_envelopes(3), "--cacert", PKI.path("ca.pem"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3 appended", r.stderr)
        self.assertEqual(self.log.size(), size + 3)

    def test_submit_with_cmcc_cacert_in_the_environment(self):
        size = self.log.size()
        r, _ = self.submit(self.write_envelopes(2), env={"CMCC_CACERT": PKI.path("ca.pem")})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 appended", r.stderr)
        self.assertEqual(self.log.size(), size + 2)

    def test_submit_without_the_ca_stops_at_once_about_the_certificate(self):
        size = self.log.size()
        r, took = self.submit(self.write_envelopes(2), env={"CMCC_CACERT": ""})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("certificate is not trusted", r.stderr)
        self.assertIn("--cacert", r.stderr)
        self.assertIn("2 not delivered", r.stderr)
        self.assertNotIn("will retry", r.stderr)
        self.assertLess(took, 30)  # no retrying for --max-wait's 600 s
        r, _ = self.submit(self.write_envelopes(1), "--cacert", PKI.path("other-ca.pem"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("certificate is not trusted", r.stderr)
        self.assertEqual(self.log.size(), size)

    def test_submit_with_a_cacert_that_cannot_be_read(self):
        missing = os.path.join(PKI.dir, "no-such-ca.pem")
        r, took = self.submit(self.write_envelopes(1), "--cacert", missing)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("the CA file %s cannot be read" % missing, r.stderr)
        self.assertLess(took, 30)
        r, _ = self.submit(self.write_envelopes(1), "--cacert", PKI.path("not-pem.pem"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("cannot be read as PEM certificates", r.stderr)

    def verify(self, *args, env=None):
        return ct.run("verify", self.log.url, "--vkey", self.log.vkey_text, "--token",
                      self.log.token, *args, env=env, timeout=120)

    def test_verify_url_with_cacert(self):
        r = self.verify("--cacert", PKI.path("ca.pem"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("OK:", r.stderr + r.stdout)
        self.assertIn(self.log.url, r.stderr + r.stdout)
        r = self.verify(env={"CMCC_CACERT": PKI.path("ca.pem")})
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_verify_url_without_the_ca_fails_about_the_certificate(self):
        r = self.verify()
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("certificate is not trusted", r.stderr)
        self.assertIn("--cacert", r.stderr)
        self.assertNotIn("OK:", r.stderr + r.stdout)

    def test_report_server_with_and_without_cacert(self):
        r = ct.run("report", "--server", self.log.url, "--token", self.log.token, "--cacert",
                   PKI.path("ca.pem"), "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("by_crossing", r.stdout)
        r = ct.run("report", "--server", self.log.url, "--token", self.log.token)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("certificate is not trusted", r.stderr)


class BadInputs(unittest.TestCase):
    """The server refuses to start, before serving, with a sentence."""

    @classmethod
    def setUpClass(cls):
        cls.log = ct.Log()
        cls.addClassCleanup(cls.log.close)

    def serve(self, *args):
        r = ct.run("serve", self.log.dir, "--listen", "127.0.0.1:0", *args, timeout=30)
        self.assertNotIn("serving", r.stdout)
        return r

    def test_help_lists_the_options(self):
        r = ct.run("serve", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--tls-cert FILE", r.stdout)
        self.assertIn("--tls-key FILE", r.stdout)

    def test_one_of_the_pair_alone_is_a_usage_error(self):
        r = self.serve("--tls-cert", PKI.path("server.pem"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--tls-cert needs --tls-key", r.stderr)
        r = self.serve("--tls-key", PKI.path("server.key"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--tls-key needs --tls-cert", r.stderr)

    def test_a_certificate_that_is_not_pem(self):
        r = self.serve(*tls_args(cert="not-pem.pem"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the TLS certificate %s is not a PEM certificate" % PKI.path("not-pem.pem"),
                      r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)

    def test_a_certificate_in_der(self):
        der = os.path.join(self.log.dir, "server.der")
        openssl("x509", "-in", PKI.path("server.pem"), "-outform", "der", "-out", der,
                cwd=PKI.dir)
        r = self.serve("--tls-cert", der, "--tls-key", PKI.path("server.key"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the TLS certificate %s is not" % der, r.stderr)

    def test_a_key_of_another_certificate(self):
        r = self.serve(*tls_args(key="stray.key"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the TLS key %s is not the key of the certificate %s"
                      % (PKI.path("stray.key"), PKI.path("server.pem")), r.stderr)

    def test_a_certificate_given_as_the_key(self):
        r = self.serve(*tls_args(key="server.pem"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the TLS key %s is not an unencrypted PEM private key"
                      % PKI.path("server.pem"), r.stderr)

    def test_an_encrypted_key(self):
        r = self.serve(*tls_args(key="encrypted.key"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the TLS key %s is not an unencrypted PEM private key"
                      % PKI.path("encrypted.key"), r.stderr)
        self.assertIn("decrypted first", r.stderr)

    def test_missing_files(self):
        missing = os.path.join(PKI.dir, "missing.pem")
        r = self.serve("--tls-cert", missing, "--tls-key", PKI.path("server.key"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the TLS certificate cannot be read (cannot open %s: No such file" % missing,
                      r.stderr)
        r = self.serve("--tls-cert", PKI.path("server.pem"), "--tls-key", missing)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the TLS key cannot be read (cannot open %s" % missing, r.stderr)

    def test_a_key_others_may_read_is_warned_about(self):
        key = os.path.join(self.log.dir, "readable.key")
        shutil.copy(PKI.path("server.key"), key)
        os.chmod(key, 0o644)
        server = ct.Server(self.log.dir, ["--tls-cert", PKI.path("server.pem"), "--tls-key", key])
        try:
            self.assertEqual(server.scheme, "https")
            self.assertIn("the TLS key %s may be read by its group or others (mode 644): "
                          "chmod 600 it" % key, server.stderr())
        finally:
            err = server.stderr
            status, out = server.stop()
            ct.check_clean_exit(status, out, err())


class Conf(unittest.TestCase):
    """tls.cert and tls.key in DIR/cmcc.conf."""

    def setUp(self):
        self.log = ct.Log()
        self.addCleanup(self.log.close)

    def conf(self, text):
        ct.write_conf(os.path.join(self.log.dir, "cmcc.conf"), text)

    def test_relative_and_absolute_paths(self):
        os.mkdir(os.path.join(self.log.dir, "tls"))
        shutil.copy(PKI.path("server.pem"), os.path.join(self.log.dir, "tls", "cert.pem"))
        self.conf("# HTTPS\ntls.cert = tls/cert.pem\ntls.key = %s\n" % PKI.path("server.key"))
        server = self.log.start()
        self.log.context = PKI.context()
        self.assertEqual(server.scheme, "https")
        r = self.log.get("/healthz", token=None)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["size"], 1)
        err = server.stderr
        status, out = self.log.stop()
        ct.check_clean_exit(status, out, err())

    def test_one_of_the_pair_alone(self):
        self.conf("tls.cert = %s\n" % PKI.path("server.pem"))
        r = ct.run("serve", self.log.dir, "--listen", "127.0.0.1:0", timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cmcc.conf: tls.cert is set without tls.key", r.stderr)
        self.assertNotIn("serving", r.stdout)

    def test_a_relative_path_names_the_file_in_dir(self):
        self.conf("tls.cert = nothere.pem\ntls.key = %s\n" % PKI.path("server.key"))
        r = ct.run("serve", self.log.dir, "--listen", "127.0.0.1:0", timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot open %s/nothere.pem" % self.log.dir, r.stderr)

    def test_an_empty_value(self):
        self.conf("tls.cert =\ntls.key = %s\n" % PKI.path("server.key"))
        r = ct.run("serve", self.log.dir, "--listen", "127.0.0.1:0", timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("is not a valid value for tls.cert", r.stderr)

    def test_the_command_line_pair_wins(self):
        self.conf("tls.cert = nothere.pem\ntls.key = nothere.key\n")
        server = self.log.start(*tls_args())
        self.log.context = PKI.context()
        self.assertEqual(server.scheme, "https")
        self.assertEqual(self.log.get("/healthz", token=None).status, 200)
        err = server.stderr
        status, out = self.log.stop()
        ct.check_clean_exit(status, out, err())

    def test_without_tls_it_stays_http(self):
        self.conf("# no tls.cert, no tls.key\n")
        server = self.log.start()
        self.assertEqual(server.scheme, "http")
        self.assertTrue(self.log.url.startswith("http://"))
        self.assertEqual(self.log.get("/healthz", token=None).status, 200)
        err = server.stderr
        status, out = self.log.stop()
        ct.check_clean_exit(status, out, err())


if __name__ == "__main__":
    unittest.main()
