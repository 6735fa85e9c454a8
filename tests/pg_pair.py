"""A throw-away PostgreSQL 15 primary and its synchronous standby, for the cluster suite.

The primary: initdb into a temporary directory, 127.0.0.1 on an ephemeral port, a role
`telecollect` (password authentication) owning the database `telecollect`, a role `replicator`.
The standby: pg_basebackup --write-recovery-conf from the primary (a replication slot `db2`),
started, then made synchronous (`synchronous_standby_names = 'FIRST 1 (db2)'`,
`synchronous_commit = on`): a commit returns once the standby has its WAL.
Both servers run as the unprivileged `telecollect-test` (tests/pg_server.py) when we are root.
Throw-away data: fsync off (a process killed loses nothing of what it committed; only a machine
crash would).
"""
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

from pg_server import OS_USER, PG_BIN, ensure_os_user, free_port

START_TIMEOUT_S = 90


def wait_for(what, check, timeout=60, interval=0.2):
    """Polls check() until it returns a true value (returned), or fails naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class PgPair:
    def __init__(self):
        self.as_root = os.geteuid() == 0
        self.dir = None
        self.ports = {}  # "db1"/"db2" -> port
        self.procs = {}  # "db1"/"db2" -> Popen (the session of runuser + postmaster)
        self.password = "tc-" + secrets.token_hex(12)
        self.repl_password = "rep-" + secrets.token_hex(12)

    # ---- running PostgreSQL programs as the server's user ------------------------------------
    def _cmd(self, prog, *args):
        path = [os.path.join(PG_BIN, prog), *args]
        return ["runuser", "-u", OS_USER, "--", *path] if self.as_root else path

    def _run(self, prog, *args, timeout=120, env=None):
        r = subprocess.run(self._cmd(prog, *args), capture_output=True, text=True, timeout=timeout, env=env)
        if r.returncode != 0:
            raise AssertionError(f"{prog} {' '.join(args)} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
        return r.stdout

    def datadir(self, name):
        return os.path.join(self.dir, name)

    def psql(self, name, sql, database="postgres"):
        """Runs `sql` as the superuser over the unix socket of server `name`; its output (-At)."""
        r = subprocess.run(self._cmd("psql", "-h", self.dir, "-p", str(self.ports[name]), "-U", "postgres", "-d", database,
                                     "-v", "ON_ERROR_STOP=1", "-AtX"),
                           input=sql, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"psql on {name}: {r.stderr.strip()}")
        return r.stdout.strip()

    def url(self):
        """The nodes' store url: both hosts, whichever is the primary (read-write)."""
        hosts = ",".join(f"127.0.0.1:{self.ports[n]}" for n in ("db1", "db2"))
        return f"postgresql://{hosts}/telecollect?user=telecollect&target_session_attrs=read-write&connect_timeout=5"

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self):
        for tool in ("initdb", "postgres", "pg_basebackup", "pg_ctl", "psql", "pg_isready"):
            if not os.path.exists(os.path.join(PG_BIN, tool)):
                raise AssertionError(f"{tool} missing ({PG_BIN}): apt-get install postgresql-15")
        if self.as_root:
            ensure_os_user()
        self.dir = tempfile.mkdtemp(prefix="tc_pgpair_")
        os.chmod(self.dir, 0o700)
        if self.as_root:
            u = pwd.getpwnam(OS_USER)
            os.chown(self.dir, u.pw_uid, u.pw_gid)
        self.ports = {"db1": free_port(), "db2": free_port()}
        primary = self.datadir("db1")
        self._run("initdb", "-D", primary, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with open(os.path.join(primary, "postgresql.conf"), "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                    "wal_level = replica\nmax_wal_senders = 10\nmax_replication_slots = 10\nhot_standby = on\n"
                    "synchronous_commit = on\nmax_connections = 200\nshared_buffers = 32MB\n"
                    "fsync = off\nfull_page_writes = off\n")
        self.start_server("db1")
        self.psql("db1", f"CREATE ROLE telecollect LOGIN PASSWORD '{self.password}';\n"
                         "CREATE DATABASE telecollect OWNER telecollect;\n"
                         f"CREATE ROLE replicator REPLICATION LOGIN PASSWORD '{self.repl_password}';\n")
        # The standby's password for the replication connection (the throw-away user has no home).
        passfile = os.path.join(self.dir, "pgpass")
        with open(passfile, "w") as f:
            f.write(f"127.0.0.1:{self.ports['db1']}:replication:replicator:{self.repl_password}\n")
        os.chmod(passfile, 0o600)
        if self.as_root:
            os.chown(passfile, pwd.getpwnam(OS_USER).pw_uid, -1)
        self.pg_env = dict(os.environ, PGPASSFILE=passfile)
        self._run("pg_basebackup", "--pgdata", self.datadir("db2"), "--write-recovery-conf", "--wal-method=stream",
                  "--create-slot", "--slot=db2", "--checkpoint=fast",
                  f"--dbname=host=127.0.0.1 port={self.ports['db1']} user=replicator application_name=db2",
                  timeout=300, env=self.pg_env)
        self.start_server("db2")
        wait_for("db2 streaming from db1", lambda: self.psql(
            "db1", "SELECT application_name || ' ' || state FROM pg_stat_replication") == "db2 streaming")
        self.psql("db1", "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (db2)';\nSELECT pg_reload_conf();")
        self.wait_sync()
        return self

    def wait_sync(self, timeout=60):
        wait_for("db2 as db1's synchronous standby", lambda: self.psql(
            "db1", "SELECT application_name || ' ' || sync_state FROM pg_stat_replication") == "db2 sync", timeout)

    def start_server(self, name):
        """Starts (or starts again) server `name` on its port; returns once it accepts connections."""
        log = open(os.path.join(self.dir, f"{name}.log"), "ab")
        if self.as_root:
            os.chown(log.name, pwd.getpwnam(OS_USER).pw_uid, -1)
        p = subprocess.Popen(self._cmd("postgres", "-D", self.datadir(name), "-p", str(self.ports[name])),
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                             env=getattr(self, "pg_env", None))
        log.close()
        self.procs[name] = p
        wait_for(f"postgres {name} on port {self.ports[name]}", lambda: self._ready(name), START_TIMEOUT_S)

    def _ready(self, name):
        if self.procs[name].poll() is not None:
            raise AssertionError(f"postgres {name} exited ({self.procs[name].returncode}): {self.log_tail(name)}")
        return subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.ports[name]), "-q"],
                              timeout=30).returncode == 0

    def log_tail(self, name, n=3000):
        try:
            with open(os.path.join(self.dir, f"{name}.log"), errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return "(no log)"

    def stop_server(self, name):
        """A clean stop (pg_ctl stop -m fast): returns once the server is down."""
        self._run("pg_ctl", "-D", self.datadir(name), "-m", "fast", "-w", "-t", "60", "stop", timeout=90)
        self.procs[name].wait(timeout=60)

    def kill_server(self, name):
        """kill -9 of the postmaster and every process of it at once, as a machine dying (its
        children are in sessions of their own: killing the postmaster's group alone would leave
        backends finishing what they were doing). Frozen first, so none is started meanwhile."""
        p = self.procs[name]
        if p.poll() is not None:
            return
        pids = [p.pid] + self._descendants(p.pid)
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            if sig == signal.SIGKILL:
                pids = sorted(set(pids + self._descendants(p.pid)))
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        p.wait(timeout=60)

    @staticmethod
    def _descendants(pid):
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [pid]
        while todo:
            for child in children.get(todo.pop(), []):
                out.append(child)
                todo.append(child)
        return out

    def promote(self, name):
        self._run("pg_ctl", "-D", self.datadir(name), "-w", "-t", "60", "promote", timeout=90)
        wait_for(f"{name} out of recovery", lambda: self.psql(name, "SELECT pg_is_in_recovery()") == "f")

    def cleanup(self):
        for name, p in self.procs.items():
            if p.poll() is None:
                try:
                    self._run("pg_ctl", "-D", self.datadir(name), "-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
                    p.wait(timeout=30)
                except (AssertionError, subprocess.TimeoutExpired):
                    self.kill_server(name)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
