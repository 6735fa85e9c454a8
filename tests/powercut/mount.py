"""Mounts powerfs for a test: start, cut the power, unmount, mount again on what survived."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

POWERFS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "powerfs.py")


class PowerMount:
    """A powerfs mount of a fresh backing dir under its own temp dir."""

    def __init__(self, prefix="tc_powercut_", setup=None):
        self.top = tempfile.mkdtemp(prefix=prefix)
        self.backing = os.path.join(self.top, "backing")
        self.path = os.path.join(self.top, "mnt")
        self.control = os.path.join(self.top, "control.sock")
        os.mkdir(self.backing)
        os.mkdir(self.path)
        if setup:
            setup(self.backing)  # files written here before the mount are durable
        self.proc = None
        self.mount()

    def mount(self):
        if os.path.exists(self.control):
            os.unlink(self.control)
        self.log = open(os.path.join(self.top, "powerfs.log"), "a")
        self.proc = subprocess.Popen(["/usr/bin/python3", POWERFS, self.backing, self.path, "--control", self.control],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while not (self.mounted() and os.path.exists(self.control)):
            if self.proc.poll() is not None:
                raise AssertionError(f"powerfs exited with {self.proc.returncode}; see {self.log.name}")
            if time.time() > deadline:
                raise AssertionError("powerfs did not mount within 30 s")
            time.sleep(0.05)
        os.listdir(self.path)  # answers: the file system serves requests

    def mounted(self):
        """From the mount table: a frozen or dead mount fails stat, so os.path.ismount says no."""
        with open("/proc/self/mounts") as f:
            return any(line.split()[1] == self.path for line in f)

    def command(self, **req):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(120)
            s.connect(self.control)
            s.sendall((json.dumps(req) + "\n").encode())
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        out = json.loads(buf)
        if "error" in out:
            raise AssertionError(f"powerfs {req}: {out['error']}")
        return out

    def cut(self, mode="all", seed=0):
        """Power cut: freezes the mount (EIO from now on) and leaves in the backing dir
        only what a disk would hold. Returns powerfs's counts."""
        return self.command(cmd="cut", mode=mode, seed=seed)

    def stats(self):
        return self.command(cmd="stats")

    def wait_frozen(self, timeout):
        """True once the mount froze (armed, or cut); False after timeout seconds."""
        return self.command(cmd="wait_frozen", timeout=timeout)["frozen"]

    def fail_syncs(self, on):
        """While on, every fsync and directory fsync fails with EIO and makes nothing durable."""
        return self.command(cmd="fail_syncs", on=on)

    def arm(self, after_syncs):
        """Freeze right after the K-th fsync (file or directory) returns."""
        return self.command(cmd="arm", after_syncs=after_syncs)

    def unmount(self):
        if self.proc is None:
            return
        deadline = time.time() + 30
        while self.mounted():
            r = subprocess.run(["fusermount3", "-u", self.path], capture_output=True, text=True)
            if r.returncode == 0:
                break
            if time.time() > deadline:
                subprocess.run(["umount", "-l", self.path], capture_output=True)
                break
            time.sleep(0.2)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.log.close()

    def remount(self):
        """After a cut: a new powerfs on the surviving state (all of it durable)."""
        self.unmount()
        self.mount()

    def cleanup(self):
        self.unmount()
        shutil.rmtree(self.top, ignore_errors=True)
