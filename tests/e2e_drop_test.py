#!/usr/bin/env python3
"""End-to-end: the hosted SFTP drop, set up as docs/files.md says — one
partner with `telecollect drop add`, another with the recipe's per-partner
commands copied from the doc (names changed) — served by OpenSSH's sshd on
127.0.0.1 with the Match block telecollect prints. Checks that each partner
is chrooted, cannot read the other's files nor write its keys, that an upload
under a temporary name is not read until renamed, and that telecollect
imports as its own user, not root. Needs root (CI runs the tests as root):
it creates system users and groups, removed at the end."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from e2e_files_test import PROFILE, free_port, write  # noqa: E402
from e2e_files_losses_test import HEADER, expected, fingerprint, rows  # noqa: E402
from harness import BIN, SOURCE_DIR, run_tests, wait_port  # noqa: E402


def doc_block(after):
    """The first fenced code block after the line containing `after` in docs/files.md."""
    text = open(os.path.join(SOURCE_DIR, "docs/files.md")).read()
    start = text.index("```", text.index(after))
    start = text.index("\n", start) + 1
    return text[start:text.index("```", start)]


class Partner:
    def __init__(self, name, home):
        self.name = name
        self.key = f"{home}/{name}_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key], check=True)


def sftp_as(partner, port, known_hosts, batch):
    return subprocess.run(["sftp", "-q", "-P", str(port), "-i", partner.key, "-o", f"UserKnownHostsFile={known_hosts}",
                           "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-b", "-", f"{partner.name}@127.0.0.1"],
                          input=batch, capture_output=True, text=True, timeout=60)


def test_hosted_drop_as_documented():
    assert os.geteuid() == 0, "this test creates system users and starts a chrooting sshd: run it as root (as CI does)"
    for tool in ("/usr/sbin/sshd", "/usr/bin/sftp", "/usr/sbin/useradd", "/usr/sbin/groupadd", "/usr/sbin/runuser"):
        assert os.path.exists(tool), f"{tool} is missing (scripts/install-deps.sh: openssh-server, openssh-client, passwd, util-linux)"
    tag = os.getpid() % 100000
    group, service, a_name, b_name = f"tcdg{tag}", f"tcds{tag}", f"tcda{tag}", f"tcdb{tag}"
    home = tempfile.mkdtemp(prefix="tc_drop_")
    base = tempfile.mkdtemp(prefix="tc-drop-", dir="/srv")  # sshd wants a chroot whose every parent is root's
    os.chmod(base, 0o755)
    root, keys, conf = f"{base}/drop", f"{base}/keys", f"{base}/telecollect-drop.conf"
    sshd = None
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{home}/host_key"], check=True)
        a, b = Partner(a_name, home), Partner(b_name, home)
        port = free_port()
        # Partner A: the command.
        r = subprocess.run([BIN, "drop", "add", a.name, "--key", f"{a.key}.pub", "--root", root, "--keys-dir", keys,
                            "--partner-group", group, "--service-user", service, "--sshd-config", conf,
                            "--host-key", f"{home}/host_key.pub", "--host", "127.0.0.1", "--port", str(port)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        out = r.stdout
        printed = re.search(r"reload ssh`:\n\n(Match Group .*?\n)\n", out, re.S)
        assert printed, out
        assert fingerprint(f"{home}/host_key.pub") in out and f"sftp -P {port} {a.name}@127.0.0.1" in out, out
        assert f'url = "{root}/{a.name}/upload"' in out, out
        # The doc's Match block is the one printed (names changed).
        documented = doc_block("**By hand**, the same on a fresh Debian 12")
        documented = documented[documented.index("Match Group"):documented.index("CONF\n")]
        documented = (documented.replace("/etc/ssh/telecollect-drop-keys", keys).replace("/srv/drop", root)
                      .replace("drop-partners", group))
        assert documented == printed.group(1), (documented, printed.group(1))
        # Partner B: the per-partner commands of the doc, line for line.
        for line in doc_block("Per partner (here `acme`").strip().splitlines():
            line = (line.replace("/etc/ssh/telecollect-drop-keys", keys).replace("/srv/drop", root)
                    .replace("drop-partners", group).replace("-g telecollect", f"-g {service}")
                    .replace("acme.pub", f"{b.key}.pub").replace("acme", b.name))
            done = subprocess.run(["bash", "-c", line], capture_output=True, text=True)
            assert done.returncode == 0, f"{line}: {done.stderr}"
        # What sshd and the partners rely on.
        for d in (root, f"{root}/{a.name}", keys):
            st = os.stat(d)
            assert st.st_uid == 0 and st.st_mode & 0o022 == 0, d
        for name in (a.name, b.name):
            st = os.stat(f"{keys}/{name}")
            assert st.st_uid == 0 and st.st_mode & 0o777 == 0o644, name
        # sshd with the printed block, on 127.0.0.1.
        cfg = [f"ListenAddress 127.0.0.1:{port}", f"HostKey {home}/host_key", f"PidFile {home}/sshd.pid",
               "UsePAM no", "KbdInteractiveAuthentication no", "Subsystem sftp internal-sftp", printed.group(1)]
        write(f"{home}/sshd_config", "\n".join(cfg))
        os.makedirs("/run/sshd", exist_ok=True)
        check = subprocess.run(["/usr/sbin/sshd", "-t", "-f", f"{home}/sshd_config"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", f"{home}/sshd_config"], stderr=open(f"{home}/sshd.log", "w"))
        pub = open(f"{home}/host_key.pub").read().split()
        write(f"{home}/known_hosts", f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
        known = f"{home}/known_hosts"
        wait_port(port, 30)
        log = lambda: open(f"{home}/sshd.log").read()[-3000:]  # noqa: E731
        # Uploads under a temporary name, then renamed (A); B's file.
        values = ["1,5", "2,5", "3,5"]
        write(f"{home}/day.csv", HEADER + rows(values))
        write(f"{home}/secret.csv", HEADER + rows(["9"], module="B1"))
        up = sftp_as(a, port, known, f"put {home}/day.csv day.csv.part\n")
        assert up.returncode == 0, up.stderr + log()
        up = sftp_as(b, port, known, f"put {home}/secret.csv secret.csv\n")
        assert up.returncode == 0, up.stderr + log()
        st = os.stat(f"{root}/{b.name}/upload/secret.csv")
        service_gid = int(subprocess.run(["getent", "group", service], capture_output=True, text=True).stdout.split(":")[2])
        # Group telecollect's (the folder's setgid), readable by it, by nobody else (internal-sftp -u 0007).
        assert st.st_gid == service_gid and st.st_mode & 0o040 and st.st_mode & 0o007 == 0, (oct(st.st_mode), st.st_gid)
        # Chrooted: / is the partner's drop, holding only upload (where it landed).
        ls = sftp_as(a, port, known, "pwd\nls -a /\n")
        assert ls.returncode == 0 and "Remote working directory: /upload" in ls.stdout, ls.stdout + ls.stderr
        assert "/upload" in ls.stdout, ls.stdout
        assert "etc" not in ls.stdout and b.name not in ls.stdout, ls.stdout
        # B's files are out of A's reach, by any path.
        for path in (f"/{b.name}/upload/secret.csv", f"../{b.name}/upload/secret.csv", f"{root}/{b.name}/upload/secret.csv",
                     "/../" + b.name + "/upload/secret.csv"):
            got = sftp_as(a, port, known, f"get {path} {home}/stolen.csv\n")
            assert got.returncode != 0 and not os.path.exists(f"{home}/stolen.csv"), path
        # Keys: not writable, not even reachable.
        write(f"{home}/evil.pub", open(f"{b.key}.pub").read())
        for batch in (f"mkdir /.ssh\n", f"put {home}/evil.pub /.ssh/authorized_keys\n", f"put {home}/evil.pub {keys}/{a.name}\n",
                      f"put {home}/evil.pub /{a.name}\n", "chmod 777 /\n"):
            got = sftp_as(a, port, known, batch)
            assert got.returncode != 0, batch + got.stdout
        assert open(f"{keys}/{a.name}").read().split()[1] == open(f"{a.key}.pub").read().split()[1]
        assert not os.path.exists(f"{root}/{a.name}/.ssh")
        # No shell, no password.
        shell = subprocess.run(["ssh", "-p", str(port), "-i", a.key, "-o", f"UserKnownHostsFile={known}", "-o", "BatchMode=yes",
                                f"{a.name}@127.0.0.1", "id"], capture_output=True, text=True, timeout=30)
        assert "uid=" not in shell.stdout, shell.stdout
        # telecollect, as its own user: the temporary name is not read, the renamed file is.
        data = tempfile.mkdtemp(prefix="tc_drop_data_")
        os.makedirs(f"{data}/connectors")
        write(f"{data}/profile.toml", PROFILE)
        for name in (a.name, b.name):
            write(f"{data}/connectors/{name}.toml",
                  f'tenant = "{name}"\nenv = "preprod"\nprofile = "{data}/profile.toml"\n[source]\n'
                  f'url = "{root}/{name}/upload"\npattern = "*.csv"\nstable_for = "0s"\nafter_import = "archive"\n')
        subprocess.run(["chown", "-R", f"{service}:{service}", data], check=True)

        def as_service(*args):
            return subprocess.run(["runuser", "-u", service, "--", BIN, "--data-dir", data, *args],
                                  capture_output=True, text=True, timeout=60)

        assert subprocess.run(["runuser", "-u", service, "--", "id", "-u"], capture_output=True, text=True).stdout.strip() != "0"
        r = as_service("connector", "run", a.name)
        assert r.returncode == 0 and "day.csv" not in r.stdout, r.stdout + r.stderr
        up = sftp_as(a, port, known, "rename day.csv.part day.csv\n")
        assert up.returncode == 0, up.stderr
        r = as_service("connector", "run", a.name)
        assert r.returncode == 0 and "day.csv: imported, 3 readings" in r.stdout, r.stdout + r.stderr
        assert len(os.listdir(f"{root}/{a.name}/upload/archive")) == 1
        q = as_service("query", "measurements", "--tenant", a.name, "--env", "preprod", "--module", "PDL1")
        got = [",".join([ts, f"{float(v):g}"]) for ts, v in (l.split(",")[:2] for l in q.stdout.strip().splitlines()[1:])]
        assert got == expected(values), q.stdout + q.stderr
        r = as_service("connector", "run", b.name)
        assert r.returncode == 0 and "secret.csv: imported, 1 readings" in r.stdout, r.stdout + r.stderr
        shutil.rmtree(data, ignore_errors=True)
    finally:
        if sshd:
            sshd.terminate()
            sshd.wait(timeout=10)
        for user in (a_name, b_name, service):
            subprocess.run(["userdel", user], capture_output=True)
        for g in (group, service):
            subprocess.run(["groupdel", g], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    run_tests(globals())
