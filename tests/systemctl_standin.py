#!/usr/bin/env python3
"""A stand-in for `systemctl`, for running documented install commands on a machine whose PID 1 is
not systemd (a CI container), put first on their PATH by e2e_deployment_test.py.

    systemctl daemon-reload           nothing to reload without a manager: a no-op
    systemctl enable [--now] UNIT     the real `systemctl enable` (it works offline: the [Install]
                                      symlinks), then, with --now, `start`
    systemctl start UNIT              starts the unit's ExecStart= as its [Service] section says
    systemctl stop UNIT               KillSignal= to the main process, SIGKILL after TimeoutStopSec=

`start` does what systemd does before exec for the settings it reads, and refuses a unit that uses
another setting of the same kind: User=, Group= (with the user's supplementary groups),
StateDirectory= with StateDirectoryMode= (created or narrowed, owned by the user),
ConfigurationDirectory= with ConfigurationDirectoryMode= (created if missing, owned by root),
WorkingDirectory=, UMask=, EnvironmentFile= (a leading `-`: optional), LimitNOFILE=, and a clean
environment (PATH, HOME, USER, LOGNAME, SHELL). Type=exec: `start` returns once the exec succeeded.
The sandboxing settings (ProtectSystem= and the like) are not applied: `systemd-analyze verify`
checks them, the test checks where the process writes.

A supervisor process (detached, this file with --supervise) starts the main process and writes, in
$SYSTEMCTL_STANDIN_DIR: UNIT.pid (MainPID), UNIT.log (stdout and stderr: the journal) and, when it
ends, UNIT.exit (its exit status, or -N for signal N). $SYSTEMCTL_STANDIN_REPLACE="old=new"
substitutes one string in ExecStart= (a test's listen address). With $SYSTEMCTL_STANDIN_OWNER=PID,
the service is stopped (KillSignal=) once that process is gone: a test killed leaves no service.
"""
import os
import pwd
import grp
import resource
import shlex
import signal
import subprocess
import sys
import time

UNIT_DIR = "/etc/systemd/system"
APPLIED = {"Type", "ExecStart", "User", "Group", "StateDirectory", "StateDirectoryMode", "ConfigurationDirectory",
           "ConfigurationDirectoryMode", "WorkingDirectory", "UMask", "EnvironmentFile", "LimitNOFILE", "KillSignal",
           "TimeoutStopSec", "DynamicUser"}
# Settings that do not change how the process is started, or that only restrict it (see the docstring).
NOT_APPLIED = {"ExecReload", "Restart", "RestartSec", "ReadWritePaths", "ProtectSystem", "ProtectHome", "PrivateTmp",
               "PrivateDevices", "NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities",
               "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
               "ProtectClock", "ProtectHostname", "ProtectProc", "RestrictAddressFamilies", "RestrictNamespaces",
               "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "RemoveIPC", "SystemCallArchitectures",
               "SystemCallFilter", "SystemCallErrorNumber"}


SUPERVISING = None  # the unit, in the supervisor: its failures go to UNIT.exit, where `start` reads them


def fail(message):
    print(f"systemctl (stand-in): {message}", file=sys.stderr)
    if SUPERVISING:
        with open(state_file(SUPERVISING, "exit"), "w") as f:
            f.write(message + "\n")
    sys.exit(1)


def service_section(unit):
    path = os.path.join(UNIT_DIR, unit)
    settings, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]":
                key, _, value = line.partition("=")
                if key not in APPLIED | NOT_APPLIED:
                    fail(f"{unit}: {key}= is not understood by this stand-in")
                settings[key] = value
    return settings


def state_file(unit, suffix):
    return os.path.join(os.environ["SYSTEMCTL_STANDIN_DIR"], f"{unit}.{suffix}")


def seconds(value):
    return float(value[:-1]) if value.endswith("s") else float(value)


def supervise(unit):
    s = service_section(unit)
    if s.get("Type", "simple") != "exec" or s.get("DynamicUser", "no") != "no":
        fail(f"{unit}: only Type=exec with DynamicUser=no")
    user = pwd.getpwnam(s["User"])
    gid = grp.getgrnam(s.get("Group", user.pw_name)).gr_gid
    if "StateDirectory" in s:
        d = os.path.join("/var/lib", s["StateDirectory"])
        os.makedirs(d, exist_ok=True)
        os.chown(d, user.pw_uid, gid)
        os.chmod(d, int(s.get("StateDirectoryMode", "0755"), 8))
    if "ConfigurationDirectory" in s:
        d = os.path.join("/etc", s["ConfigurationDirectory"])
        if not os.path.isdir(d):
            os.makedirs(d, int(s.get("ConfigurationDirectoryMode", "0755"), 8))
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": user.pw_dir,
           "USER": user.pw_name, "LOGNAME": user.pw_name, "SHELL": user.pw_shell}
    if "EnvironmentFile" in s:
        path = s["EnvironmentFile"]
        optional = path.startswith("-")
        path = path.lstrip("-")
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        key, _, value = line.partition("=")
                        env[key.strip()] = value.strip().strip('"')
        elif not optional:
            fail(f"{unit}: EnvironmentFile {path} is missing")
    command = s["ExecStart"]
    if os.environ.get("SYSTEMCTL_STANDIN_REPLACE"):
        old, _, new = os.environ["SYSTEMCTL_STANDIN_REPLACE"].partition("=")
        if old not in command:
            fail(f"{unit}: {old} is not in ExecStart=")
        command = command.replace(old, new)
    log = open(state_file(unit, "log"), "ab")
    if "LimitNOFILE" in s:  # set here, as root (the process inherits it): the user could not raise it
        nofile = int(s["LimitNOFILE"])
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        except (ValueError, OSError):  # a container may forbid even root to raise its hard limit
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            log.write(f"systemctl (stand-in): LimitNOFILE={nofile} above this machine's hard limit: {hard}\n".encode())
            log.flush()
    try:
        proc = subprocess.Popen(shlex.split(command), cwd=s.get("WorkingDirectory", "/"), env=env, user=user.pw_uid,
                                group=gid, extra_groups=os.getgrouplist(user.pw_name, gid),
                                umask=int(s.get("UMask", "0022"), 8), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    except (OSError, subprocess.SubprocessError) as e:
        fail(f"{unit}: exec failed: {e}")
    with open(state_file(unit, "pid.tmp"), "w") as f:
        f.write(f"{proc.pid}\n")
    os.rename(state_file(unit, "pid.tmp"), state_file(unit, "pid"))
    # Bound to the process that asked for it (the test): when that one is gone, so is the service.
    owner = int(os.environ.get("SYSTEMCTL_STANDIN_OWNER", "0"))
    while True:
        try:
            rc = proc.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            if owner and not os.path.exists(f"/proc/{owner}"):
                proc.send_signal(getattr(signal, s.get("KillSignal", "SIGTERM")))
                owner = 0
    with open(state_file(unit, "exit"), "w") as f:
        f.write(f"{rc}\n")
    return 0


def start(unit):
    for suffix in ("pid", "exit"):
        if os.path.exists(state_file(unit, suffix)):
            os.unlink(state_file(unit, suffix))
    # Detached, and holding none of the caller's descriptors (a caller reading our output to its end
    # would wait for the service to stop).
    with open(state_file(unit, "log"), "ab") as log:
        subprocess.Popen([sys.executable, os.path.abspath(__file__), "--supervise", unit], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(state_file(unit, "pid")):
            return 0
        if os.path.exists(state_file(unit, "exit")):
            fail(f"{unit}: {open(state_file(unit, 'exit')).read().strip()}")
        time.sleep(0.05)
    fail(f"{unit}: not started within 30 s")


def stop(unit):
    s = service_section(unit)
    with open(state_file(unit, "pid")) as f:
        pid = int(f.read())
    if os.path.exists(state_file(unit, "exit")):
        return 0
    os.kill(pid, getattr(signal, s.get("KillSignal", "SIGTERM")))
    deadline = time.monotonic() + seconds(s.get("TimeoutStopSec", "90"))
    while time.monotonic() < deadline:
        if os.path.exists(state_file(unit, "exit")):
            return 0
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    fail(f"{unit}: still running {s.get('TimeoutStopSec', '90')} after {s.get('KillSignal', 'SIGTERM')}: killed")


def main(argv):
    if argv[:1] == ["--supervise"]:
        global SUPERVISING
        SUPERVISING = argv[1]
        try:
            return supervise(argv[1])
        except Exception as e:  # noqa: BLE001 (reported to `start` through UNIT.exit)
            fail(f"{argv[1]}: {type(e).__name__}: {e}")
    if argv == ["daemon-reload"]:
        return 0
    verb, args = argv[0], argv[1:]
    now = "--now" in args
    names = [a if a.endswith(".service") else a + ".service" for a in args if not a.startswith("-")]
    if len(names) != 1:
        fail(f"one unit expected: {' '.join(argv)}")
    unit = names[0]
    if verb == "enable":
        r = subprocess.run(["/usr/bin/systemctl", "enable", unit])
        if r.returncode != 0:
            return r.returncode
        return start(unit) if now else 0
    if verb == "start":
        return start(unit)
    if verb == "stop":
        return stop(unit)
    fail(f"not understood: {' '.join(argv)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
