#!/usr/bin/env python3
"""End-to-end: file drops on real servers started here on 127.0.0.1 — a local
inbox, FTP and FTPS (pyftpdlib, certificate generated now), SFTP (OpenSSH's
sshd, host and user keys generated now) — driven by `telecollect connector run` and
by the scheduler of `telecollect serve`."""
import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, run_tests  # noqa: E402

DEBIAN_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
HERE = os.path.dirname(os.path.abspath(__file__))

PROFILE = """format = "csv"
delimiter = ";"
decimal = ","
timestamp_format = "%Y-%m-%d %H:%M"
unit = "kWh"

[fields]
module = "compteur"
timestamp = "horodatage"
value = "valeur"
"""


def csv_rows(n, module="PDL1", start_minute=0):
    lines = ["compteur;horodatage;valeur"]
    for i in range(n):
        m = start_minute + 10 * i
        lines.append(f"{module};2026-01-{1 + m // 1440:02d} {m // 60 % 24:02d}:{m % 60:02d};{i},5")
    return "\n".join(lines) + "\n"


def expected_series(n, start_minute=0):
    """What csv_rows(n, ...) holds, as the store must have it: {UTC instant: value}. The profile's
    times are Paris local times; January is UTC+1."""
    import datetime as dt
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) - dt.timedelta(hours=1)
    return {(base + dt.timedelta(minutes=start_minute + 10 * i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"): i + 0.5
            for i in range(n)}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Env:
    """A data dir with a connectors folder and the profile; runs the CLI."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tc_files_")
        os.makedirs(f"{self.dir}/connectors")
        self.profile = f"{self.dir}/profile.toml"
        with open(self.profile, "w") as f:
            f.write(PROFILE)
        self.env = dict(os.environ)

    def connector(self, name, source, extra=""):
        lines = [f'{k} = {json.dumps(v) if not isinstance(v, bool) else str(v).lower()}' for k, v in source.items()]
        with open(f"{self.dir}/connectors/{name}.toml", "w") as f:
            f.write(f'tenant = "acme"\nenv = "preprod"\nprofile = "{self.profile}"\n{extra}\n[source]\n' + "\n".join(lines) + "\n")

    def cli(self, *args):
        return subprocess.run([BIN, "--data-dir", self.dir, *args], capture_output=True, text=True, timeout=120, env=self.env)

    def run(self, name):
        r = self.cli("connector", "run", name)
        return r.returncode, r.stdout + r.stderr

    def points(self, module="PDL1"):
        """The module's stored lines (CSV); [] only when the store says the module does not exist:
        a query that fails otherwise fails the test (a "nothing stored" check must not pass on it)."""
        r = self.cli("query", "measurements", "--tenant", "acme", "--env", "preprod", "--module", module)
        if r.returncode != 0 and "no module" in r.stderr:
            return []
        assert r.returncode == 0, f"query {module}: exit {r.returncode}: {r.stderr}"
        return [l for l in r.stdout.strip().splitlines()[1:] if l]

    def series(self, module="PDL1"):
        """{UTC instant: value} as stored."""
        return {ts: float(v) for ts, v in (line.split(",")[:2] for line in self.points(module))}

    def files(self):
        r = self.cli("files")
        return [l.split(",") for l in r.stdout.strip().splitlines()[1:]]

    def last_run(self):
        r = self.cli("connector", "status", "--limit", "1")
        return r.stdout.strip().splitlines()[1]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class FtpServer:
    def __init__(self, root, perm="elradfmw", tls=None, drop_after=None, password="s3cret-pw", slow_until=None,
                 windows_listing=False):
        os.makedirs(f"{root}/outbox", exist_ok=True)
        args = [DEBIAN_PYTHON, f"{HERE}/ftp_server.py", "--root", root, "--user", "partner", "--password", password,
                "--perm", perm]
        if tls:
            args += ["--tls", *tls]
        if drop_after:
            args += ["--drop-once-after", str(drop_after[0]), drop_after[1]]
        if slow_until:
            args += ["--slow-until", slow_until]
        if windows_listing:
            args += ["--windows-listing"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("port"), f"ftp server did not start: {line!r}"
        self.port = int(line.split()[1])
        self.root = root

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# ---- local inbox ---------------------------------------------------------------

def test_local_inbox_two_step_upload():
    """A file written in two steps is taken only once stable, and whole."""
    e = Env()
    try:
        inbox = f"{e.dir}/inbox"
        os.makedirs(inbox)
        e.connector("drop", {"url": inbox, "pattern": "*.csv", "stable_for": "2s", "complete_after": "0s",
                             "after_import": "delete"})
        full = csv_rows(40)
        half = full[: len(full) // 2]
        write(f"{inbox}/day.csv", half)
        rc, out = e.run("drop")
        assert rc == 0 and "not stable yet" in out, out
        with open(f"{inbox}/day.csv", "a") as f:
            f.write(full[len(half):])
        rc, out = e.run("drop")
        assert "not stable yet" in out and "day.csv: imported" not in out, out  # changed: waits again
        assert e.points() == []
        time.sleep(2.3)
        rc, out = e.run("drop")
        assert rc == 0 and "day.csv: imported, 40 readings" in out, out
        assert e.series() == expected_series(40)
        assert not os.path.exists(f"{inbox}/day.csv")
        rc, out = e.run("drop")
        assert len(e.points()) == 40
    finally:
        e.cleanup()


def test_local_inbox_bad_rows_quarantined_with_report():
    e = Env()
    try:
        inbox = f"{e.dir}/inbox"
        os.makedirs(inbox)
        e.connector("drop", {"url": inbox, "pattern": "*.csv", "stable_for": "0s"})
        write(f"{inbox}/bad.csv", "compteur;horodatage;valeur\nPDL1;2026-01-01 00:00;1\nPDL1;2026-01-01 00:10;abc\nPDL1;2026-01-01 00:20;2\n")
        rc, out = e.run("drop")
        assert rc == 2, out  # a rejected file is bad input, as for `import`
        assert "bad.csv: rejected" in out and "line 3" in out, out
        assert e.points() == []
        q = os.listdir(f"{inbox}/quarantine")
        reports = [n for n in q if n.endswith(".report.txt")]
        assert len(q) == 2 and len(reports) == 1, q
        with open(f"{inbox}/quarantine/{reports[0]}") as f:
            text = f.read()
        assert "line 3, column 3 (valeur): \"abc\" is not a number" in text, text
        assert re.search(r"^file:\s+bad\.csv$", text, re.M), text  # the partner's name for it
        # connector status is CSV that a CSV reader reads back (the message holds quotes).
        status = list(csv.reader(io.StringIO(e.cli("connector", "status").stdout)))
        assert all(len(row) == len(status[0]) for row in status), status
        assert status[1][4] == "rejected" and status[1][-1] == 'bad.csv rejected: "abc" is not a number', status
        assert e.files()[0][7] == "rejected"
        # The profile fixed (bad rows skipped), the file is asked for again: read by the next run.
        with open(e.profile, "w") as f:
            f.write('on_row_error = "skip"\n' + PROFILE)
        quarantined = [n for n in q if not n.endswith(".report.txt")][0]
        r = e.cli("connector", "retry", "drop", quarantined)
        assert r.returncode == 0 and os.path.exists(f"{inbox}/bad.csv") and os.listdir(f"{inbox}/quarantine") == [], r.stdout + r.stderr
        rc, out = e.run("drop")
        assert rc == 0 and "bad.csv: imported, 2 readings (1 rows skipped)" in out, out
        assert [p.split(",")[1] for p in e.points()] == ["1", "2"], e.points()
        assert [f[7] for f in e.files()] == ["imported", "retry", "rejected"], e.files()
    finally:
        e.cleanup()


def test_serve_runs_connectors_on_schedule():
    e = Env()
    srv = None
    try:
        inbox = f"{e.dir}/inbox"
        os.makedirs(inbox)
        e.connector("drop", {"url": inbox, "pattern": "*.csv", "stable_for": "0s"}, extra='schedule = "every 1s"')
        srv = Server(data_dir=e.dir).start()
        write(f"{inbox}/a.csv", csv_rows(5))
        token = srv.token()
        deadline = time.time() + 20
        while time.time() < deadline:
            r = srv.get("/v1/modules/PDL1/measurements?tenant=acme&env=preprod", token)
            # The archive step follows the commit: wait for both.
            if r.status == 200 and len(r.json().get("points", [])) == 5 and os.path.isdir(f"{inbox}/archive") \
                    and os.listdir(f"{inbox}/archive"):
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"scheduled run did not import and archive: {r.status} {r.body}")
        assert {p["ts"]: p["value"] for p in r.json()["points"]} == expected_series(5), r.body
        r = srv.get("/v1/files", token)
        files = r.json()["files"]
        assert r.status == 200 and len(files) == 1 and files[0]["path"] == "a.csv" and files[0]["status"] == "imported", r.body
        assert files[0]["readings"] == 5 and len(files[0]["sha256"]) == 64 and "report" not in files[0]
        assert srv.get("/v1/files?report=true", token).json()["files"][0]["report"]["rows"] == 5
        assert srv.get("/v1/files", srv.token(env="prod")).json()["files"] == []  # another scope's journal
        assert srv.get("/v1/files?limit=0", token).status == 400
        assert srv.stop() == 0
        log = open(f"{e.dir}/server.log").read()
        assert "connector_run" in log and "imported=1" in log.replace('"', "").replace(":", "="), log[-2000:]
    finally:
        if srv:
            srv.stop()
        e.cleanup()


def multipart(fields):
    boundary = "telecollectTestBoundary"
    body = b""
    for name, (filename, data) in fields.items():
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_http_validate_sample_with_and_without_profile():
    e = Env()
    srv = Server(data_dir=e.dir).start()
    try:
        token = srv.token()
        sample = "Point;Date;Valeur\r\nPDL-9;29/03/2026 01:30;1,5\r\nPDL-9;29/03/2026 02:30;2\r\nPDL-9;29/03/2026 03:30;x\r\n"
        body, ctype = multipart({"file": ("export.csv", sample.encode("cp1252"))})
        r = srv.request("POST", "/v1/files/validate", body, {"Content-Type": ctype}, token)
        assert r.status == 200, r.body
        j = r.json()
        assert j["sniffed"] and 'module = "Point"' in j["profile"] and 'decimal = ","' in j["profile"], j
        rep = j["report"]
        lines = sorted(err["line"] for err in rep["errors"])
        assert lines == [3, 4], rep["errors"]  # 02:30 is in the spring gap; "x" is not a number
        assert rep["readings"] == 1 and rep["sample"][0]["ts"] == "2026-03-29T00:30:00.000Z", rep
        assert j["would_import"] is False
        prof = 'on_row_error = "skip"\n' + PROFILE.replace("compteur", "Point").replace("horodatage", "Date").replace("valeur", "Valeur").replace('"%Y-%m-%d %H:%M"', '"%d/%m/%Y %H:%M"')
        body, ctype = multipart({"file": ("export.csv", sample.encode()), "profile": (None, prof.encode())})
        r = srv.request("POST", "/v1/files/validate", body, {"Content-Type": ctype}, token)
        assert r.status == 200 and r.json()["would_import"] is True and not r.json()["sniffed"], r.body
        body, ctype = multipart({"file": ("export.csv", b"a;b\n"), "profile": (None, b"format = \"xls\"")})
        r = srv.request("POST", "/v1/files/validate", body, {"Content-Type": ctype}, token)
        assert r.status == 400 and "format must be" in r.json()["error"], r.body
        r = srv.request("POST", "/v1/files/validate", "{}", {"Content-Type": "application/json"}, token)
        assert r.status == 415, r.body
        r = srv.request("POST", "/v1/files/validate", body, {"Content-Type": ctype})
        assert r.status == 401, r.body
        assert e.points("PDL-9") == []  # validation stores nothing
    finally:
        srv.stop()
        e.cleanup()


# ---- FTP and FTPS ----------------------------------------------------------------

def ftp_connector(e, port, scheme="ftp", extra_source=None, password="s3cret-pw"):
    src = {"url": f"{scheme}://127.0.0.1:{port}/outbox/", "pattern": "*.csv", "user": "partner",
           "password_env": "PARTNER_PW", "stable_for": "0s", "complete_after": "0s", "after_import": "delete",
           "timeout": "5s"}
    src.update(extra_source or {})
    e.env["PARTNER_PW"] = password
    e.connector("partner", src)


def test_ftp_windows_listing_recursive_and_leave():
    """A Windows/IIS-style FTP server (LIST lines "11-26-26  05:00PM  <DIR>  name"): recursive = true
    reads the sub-folders (a name with a space too) but not archive/; after_import = "leave" leaves
    every file in place, and the next run finds each a duplicate: nothing written twice."""
    e = Env()
    ftp = FtpServer(f"{e.dir}/ftproot", windows_listing=True)
    try:
        write(f"{ftp.root}/outbox/a.csv", csv_rows(5))
        write(f"{ftp.root}/outbox/sub dir/b.csv", csv_rows(3, module="PDL2"))
        write(f"{ftp.root}/outbox/archive/old.csv", csv_rows(2, module="PDL3"))
        ftp_connector(e, ftp.port, extra_source={"recursive": True, "after_import": "leave"})
        rc, out = e.run("partner")
        assert rc == 0 and "a.csv: imported, 5 readings" in out and "sub dir/b.csv: imported, 3 readings" in out, out
        assert "old.csv" not in out, out
        assert e.series() == expected_series(5) and e.series("PDL2") == expected_series(3) and e.points("PDL3") == []
        for f in ("a.csv", "sub dir/b.csv", "archive/old.csv"):
            assert os.path.exists(f"{ftp.root}/outbox/{f}"), f
        rc, out = e.run("partner")
        assert rc == 0 and "imported" not in out.replace("0 imported", ""), out
        assert e.series() == expected_series(5) and e.series("PDL2") == expected_series(3)
        assert sorted((row[5], row[7]) for row in e.files()) == [("a.csv", "imported"), ("sub dir/b.csv", "imported")], e.files()
    finally:
        ftp.stop()
        e.cleanup()


def test_ftp_import_delete_and_wrong_password():
    e = Env()
    ftp = FtpServer(f"{e.dir}/ftproot")
    try:
        write(f"{ftp.root}/outbox/a.csv", csv_rows(30))
        ftp_connector(e, ftp.port, password="wrong-password")
        rc, out = e.run("partner")
        assert rc == 1 and "login denied" in out and "530" in out and "check user and password" in out, out
        assert "wrong-password" not in out
        status = e.cli("connector", "status").stdout
        assert "login denied" in status, status
        ftp_connector(e, ftp.port)
        rc, out = e.run("partner")
        assert rc == 0 and "a.csv: imported, 30 readings" in out, out
        assert not os.path.exists(f"{ftp.root}/outbox/a.csv")
        assert e.series() == expected_series(30)
    finally:
        ftp.stop()
        e.cleanup()


def test_ftp_upload_in_two_steps_is_imported_once_and_whole():
    e = Env()
    ftp = FtpServer(f"{e.dir}/ftproot")
    try:
        full = csv_rows(60)
        half = full[: len(full) // 2]
        write(f"{ftp.root}/outbox/day.csv", half)
        ftp_connector(e, ftp.port, extra_source={"stable_for": "2s"})
        rc, out = e.run("partner")
        assert rc == 0 and "not stable yet" in out, out
        time.sleep(1.1)  # the partner pauses, then sends the rest (size and mtime change)
        with open(f"{ftp.root}/outbox/day.csv", "a") as f:
            f.write(full[len(half):])
        rc, out = e.run("partner")
        assert "not stable yet" in out and "day.csv: imported" not in out, out
        time.sleep(2.3)
        rc, out = e.run("partner")
        assert rc == 0 and "day.csv: imported, 60 readings" in out, out
        assert e.series() == expected_series(60) and not os.path.exists(f"{ftp.root}/outbox/day.csv")
        assert [f[7] for f in e.files()] == ["imported"]
    finally:
        ftp.stop()
        e.cleanup()


def test_ftp_connection_dropped_mid_transfer():
    e = Env()
    marker = f"{e.dir}/dropped"
    ftp = FtpServer(f"{e.dir}/ftproot", drop_after=(2000, marker))
    try:
        write(f"{ftp.root}/outbox/big.csv", csv_rows(400))
        ftp_connector(e, ftp.port)
        rc, out = e.run("partner")
        assert rc == 1 and os.path.exists(marker), out
        assert e.points() == [] and e.files() == [], out
        assert os.path.exists(f"{ftp.root}/outbox/big.csv")
        rc, out = e.run("partner")
        assert rc == 0 and "big.csv: imported, 400 readings" in out, out
        assert e.series() == expected_series(400)
        rc, out = e.run("partner")
        assert len(e.points()) == 400 and len(e.files()) == 1
    finally:
        ftp.stop()
        e.cleanup()


def test_ftp_delete_refused_then_restart_no_duplicate():
    """The import commits but the delete fails (as if telecollect stopped between
    the two): later runs — new processes — finish the delete, never re-import."""
    e = Env()
    root = f"{e.dir}/ftproot"
    ftp = FtpServer(root, perm="elr")  # no delete, no rename
    try:
        write(f"{root}/outbox/a.csv", csv_rows(12))
        ftp_connector(e, ftp.port)
        rc, out = e.run("partner")
        assert rc == 1 and "imported, 12 readings" in out and "delete a.csv" in out, out
        rc, out = e.run("partner")
        assert "already imported" in out, out
        ftp.stop()
        ftp = FtpServer(root)  # the partner fixes the permissions
        ftp_connector(e, ftp.port)
        rc, out = e.run("partner")
        assert rc == 0 and "already imported" in out, out
        assert not os.path.exists(f"{root}/outbox/a.csv")
        assert e.series() == expected_series(12)
        assert [f[7] for f in e.files()] == ["imported"]
    finally:
        ftp.stop()
        e.cleanup()


def test_ftps_explicit_tls():
    e = Env()
    cert, key = f"{e.dir}/cert.pem", f"{e.dir}/key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    ftp = FtpServer(f"{e.dir}/ftproot", tls=(cert, key))
    try:
        write(f"{ftp.root}/outbox/a.csv", csv_rows(7))
        ftp_connector(e, ftp.port, scheme="ftps", extra_source={"ca_file": cert, "after_import": "archive"})
        rc, out = e.run("partner")
        assert rc == 0 and "a.csv: imported, 7 readings" in out, out
        assert e.series() == expected_series(7)
        assert os.listdir(f"{ftp.root}/outbox/archive")
        # Without the CA, the certificate is refused.
        write(f"{ftp.root}/outbox/b.csv", csv_rows(3, module="PDL2"))
        ftp_connector(e, ftp.port, scheme="ftps")
        rc, out = e.run("partner")
        assert rc == 1 and "certificate" in out.lower(), out
    finally:
        ftp.stop()
        e.cleanup()


# ---- SFTP ------------------------------------------------------------------------

class Sshd:
    """OpenSSH's sshd on 127.0.0.1, keys generated now. As root: logs in root by key."""

    def __init__(self, base, chroot=None, passwords=False):
        self.base = base
        os.makedirs(base, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{base}/host_key"], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{base}/user_key"], check=True)
        shutil.copy(f"{base}/user_key.pub", f"{base}/authorized_keys")
        os.chmod(f"{base}/authorized_keys", 0o600)
        self.port = free_port()
        user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        cfg = [f"ListenAddress 127.0.0.1:{self.port}", f"HostKey {base}/host_key", f"PidFile {base}/sshd.pid",
               f"AuthorizedKeysFile {base}/authorized_keys",
               f"PasswordAuthentication {'yes' if passwords else 'no'}", "KbdInteractiveAuthentication no",
               "UsePAM no", "StrictModes no", "PermitRootLogin prohibit-password", "Subsystem sftp internal-sftp"]
        if chroot:
            cfg += [f"Match User {user}", f"  ChrootDirectory {chroot}", "  ForceCommand internal-sftp"]
        with open(f"{base}/sshd_config", "w") as f:
            f.write("\n".join(cfg) + "\n")
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", exist_ok=True)
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", f"{base}/sshd_config"],
                                     stderr=open(f"{base}/sshd.log", "w"))
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        pub = open(f"{base}/host_key.pub").read().split()
        with open(f"{base}/known_hosts", "w") as f:
            f.write(f"[127.0.0.1]:{self.port} {pub[0]} {pub[1]}\n")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def test_sftp_private_key_and_host_key_check():
    assert os.path.exists("/usr/sbin/sshd"), "openssh-server is missing (scripts/install-deps.sh)"
    e = Env()
    sshd = Sshd(f"{e.dir}/ssh")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    try:
        outbox = f"{e.dir}/sftp-outbox"
        write(f"{outbox}/a.csv", csv_rows(9))
        src = {"url": f"sftp://127.0.0.1:{sshd.port}{outbox}/", "pattern": "*.csv", "user": user,
               "private_key": f"{sshd.base}/user_key", "public_key": f"{sshd.base}/user_key.pub",
               "known_hosts": f"{sshd.base}/known_hosts", "stable_for": "0s", "after_import": "archive", "timeout": "10s"}
        e.connector("sftp", src)
        rc, out = e.run("sftp")
        assert rc == 0 and "a.csv: imported, 9 readings" in out, out + open(f"{sshd.base}/sshd.log").read()[-2000:]
        assert e.series() == expected_series(9)
        assert os.listdir(f"{outbox}/archive")
        # A server whose key is not the one in known_hosts: refused, nothing read.
        with open(f"{sshd.base}/other_known_hosts", "w") as f:
            f.write(f"[127.0.0.1]:{sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
        write(f"{outbox}/b.csv", csv_rows(2, module="PDL2"))
        src["known_hosts"] = f"{sshd.base}/other_known_hosts"
        e.connector("sftp", src)
        rc, out = e.run("sftp")
        assert rc == 1 and "host key" in out, out
        assert os.path.exists(f"{outbox}/b.csv")
    finally:
        sshd.stop()
        e.cleanup()


def test_sftp_key_with_a_passphrase():
    """An encrypted private key: key_passphrase_env gives its passphrase; a wrong one fails the run
    (and is not printed), the right one imports the file."""
    e = Env()
    sshd = Sshd(f"{e.dir}/ssh")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    try:
        key = f"{sshd.base}/locked_key"
        passphrase = "Pp-" + os.urandom(6).hex()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", key], check=True)
        with open(f"{sshd.base}/authorized_keys", "a") as f:
            f.write(open(f"{key}.pub").read())
        outbox = f"{e.dir}/sftp-outbox"
        write(f"{outbox}/a.csv", csv_rows(6))
        src = {"url": f"sftp://127.0.0.1:{sshd.port}{outbox}/", "pattern": "*.csv", "user": user, "private_key": key,
               "public_key": f"{key}.pub", "key_passphrase_env": "KEY_PW", "known_hosts": f"{sshd.base}/known_hosts",
               "stable_for": "0s", "after_import": "archive", "timeout": "10s"}
        e.connector("sftp-locked", src)
        e.env["KEY_PW"] = "not-the-passphrase-4711"
        rc, out = e.run("sftp-locked")
        assert rc == 1 and "4711" not in out and e.points() == [], out
        e.env["KEY_PW"] = passphrase
        rc, out = e.run("sftp-locked")
        assert rc == 0 and "a.csv: imported, 6 readings" in out and passphrase not in out, out
        assert e.series() == expected_series(6)
    finally:
        sshd.stop()
        e.cleanup()


def test_sftp_password_with_a_throwaway_user():
    """Password authentication, against a system user created for this test (root only)."""
    assert os.geteuid() == 0, "this test creates a throw-away system user: run the suite as root (as CI does)"
    assert os.path.exists("/usr/sbin/sshd") and shutil.which("useradd"), "openssh-server or passwd is missing"
    e = Env()
    # The partner's home lives outside telecollect's data dir, as on a real host: telecollect
    # keeps its data dir private (0700) and narrows it at start.
    homes = tempfile.mkdtemp(prefix="tc_sftp_home_")
    os.chmod(homes, 0o755)  # the user must reach its home below it
    user = f"tcsftp{os.getpid() % 100000}"
    home = f"{homes}/home"
    password = "Pw-" + os.urandom(6).hex()
    subprocess.run(["useradd", "--home-dir", home, "--create-home", "--shell", "/bin/sh", user], check=True)
    try:
        subprocess.run(["chpasswd"], input=f"{user}:{password}\n", text=True, check=True)
        sshd = Sshd(f"{e.dir}/ssh", passwords=True)
        try:
            outbox = f"{home}/outbox"
            write(f"{outbox}/a.csv", csv_rows(4))
            subprocess.run(["chown", "-R", f"{user}:{user}", home], check=True)
            src = {"url": f"sftp://127.0.0.1:{sshd.port}/~/outbox/", "pattern": "*.csv", "user": user,
                   "password_env": "SFTP_PW", "known_hosts": f"{sshd.base}/known_hosts", "stable_for": "0s",
                   "after_import": "delete", "timeout": "10s"}
            e.env["SFTP_PW"] = "not-the-Pw-4711"
            e.connector("sftp-pw", src)
            rc, out = e.run("sftp-pw")
            assert rc == 1 and "check user and password" in out and "4711" not in out, out
            e.env["SFTP_PW"] = password
            rc, out = e.run("sftp-pw")
            assert rc == 0 and "a.csv: imported, 4 readings" in out, out + open(f"{sshd.base}/sshd.log").read()[-1500:]
            assert e.series() == expected_series(4)
            assert password not in out
            assert not os.path.exists(f"{outbox}/a.csv")
        finally:
            sshd.stop()
    finally:
        subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(homes, ignore_errors=True)
        e.cleanup()


if __name__ == "__main__":
    run_tests(globals())
