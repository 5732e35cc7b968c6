"""TAP: the store's files before LMDB maps them (issue 18).  A data.mdb cut short and
a new store on a full filesystem used to end every program with SIGBUS, printing
nothing; now each names the file or the directory and says what to do."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "api"))
from proposals import jsonl, on_time_taxonomy, proposal  # noqa: E402
from stdtaxd import BINARY as STDTAXD, OPENAPI, tap_main  # noqa: E402

BUILDDIR = os.environ.get("STDTAX_BUILDDIR", ".")
STDTAX = os.path.join(BUILDDIR, "src", "cli", "stdtax")


def run(*argv):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


class Files(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stdtax-files-")
        self.tax = on_time_taxonomy(os.path.join(self.tmp, "taxonomy.json"))
        self.src = os.path.join(self.tmp, "proposals.jsonl")
        with open(self.src, "w", encoding="utf-8") as f:
            f.write(jsonl(proposal(i) for i in range(120)))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def import_into(self, data):
        return run(STDTAX, "import", "--data-dir", data, "--taxonomy", self.tax, self.src)

    def test_truncated_data_file_is_named_not_a_crash(self):
        data = os.path.join(self.tmp, "data")
        self.assertEqual(self.import_into(data).returncode, 0)
        path = os.path.join(data, "data.mdb")
        os.truncate(path, 3 * 4096)
        for argv in (["stats"], ["check"], ["check", "--repair"], ["export"]):
            r = run(STDTAX, *argv, "--data-dir", data, "--taxonomy", self.tax)
            self.assertGreater(r.returncode, 0, (argv, r.returncode, r.stderr))
            self.assertIn(path, r.stderr, argv)
            self.assertIn("backup", r.stderr, argv)
        conf = os.path.join(self.tmp, "stdtaxd.conf")
        with open(conf, "w") as f:
            f.write('data-dir "%s"\nopenapi "%s"\n' % (data, OPENAPI))
        r = run(STDTAXD, "--config", conf, "--listen", "127.0.0.1", "--port", "0",
                "--port-file", os.path.join(self.tmp, "port"))
        self.assertGreater(r.returncode, 0, (r.returncode, r.stderr))
        self.assertIn(path, r.stderr)

    def test_new_store_on_a_full_filesystem_says_disk_full(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a small tmpfs")
        mnt = os.path.join(self.tmp, "full")
        os.mkdir(mnt)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt],
                          capture_output=True).returncode != 0:
            self.skipTest("cannot mount a tmpfs here")
        try:
            with open(os.path.join(mnt, "filler"), "wb", buffering=0) as f:
                try:
                    while True:
                        f.write(b"\0" * 4096)
                except OSError:
                    pass
            data = os.path.join(mnt, "data")
            r = self.import_into(data)
            self.assertGreater(r.returncode, 0, (r.returncode, r.stderr))
            self.assertIn("disk full", r.stderr)
            self.assertIn(data, r.stderr)
            conf = os.path.join(self.tmp, "stdtaxd.conf")
            with open(conf, "w") as f:
                f.write('data-dir "%s"\nopenapi "%s"\n' % (data + "2", OPENAPI))
            r = run(STDTAXD, "--config", conf, "--listen", "127.0.0.1", "--port", "0",
                "--port-file", os.path.join(self.tmp, "port"))
            self.assertGreater(r.returncode, 0, (r.returncode, r.stderr))
            self.assertIn("disk full", r.stderr)
        finally:
            subprocess.run(["umount", mnt], capture_output=True)


if __name__ == "__main__":
    tap_main()
