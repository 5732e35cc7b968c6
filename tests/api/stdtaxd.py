"""Test harness for the real stdtaxd binary (Python 3 standard library only).

    from stdtaxd import Daemon, tap_main

    with Daemon(config="token ci submit 0123456789abcdef") as d:
        r = d.get("/healthz")
        assert r.status == 200 and r.json()["status"] == "ok"

Daemon.start() writes a config file into a fresh temporary directory (data-dir
inside it), runs the binary with --port 0 --port-file so the kernel picks a free
loopback port without races, and waits until /healthz answers.  stop() sends
SIGTERM and returns the exit status.  raw() talks to the socket directly, for
requests that http.client refuses to send.

tap_main() runs the calling module's unittest cases and prints one TAP line per
test, for automake's tap-driver.
"""

import http.client
import json
import os
import shutil
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("STDTAX_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("STDTAX_BUILDDIR") or SRCDIR
BINARY = os.environ.get("STDTAXD") or os.path.join(BUILDDIR, "src", "daemon", "stdtaxd")
OPENAPI = os.path.join(SRCDIR, "api", "openapi.json")
# A command to run the daemon under, e.g. "valgrind --leak-check=full
# --error-exitcode=99" (tests/reliability/valgrind.sh); time bounds grow with it.
WRAPPER = shlex.split(os.environ.get("STDTAXD_WRAPPER", ""))
SLOW = float(os.environ.get("STDTAXD_SLOW", "20" if WRAPPER else "1"))


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get()
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")

    def __repr__(self):
        return "<Response %d %s %r>" % (self.status, self.content_type, self.body[:200])


class Daemon:
    """One stdtaxd process on a loopback port with its own data directory."""

    def __init__(self, config="", args=(), workers=2, env=None, data_dir=None):
        """data_dir: reuse a data directory (a restart); by default a fresh one
        inside the temporary directory."""
        self.config = config
        self.fixed_data_dir = data_dir
        self.args = list(args)
        self.workers = workers
        self.env = env
        self.proc = None
        self.port = None
        self.tmp = None
        self.returncode = None

    # -- life cycle -----------------------------------------------------------

    def start(self, timeout=10.0):
        self.tmp = tempfile.mkdtemp(prefix="stdtaxd-test-")
        self.data_dir = self.fixed_data_dir or os.path.join(self.tmp, "data")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_path = os.path.join(self.tmp, "stderr.log")
        self.config_path = os.path.join(self.tmp, "stdtaxd.conf")
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write("# written by tests/api/stdtaxd.py\n")
            f.write('data-dir "%s"\n' % self.data_dir)
            f.write('openapi "%s"\n' % OPENAPI)
            f.write("log-level debug\n")
            f.write(self.config)
            f.write("\n")
        argv = WRAPPER + [BINARY, "--config", self.config_path, "--listen", "127.0.0.1",
                "--port", "0", "--port-file", self.port_file,
                "--workers", str(self.workers)] + self.args
        self._log = open(self.log_path, "wb")
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log, env=env)
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("stdtaxd exited with %d at start:\n%s"
                                   % (self.proc.returncode, self.log()))
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    try:
                        if self.get("/healthz", timeout=SLOW).status in (200, 503):
                            return self
                    except OSError:
                        pass
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("stdtaxd did not answer /healthz in %.0f s:\n%s"
                           % (timeout, self.log()))

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Sends sig, waits for the exit, returns the exit status."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("stdtaxd did not stop within %.0f s:\n%s"
                               % (timeout, self.log()))
        return self.returncode

    def wait(self, timeout=20.0):
        self.returncode = self.proc.wait(timeout)
        return self.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        if getattr(self, "_log", None):
            self._log.close()
        if self.tmp and not os.environ.get("STDTAX_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            if self.proc and self.proc.poll() is None:
                self.stop()
        finally:
            self.cleanup()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_log(self, text, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.02)
        return False

    # -- HTTP -------------------------------------------------------------------

    def connection(self, timeout=10.0):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, json_body=None,
                token=None, timeout=10.0, conn=None):
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode("utf-8")
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            return Response(r.status, r.reason, r.headers, data)
        finally:
            if own:
                c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request("POST", path, json_body=json_body, **kw)

    def connect(self, timeout=5.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.settimeout(timeout)
        return RawConn(s)

    def raw(self, data, timeout=5.0):
        """Sends bytes on a new connection and returns everything until the
        server closes or the response is complete (Content-Length)."""
        s = self.connect(timeout)
        try:
            s.sendall(data)
            return read_response(s)
        finally:
            s.close()


class RawConn:
    """A client socket with a read buffer, so that pipelined responses that
    arrive in one segment are not lost between read_response() calls."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def sendall(self, data):
        self.sock.sendall(data)

    def settimeout(self, t):
        self.sock.settimeout(t)

    def recv(self, n):
        if self.buf:
            data, self.buf = self.buf[:n], self.buf[n:]
            return data
        return self.sock.recv(n)

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def read_response(self):
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                if not self.buf:
                    return None, {}, b""
                break
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        self.buf = rest
        while len(self.buf) < n and self._fill():
            pass
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body


def read_response(conn):
    """Reads one HTTP response from a RawConn: (status, headers with lower-case
    names, body).  (None, {}, b"") when the server closed without answering."""
    return conn.read_response()


def run(argv, timeout=10.0):
    """Runs the binary with argv; returns (exit status, stdout, stderr)."""
    p = subprocess.run([BINARY] + list(argv), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# -- OpenAPI response validation ----------------------------------------------------

_openapi = None


def openapi():
    global _openapi
    if _openapi is None:
        with open(OPENAPI, encoding="utf-8") as f:
            _openapi = json.load(f)
    return _openapi


def _resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = openapi()
        for part in ref[2:].split("/"):
            node = node[part]
    return node


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def schema_errors(value, schema, where="") -> list:
    """Checks value against the JSON Schema subset used in api/openapi.json:
    $ref, type (one or a list), required, properties, additionalProperties,
    items, enum, oneOf, minimum, maximum, minLength, maxLength, minItems.
    Returns a list of "pointer: problem" strings (empty when valid)."""
    schema = _resolve(schema)
    errs = []
    if "oneOf" in schema:
        matches = sum(1 for s in schema["oneOf"] if not schema_errors(value, s, where))
        if matches != 1:
            errs.append("%s: matches %d of oneOf" % (where or "/", matches))
        return errs
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        ok = False
        for t in types:
            if t == "integer":
                ok |= isinstance(value, int) and not isinstance(value, bool)
            elif t == "number":
                ok |= isinstance(value, (int, float)) and not isinstance(value, bool)
            else:
                ok |= isinstance(value, _TYPES[t])
        if not ok:
            return ["%s: %r is not %s" % (where or "/", value, "/".join(types))]
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r not in %r" % (where or "/", value, schema["enum"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append("%s: %r < %r" % (where, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append("%s: %r > %r" % (where, value, schema["maximum"]))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errs.append("%s: shorter than %d" % (where, schema["minLength"]))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append("%s: longer than %d" % (where, schema["maxLength"]))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append("%s: missing %r" % (where or "/", k))
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                errs += schema_errors(v, props[k], "%s/%s" % (where, k))
            elif schema.get("additionalProperties") is False:
                errs.append("%s: unexpected %r" % (where or "/", k))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errs.append("%s: fewer than %d items" % (where, schema["minItems"]))
        if "items" in schema:
            for i, v in enumerate(value):
                errs += schema_errors(v, schema["items"], "%s/%d" % (where, i))
    return errs


def response_errors(method, path_pattern, response) -> list:
    """Checks a Response against api/openapi.json: the status is documented for
    the operation, the media type matches, and a JSON body fits its schema."""
    op = openapi()["paths"].get(path_pattern, {}).get(method.lower())
    if op is None:
        return ["%s %s is not in openapi.json" % (method, path_pattern)]
    spec = op["responses"].get(str(response.status)) or op["responses"].get("default")
    if spec is None:
        return ["%s %s: status %d is not documented" % (method, path_pattern, response.status)]
    spec = _resolve(spec)
    content = spec.get("content")
    if not content:
        return [] if not response.body else ["unexpected body for %d" % response.status]
    ctype = response.content_type.split(";")[0].strip()
    media = None
    for name, m in content.items():
        if name.split(";")[0].strip() == ctype:
            media = m
    if media is None:
        return ["content type %r not in %r" % (response.content_type, list(content))]
    if ctype.endswith("json"):
        return schema_errors(response.json(), media.get("schema", {}))
    return []


def assert_valid(test, method, path_pattern, response):
    """Fails test unless response matches its operation in api/openapi.json."""
    errs = response_errors(method, path_pattern, response)
    test.assertEqual(errs, [], "%s %s -> %r" % (method, path_pattern, response))
    return response


# -- TAP ----------------------------------------------------------------------------

class TapResult(unittest.TestResult):
    """Prints one TAP line per test as it finishes."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, ok, test, extra=""):
        self.n += 1
        name = test.id().split(".", 1)[-1] if hasattr(test, "id") else str(test)
        print("%s %d - %s%s" % ("ok" if ok else "not ok", self.n, name, extra), flush=True)

    def _diag(self, err):
        text = "".join(traceback.format_exception(*err))
        for line in text.rstrip().splitlines():
            print("# " + line, flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(False, test)
        self._diag(err)

    def addError(self, test, err):
        super().addError(test, err)
        self._line(False, test)
        self._diag(err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(True, test, " # SKIP " + reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._line(True, test, " # TODO expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._line(False, test, " # unexpected success")


def tap_main():
    module = sys.modules["__main__"]
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    print("TAP version 13")
    print("1..%d" % suite.countTestCases(), flush=True)
    if not os.access(BINARY, os.X_OK):
        print("# %s is not built" % BINARY)
    result = TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)
