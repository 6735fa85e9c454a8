#!/usr/bin/python3
"""A throw-away PostgreSQL 15 server for tests.

    tests/pg_server.py [--fsync] [-c NAME=VALUE]... -- COMMAND [ARGS...]

initdb into a temporary directory, a server listening on 127.0.0.1 on an
ephemeral port (its unix socket inside that directory), run as the
unprivileged system user `telecollect-test` when started as root (created if
missing), password authentication over TCP. Once the server accepts
connections and the database `telecollect` exists, COMMAND runs with

    TELECOLLECT_TEST_PG  libpq conninfo (host, port, user, dbname; no password)
    PGPASSWORD           the role's password (libpq reads it)
    TELECOLLECT_TEST_PG_DATA  the server's data directory (postmaster.pid: the
                         server's pid, for benchmarks that read its CPU time)

then the server is stopped and the directory removed, whatever happened. The
exit status is COMMAND's. Tests run the server with fsync off (throw-away
data); --fsync keeps PostgreSQL's durable defaults (benchmarks), and each -c
sets one more server parameter. PostgreSQL missing, or a server that does not come
up, is a failure (exit 2), never a skip.

Other tests use PgServer directly (start(), conninfo, stop()).
"""
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PG_BIN = os.environ.get("TELECOLLECT_PG_BIN", "/usr/lib/postgresql/15/bin")
OS_USER = "telecollect-test"
ROLE = "telecollect"
DATABASE = "telecollect"
START_TIMEOUT_S = 60


class PgError(Exception):
    pass


def ensure_os_user():
    """The unprivileged user the server runs as when we are root (idempotent)."""
    try:
        pwd.getpwnam(OS_USER)
        return
    except KeyError:
        pass
    r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER],
                       capture_output=True, text=True)
    # Another process may have created it meanwhile (exit 9: already exists).
    if r.returncode not in (0, 9):
        raise PgError(f"useradd {OS_USER}: {r.stderr.strip()}")
    pwd.getpwnam(OS_USER)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, fsync=False, settings=()):
        self.fsync = fsync
        self.settings = list(settings)
        self.dir = None
        self.port = None
        self.password = secrets.token_hex(16)
        self.proc = None
        self.as_root = os.geteuid() == 0

    def _cmd(self, *args):
        """Runs a PostgreSQL program as the server's user."""
        prog = [os.path.join(PG_BIN, args[0]), *args[1:]]
        return ["runuser", "-u", OS_USER, "--", *prog] if self.as_root else prog

    def _run(self, *args, timeout=120):
        r = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise PgError(f"{args[0]} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
        return r

    @property
    def datadir(self):
        return os.path.join(self.dir, "data")

    @property
    def conninfo(self):
        return f"host=127.0.0.1 port={self.port} user={ROLE} dbname={DATABASE} connect_timeout=10"

    def env(self):
        return {"TELECOLLECT_TEST_PG": self.conninfo, "PGPASSWORD": self.password,
                "TELECOLLECT_TEST_PG_DATA": self.datadir}

    def start(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            raise PgError(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing): "
                          "apt-get install postgresql-15 (scripts/install-deps.sh)")
        if self.as_root:
            ensure_os_user()
        self.dir = tempfile.mkdtemp(prefix="tc_pg_")
        os.chmod(self.dir, 0o700)
        if self.as_root:
            u = pwd.getpwnam(OS_USER)
            os.chown(self.dir, u.pw_uid, u.pw_gid)
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self.as_root:
            os.chown(pwfile, u.pw_uid, u.pw_gid)
        self._run("initdb", "-D", self.datadir, "-U", ROLE, f"--pwfile={pwfile}", "--auth-host=scram-sha-256",
                  "--auth-local=peer", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        os.unlink(pwfile)
        for attempt in range(3):
            self.port = free_port()
            if self._start_postmaster():
                break
            if attempt == 2:
                raise PgError("postgres did not start: " + self._log_tail())
        # The database the tests use.
        self._createdb()
        return self

    def _createdb(self):
        env = dict(os.environ, PGPASSWORD=self.password)
        r = subprocess.run([os.path.join(PG_BIN, "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", ROLE,
                            DATABASE], capture_output=True, text=True, timeout=60, env=env)
        if r.returncode != 0:
            raise PgError(f"createdb: {r.stderr.strip()}")

    def _log_tail(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return "(no log)"

    def _start_postmaster(self):
        log = open(os.path.join(self.dir, "server.log"), "ab")
        if self.as_root:
            os.chown(log.name, pwd.getpwnam(OS_USER).pw_uid, -1)
        args = ["postgres", "-D", self.datadir, "-h", "127.0.0.1", "-p", str(self.port), "-k", self.dir,
                "-c", "max_connections=200", "-c", "shared_buffers=64MB"]
        if not self.fsync:
            args += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        for setting in self.settings:
            args += ["-c", setting]
        self.proc = subprocess.Popen(self._cmd(*args), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # port taken, or a configuration error: see the log
            r = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                               timeout=30)
            if r.returncode == 0:
                return True
            time.sleep(0.2)
        self._kill()
        raise PgError(f"postgres not ready after {START_TIMEOUT_S} s: " + self._log_tail())

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            # The whole session: runuser and the postmaster under it.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)

    def pause(self):
        """Stops the server as an operator would (pg_ctl stop -m fast: sessions ended, a clean
        shutdown), keeping its data directory and port for resume()."""
        self._run("pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "-t", "30", "stop", timeout=60)
        self.proc.wait(timeout=30)

    def resume(self):
        """Starts the server paused by pause() again, on the same port."""
        if not self._start_postmaster():
            raise PgError("postgres did not start again on port %d: %s" % (self.port, self._log_tail()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self._run("pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "-t", "30", "stop", timeout=60)
                self.proc.wait(timeout=30)
            except (PgError, subprocess.TimeoutExpired):
                self._kill()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def main(argv):
    usage = "usage: pg_server.py [--fsync] [-c NAME=VALUE]... -- COMMAND [ARGS...]"
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print(usage, file=sys.stderr)
        return 2
    options, command = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    fsync, settings = False, []
    while options:
        option = options.pop(0)
        if option == "--fsync":
            fsync = True
        elif option == "-c" and options and "=" in options[0]:
            settings.append(options.pop(0))
        else:
            print(f"pg_server.py: unknown option {option!r}\n{usage}", file=sys.stderr)
            return 2
    server = PgServer(fsync=fsync, settings=settings)
    # ctest's timeout and ^C: stop the server before going.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        try:
            server.start()
        except (PgError, OSError, subprocess.SubprocessError) as e:
            print(f"pg_server: {e}", file=sys.stderr)
            return 2
        return subprocess.run(command, env=dict(os.environ, **server.env())).returncode
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
