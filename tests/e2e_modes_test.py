#!/usr/bin/env python3
"""End-to-end: what telecollect keeps at rest is private. A fresh data dir is
created 0700 and, after serve + push + import (with serve running), holds only
0600 files and 0700 directories; a data dir left wide by an older version
(0755, a 0644 database) is narrowed at start and said once in the log."""
import os
import shutil
import stat
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import BRIEF_FRAME, SOURCE_DIR, Server, run_tests  # noqa: E402

CSV = f"{SOURCE_DIR}/src/files/testdata/csv_long_dst_autumn"


def modes(root):
    """Every entry under root (root included) → its permission bits, symbolic links left out."""
    out = {root: stat.S_IMODE(os.lstat(root).st_mode)}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            st = os.lstat(p)
            if not stat.S_ISLNK(st.st_mode):
                out[p] = stat.S_IMODE(st.st_mode)
    return out


def wide(root):
    """Entries whose mode is not 0700 (directories) or 0600 (files)."""
    bad = {}
    for p, m in modes(root).items():
        want = 0o700 if os.path.isdir(p) else 0o600
        if m != want:
            bad[p] = oct(m)
    return bad


def server_in(root):
    """A server whose data dir is root/data, not created yet; config and log stay in root."""
    data = os.path.join(root, "data")
    with open(os.path.join(root, "telecollect.toml"), "w") as f:
        f.write(f'data_dir = "{data}"\n[decoders]\ndirs = ["{SOURCE_DIR}/decoders"]\n')
    return Server(data_dir=root), data


def test_fresh_data_dir_is_private_after_serve_push_and_import():
    old = os.umask(0o022)  # a usual login umask: telecollect must not rely on the caller's
    root = tempfile.mkdtemp(prefix="tc_modes_")
    try:
        s, data = server_in(root)
        assert not os.path.exists(data)
        token = s.token()
        assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
        s.start()
        r = s.push(BRIEF_FRAME, token)
        assert r.status == 200 and r.json()["decoded"] == 1, r.body
        profile = os.path.join(data, "acme.toml")
        s.cli("validate", f"{CSV}/input.csv", "--profile", f"{CSV}/profile.toml", "--write-profile", profile)
        r = s.cli("import", "--profile", profile, "--tenant", "acme", "--env", "preprod", f"{CSV}/input.csv")
        assert "imported" in r.stdout + r.stderr, r.stdout + r.stderr
        # While serving: the database, its WAL and SHM are there.
        names = set(os.listdir(data))
        assert {"telecollect.db", "telecollect.db-wal", "telecollect.db-shm"} <= names, names
        assert wide(data) == {}, wide(data)
        assert s.stop() == 0
        assert wide(data) == {}, wide(data)
        log = open(os.path.join(root, "server.log")).read()
        assert "data_dir_modes_narrowed" not in log, log
    finally:
        os.umask(old)
        shutil.rmtree(root, ignore_errors=True)


def test_a_wide_data_dir_is_narrowed_at_start_and_logged_once():
    root = tempfile.mkdtemp(prefix="tc_modes_")
    try:
        s, data = server_in(root)
        token = s.token()
        s.start()
        assert s.push(BRIEF_FRAME, token).status == 200
        assert s.stop() == 0
        # As an older version left it.
        os.chmod(data, 0o755)
        os.chmod(os.path.join(data, "telecollect.db"), 0o644)
        os.makedirs(os.path.join(data, "spool"), exist_ok=True)
        os.chmod(os.path.join(data, "spool"), 0o775)
        assert wide(data) != {}
        s.start()
        assert s.push(BRIEF_FRAME, token).status == 200  # a duplicate, but answered: the store works
        assert wide(data) == {}, wide(data)
        assert s.stop() == 0
        log = open(os.path.join(root, "server.log")).read()
        assert log.count("data_dir_modes_narrowed") == 1, log
        # Nothing left to narrow: the next start says nothing.
        s.start()
        assert s.push(BRIEF_FRAME, token).status == 200
        assert s.stop() == 0
        log = open(os.path.join(root, "server.log")).read()
        assert log.count("data_dir_modes_narrowed") == 1, log
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    run_tests(globals())
