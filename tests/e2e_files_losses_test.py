#!/usr/bin/env python3
"""End-to-end: the two silent losses of file drops, and what guards them —
against real servers started here on 127.0.0.1 (OpenSSH's sshd and sftp
client, pyftpdlib). Compares stored values at their UTC instants.
- a correction re-uploaded with the same name, size and mtime (`put -p`) is
  read (content, not listing, is a file's identity);
- a writer that stalls longer than stable_for: nothing lost, the file
  archived only once whole;
- the temporary-name convention (`*.part` never read, read once renamed);
- host key fingerprints as `ssh-keygen -l` prints them;
- a run killed mid-download: no spool file left after the next run, the run
  shown as interrupted."""
import contextlib
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from e2e_files_test import Env, FtpServer, Sshd, write  # noqa: E402
from harness import BIN, run_tests  # noqa: E402

HEADER = "compteur;horodatage;valeur\n"


def rows(values, module="PDL1"):
    """One row per value, 10 minutes apart from 2026-01-01 00:00 Paris time."""
    out = []
    for i, v in enumerate(values):
        m = 10 * i
        out.append(f"{module};2026-01-{1 + m // 1440:02d} {m // 60 % 24:02d}:{m % 60:02d};{v}\n")
    return "".join(out)


def expected(values):
    """What the store must hold for rows(values): UTC instant (Paris is UTC+1 in January) → value."""
    out = []
    for i, v in enumerate(values):
        t = time.gmtime(time.mktime((2025, 12, 31, 23, 0, 0, 0, 0, 0)) - time.timezone + 600 * i)
        out.append(f"{time.strftime('%Y-%m-%dT%H:%M:%S', t)}.000Z,{float(v.replace(',', '.')):g}")
    return out


def stored(e, module="PDL1"):
    return [",".join([ts, f"{float(v):g}"]) for ts, v in (p.split(",")[:2] for p in e.points(module))]


def need_sshd():
    assert os.path.exists("/usr/sbin/sshd") and os.path.exists("/usr/bin/sftp"), \
        "openssh-server and openssh-client are needed (scripts/install-deps.sh)"


def fingerprint(pub):
    """As `ssh-keygen -l -f KEY.pub` prints it: SHA256:<base64>."""
    out = subprocess.run(["ssh-keygen", "-l", "-f", pub], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def sftp(sshd, batch, check=True):
    """The partner's OpenSSH sftp client, commands from `batch`."""
    r = subprocess.run(["sftp", "-q", "-P", str(sshd.port), "-i", f"{sshd.base}/user_key",
                        "-o", f"UserKnownHostsFile={sshd.base}/known_hosts", "-o", "StrictHostKeyChecking=yes",
                        "-o", "BatchMode=yes", "-b", "-", f"{os.environ.get('USER') or 'root'}@127.0.0.1"],
                       input=batch, capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


@contextlib.contextmanager
def sftp_outbox():
    """A data dir, an sshd on 127.0.0.1 and the partner's outbox folder on it."""
    need_sshd()
    e = Env()
    sshd = Sshd(f"{e.dir}/ssh")
    try:
        outbox = f"{e.dir}/outbox"
        os.makedirs(outbox)
        yield e, sshd, outbox
    finally:
        sshd.stop()
        e.cleanup()


def sftp_connector(e, sshd, outbox, **extra):
    src = {"url": f"sftp://127.0.0.1:{sshd.port}{outbox}/", "pattern": "*", "user": os.environ.get("USER") or "root",
           "private_key": f"{sshd.base}/user_key", "public_key": f"{sshd.base}/user_key.pub",
           "host_key_sha256": fingerprint(f"{sshd.base}/host_key.pub"), "stable_for": "2s", "complete_after": "0s",
           "after_import": "archive", "timeout": "10s"}
    src.update(extra)
    e.connector("sftp", src)


def test_correction_same_size_same_mtime_put_p_is_imported():
    with sftp_outbox() as (e, sshd, outbox):
        sftp_connector(e, sshd, outbox)
        first = ["1,5", "2,5", "3,5", "4,5"]
        fixed = ["1,5", "2,7", "3,5", "9,5"]  # the same number of characters: the same size
        old = time.time() - 3600  # the export's time, kept by put -p
        write(f"{e.dir}/day.csv", HEADER + rows(first))
        os.utime(f"{e.dir}/day.csv", (old, old))
        sftp(sshd, f"put -p {e.dir}/day.csv {outbox}/day.csv\n")
        rc, out = e.run("sftp")  # an hour old: taken on this first run
        assert rc == 0 and "day.csv: imported, 4 readings" in out, out
        assert stored(e) == expected(first), stored(e)
        assert len(os.listdir(f"{outbox}/archive")) == 1
        # The partner re-sends the corrected file: same name, size and mtime.
        write(f"{e.dir}/day.csv", HEADER + rows(fixed))
        os.utime(f"{e.dir}/day.csv", (old, old))
        sftp(sshd, f"put -p {e.dir}/day.csv {outbox}/day.csv\n")
        st = os.stat(f"{outbox}/day.csv")
        assert int(st.st_mtime) == int(old) and st.st_size == len(HEADER + rows(first)), st
        rc, out = e.run("sftp")
        assert rc == 0 and "other content: imported as a new version" in out and "day.csv: imported, 4 readings" in out, out
        assert stored(e) == expected(fixed), stored(e)
        journal = e.files()
        assert [f[7] for f in journal] == ["imported", "imported"] and journal[0][11] != journal[1][11], journal
        assert len(os.listdir(f"{outbox}/archive")) == 2 and not os.path.exists(f"{outbox}/day.csv")


def test_stalled_writer_nothing_lost_and_archived_only_whole():
    """The partner's writer sends half the file, stalls longer than stable_for,
    then the rest, holding the file open all along (as an SFTP server does)."""
    e = Env()
    try:
        inbox = f"{e.dir}/inbox"
        os.makedirs(inbox)
        e.connector("drop", {"url": inbox, "pattern": "*.csv", "stable_for": "1s", "complete_after": "6s"})
        values = [f"{i},25" for i in range(36)]
        full = HEADER + rows(values)
        half = HEADER + rows(values[:18])
        writer = open(f"{inbox}/day.csv", "w")
        writer.write(half)
        writer.flush()
        time.sleep(2.5)  # the stall: longer than stable_for
        rc, out = e.run("drop")
        assert rc == 0 and "day.csv: imported, 18 readings" in out, out  # what was there: read, not completed
        assert os.path.exists(f"{inbox}/day.csv") and not os.path.exists(f"{inbox}/archive"), out
        writer.write(full[len(half):])
        writer.close()
        rc, out = e.run("drop")
        assert "day.csv: imported" not in out and os.path.exists(f"{inbox}/day.csv"), out
        deadline = time.time() + 30
        while "day.csv: imported, 36 readings" not in out and time.time() < deadline:
            time.sleep(0.5)
            rc, out = e.run("drop")
        assert rc == 0 and "day.csv: imported, 36 readings" in out, out
        assert os.path.exists(f"{inbox}/day.csv") and not os.path.exists(f"{inbox}/archive"), out
        while not os.path.exists(f"{inbox}/archive") and time.time() < deadline:
            time.sleep(0.5)
            rc, out = e.run("drop")
        archived = os.listdir(f"{inbox}/archive")
        assert rc == 0 and len(archived) == 1 and "already imported" in out, out
        assert open(f"{inbox}/archive/{archived[0]}").read() == full  # archived whole
        assert stored(e) == expected(values), stored(e)  # every row, each once
        journal = e.files()
        assert [(f[6], f[7], f[9]) for f in journal] == [(str(len(full)), "imported", "36"),
                                                         (str(len(half)), "imported", "18")], journal
    finally:
        e.cleanup()


def test_temporary_names_are_never_read():
    with sftp_outbox() as (e, sshd, outbox):
        sftp_connector(e, sshd, outbox, stable_for="0s", ignore=[".*", "*.part", "*.uploading"])
        values = ["1,5", "2,5", "3,5"]
        write(f"{e.dir}/day.csv", HEADER + rows(values))
        sftp(sshd, f"put {e.dir}/day.csv {outbox}/day.csv.part\nput {e.dir}/day.csv {outbox}/.hidden.csv\n"
                   f"put {e.dir}/day.csv {outbox}/b.csv.uploading\n")
        rc, out = e.run("sftp")
        assert rc == 0 and "day.csv" not in out and "hidden" not in out and "uploading" not in out, out
        assert e.points() == [] and e.files() == []
        sftp(sshd, f"rename {outbox}/day.csv.part {outbox}/day.csv\n")
        rc, out = e.run("sftp")
        assert rc == 0 and "day.csv: imported, 3 readings" in out, out
        assert stored(e) == expected(values)
        assert sorted(os.listdir(outbox)) == [".hidden.csv", "archive", "b.csv.uploading"]


def test_host_key_fingerprint_as_ssh_keygen_prints_it():
    with sftp_outbox() as (e, sshd, outbox):
        write(f"{outbox}/a.csv", HEADER + rows(["1"]))
        fp = fingerprint(f"{sshd.base}/host_key.pub")
        assert fp.startswith("SHA256:"), fp
        sftp_connector(e, sshd, outbox, stable_for="0s", after_import="leave", host_key_sha256=fp)
        rc, out = e.run("sftp")
        assert rc == 0 and "a.csv: imported, 1 readings" in out, out
        sftp_connector(e, sshd, outbox, stable_for="0s", after_import="leave", host_key_sha256=fp[7:])  # bare base64
        rc, out = e.run("sftp")
        assert rc == 0, out
        other = "SHA256:" + ("A" if fp[7] != "A" else "B") + fp[8:]
        sftp_connector(e, sshd, outbox, stable_for="0s", after_import="leave", host_key_sha256=other)
        rc, out = e.run("sftp")
        assert rc == 1 and "fingerprint" in out.lower(), out
        sftp_connector(e, sshd, outbox, host_key_sha256="MD5:12:34")
        rc, out = e.run("sftp")
        assert rc == 2 and "ssh-keygen -l" in out, out


def test_kill_mid_download_no_spool_left_and_run_interrupted():
    e = Env()
    marker = f"{e.dir}/fast-now"
    ftp = FtpServer(f"{e.dir}/ftproot", slow_until=marker)
    try:
        values = [f"{i},5" for i in range(3000)]
        write(f"{ftp.root}/outbox/big.csv", HEADER + rows(values))
        e.env["PARTNER_PW"] = "s3cret-pw"
        e.connector("partner", {"url": f"ftp://127.0.0.1:{ftp.port}/outbox/", "pattern": "*.csv", "user": "partner",
                                "password_env": "PARTNER_PW", "stable_for": "0s", "after_import": "delete",
                                "timeout": "10s"})
        spool = f"{e.dir}/spool"
        run = subprocess.Popen([BIN, "--data-dir", e.dir, "connector", "run", "partner"], env=e.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        partial = []
        while time.time() < deadline and run.poll() is None:
            partial = [n for n in (os.listdir(spool) if os.path.isdir(spool) else []) if os.path.getsize(f"{spool}/{n}") > 4096]
            if partial:
                break
            time.sleep(0.05)
        assert partial and run.poll() is None, "the download was not caught in its middle"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        assert os.listdir(spool) == partial and partial[0].startswith("fetch-partner-"), os.listdir(spool)
        assert os.stat(f"{spool}/{partial[0]}").st_mode & 0o777 == 0o600  # the partner's data: telecollect's only
        assert ",running," in e.last_run(), e.last_run()
        open(marker, "w").close()
        rc, out = e.run("partner")
        assert rc == 0 and "1 earlier run(s) had been interrupted" in out and "removed 1 download(s)" in out, out
        assert "big.csv: imported, 3000 readings" in out, out
        assert os.listdir(spool) == [], os.listdir(spool)
        status = e.cli("connector", "status").stdout.strip().splitlines()
        assert ",ok," in status[1] and ",interrupted," in status[2], status
        assert stored(e) == expected(values)
    finally:
        ftp.stop()
        e.cleanup()


if __name__ == "__main__":
    run_tests(globals())
