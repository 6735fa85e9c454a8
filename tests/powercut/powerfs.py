#!/usr/bin/python3
"""powerfs: a FUSE pass-through that can lose, on command, what a power cut loses.

Model
-----
The mount shows a real directory (the *backing* dir). Every operation goes
through to it at once, so the processes on the mount read back their own
writes, as they would from the page cache. Beside that live state, powerfs keeps
the *durable* state, the one a disk would hold:

- file contents: one shadow copy per file (inode) in a state dir beside the
  backing dir. A write or truncate is applied to the live file and recorded in
  the file's list of pending operations; fsync or fdatasync on any descriptor of
  that file applies the list, in order, to the shadow copy and empties it.
- directory entries: create, mkdir, unlink, rmdir and rename are applied live
  and recorded in one ordered list of pending namespace operations, each tagged
  with the directories it touches (a rename touches both). fsync of a directory
  makes durable, in order, every pending operation that touches it (a rename
  made durable by either of its directories is whole: journaled file systems
  commit it as one transaction). fsync of a file does NOT make its own
  directory entry durable: a new file needs an fsync of its directory, as POSIX
  says (ext4 happens to be kinder; this model is the strict one).

A power cut (the control command `cut`) first freezes the mount: every later
operation fails with EIO, so nothing the processes do afterwards counts. Then
it replaces the backing dir's content with the durable state:
- mode "all": every pending operation is dropped;
- mode "random" (seeded): a random prefix of the namespace list is kept (a
  journal commits in order), and for each file a random prefix of its pending
  writes, the first write not kept being torn half of the time: a random subset
  of its 512-byte or 4 KiB aligned pieces is kept, as a disk may persist them.
  Unsynced data may thus survive (the kernel writes dirty pages back at will),
  which is what catches an order bug (an archive move on disk before the rows).
After the cut the backing dir holds exactly what the disk would have kept;
unmount, mount a new powerfs on it (everything there is then durable) and
restart the processes.

Control channel: a unix socket (`--control PATH`); one JSON line in, one JSON
line out: {"cmd": "cut", "mode": "all"|"random", "seed": N}, {"cmd": "stats"}, or
{"cmd": "arm", "after_syncs": K}: the mount freezes by itself right after the K-th
fsync (of a file or a directory) returns, so that a cut can land exactly between
two durable steps of a process; `cut` then drops what that freeze left pending.
{"cmd": "wait_frozen", "timeout": S}: answers once the mount is frozen, or after S
seconds ({"frozen": bool, "syncs": n}): an event wait, not a poll of stats.
{"cmd": "fail_syncs", "on": true|false}: while on, every fsync (file or directory)
fails with EIO and makes nothing durable, as a failing disk does.

Limits
------
- No hard links or symlinks (EPERM); no xattrs.
- Mode bits are kept; owners are not tracked (always the live ones); mtime
  and atime after a cut are those of the live file at the cut (metadata other
  than size is treated as always durable).
- Shared writable mmap works (SQLite's -shm) through the kernel's page cache
  (mounted with kernel_cache, so that one process opening the file does not drop
  the pages others have mapped); its write-back reaches powerfs as ordinary
  writes, lost unless fsynced.
- Pending writes are held in memory until fsynced: a file written a lot and
  never synced (a -shm) grows that list; tests are bounded.
- One global lock orders the writes: correct, not fast (see the frames/s figure
  in tests/powercut/README.md).
"""
import argparse
import errno
import json
import os
import random
import shutil
import socket
import stat
import sys
import threading

import fusepy

ROOT_ID = 0


class PowerFs:
    use_ns = True

    def __init__(self, backing, state_dir):
        self.backing = os.path.realpath(backing)
        self.state = state_dir
        os.makedirs(self.state, exist_ok=True)
        self.mu = threading.Lock()
        self.frozen = False
        self.frozen_event = threading.Event()  # set with frozen: wait_frozen waits on it, no polling
        self.next_id = 1
        self.live = {"/": ROOT_ID}          # live path -> id
        self.kind = {ROOT_ID: "d"}          # id -> "f" | "d"
        self.mode = {ROOT_ID: 0o755}
        self.pending = {}                   # file id -> [("w", off, bytes) | ("t", size)]
        self.durable = {ROOT_ID: {}}        # dir id -> {name: id}
        self.meta = []                      # [(op tuple, frozenset of dir ids)]
        self.fh_id = {}                     # open fd -> file id
        self.counts = {"writes": 0, "fsyncs": 0, "dir_fsyncs": 0}
        self.armed = None                   # freeze once this many fsyncs (file or dir) are done
        self.failing_syncs = False          # fail_syncs: every fsync answers EIO and makes nothing durable
        self._scan("/", ROOT_ID)

    # ---- bookkeeping -----------------------------------------------------
    def _new_id(self, kind, mode):
        i = self.next_id
        self.next_id += 1
        self.kind[i] = kind
        self.mode[i] = stat.S_IMODE(mode)
        if kind == "d":
            self.durable.setdefault(i, {})
        else:
            self.pending[i] = []
        return i

    def _scan(self, rel, dir_id):
        """Everything already in the backing dir is durable."""
        for name in sorted(os.listdir(self._real(rel))):
            child = os.path.join(rel, name)
            st = os.lstat(self._real(child))
            if stat.S_ISDIR(st.st_mode):
                i = self._new_id("d", st.st_mode)
                self.durable[dir_id][name] = i
                self.live[child] = i
                self._scan(child, i)
            elif stat.S_ISREG(st.st_mode):
                i = self._new_id("f", st.st_mode)
                shutil.copyfile(self._real(child), self._shadow(i))
                self.durable[dir_id][name] = i
                self.live[child] = i

    def _real(self, path):
        return self.backing + path if path != "/" else self.backing

    def _shadow(self, i):
        return os.path.join(self.state, str(i))

    def _check(self):
        if self.frozen:
            raise fusepy.FuseOSError(errno.EIO)

    @staticmethod
    def _split(path):
        parent, name = os.path.split(path)
        return parent or "/", name

    def _record_meta(self, op, *dirs):
        self.meta.append((op, frozenset(dirs)))

    def _apply_meta(self, op):
        kind = op[0]
        if kind in ("link", "mkdir"):
            _, parent, name, i = op
            self.durable.setdefault(parent, {})[name] = i
        elif kind == "unlink":
            _, parent, name, i = op
            if self.durable.setdefault(parent, {}).get(name) == i:
                del self.durable[parent][name]
        elif kind == "rename":
            _, p_old, old, p_new, new, i = op
            d_old = self.durable.setdefault(p_old, {})
            if d_old.get(old) == i:
                del d_old[old]
            self.durable.setdefault(p_new, {})[new] = i

    def _apply_data(self, i, ops):
        if not ops:
            return
        with open(self._shadow(i), "r+b" if os.path.exists(self._shadow(i)) else "w+b") as f:
            for op in ops:
                if op[0] == "w":
                    f.seek(op[1])
                    f.write(op[2])
                else:
                    f.truncate(op[1])

    # ---- FUSE operations -------------------------------------------------
    def __call__(self, op, *args):
        if not hasattr(self, op):
            raise fusepy.FuseOSError(errno.EFAULT)
        return getattr(self, op)(*args)

    def getattr(self, path, fh=None):
        self._check()
        try:
            st = os.fstat(fh) if fh is not None else os.lstat(self._real(path))
        except OSError as e:
            raise fusepy.FuseOSError(e.errno)
        return {k: getattr(st, k) for k in ("st_mode", "st_nlink", "st_size", "st_uid", "st_gid",
                                            "st_atime", "st_mtime", "st_ctime")}

    def access(self, path, amode):
        self._check()
        if not os.access(self._real(path), amode):
            raise fusepy.FuseOSError(errno.EACCES)

    def readdir(self, path, fh):
        self._check()
        return [".", ".."] + os.listdir(self._real(path))

    def opendir(self, path):
        self._check()
        return 0

    def releasedir(self, path, fh):
        return 0

    def fsyncdir(self, path, datasync, fh):
        with self.mu:
            self._check()
            self._maybe_fail_sync()
            d = self.live.get(path)
            if d is None:
                raise fusepy.FuseOSError(errno.ENOENT)
            keep = []
            for op, dirs in self.meta:
                if d in dirs:
                    self._apply_meta(op)
                else:
                    keep.append((op, dirs))
            self.meta = keep
            self.counts["dir_fsyncs"] += 1
            self._maybe_freeze()

    def statfs(self, path):
        st = os.statvfs(self._real(path))
        return {k: getattr(st, k) for k in ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail",
                                            "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")}

    def chmod(self, path, mode):
        with self.mu:
            self._check()
            os.chmod(self._real(path), mode)
            if path in self.live:
                self.mode[self.live[path]] = stat.S_IMODE(mode)

    def chown(self, path, uid, gid):
        self._check()
        os.chown(self._real(path), uid, gid)

    def utimens(self, path, times=None):
        self._check()
        if times is None:
            os.utime(self._real(path))
        else:
            os.utime(self._real(path), ns=times)

    def mkdir(self, path, mode):
        with self.mu:
            self._check()
            os.mkdir(self._real(path), mode)
            parent, name = self._split(path)
            i = self._new_id("d", mode)
            self.live[path] = i
            self._record_meta(("mkdir", self.live[parent], name, i), self.live[parent])

    def rmdir(self, path):
        self._remove(path, os.rmdir)

    def unlink(self, path):
        self._remove(path, os.unlink)

    def _remove(self, path, remove):
        with self.mu:
            self._check()
            remove(self._real(path))
            parent, name = self._split(path)
            i = self.live.pop(path)
            self._record_meta(("unlink", self.live[parent], name, i), self.live[parent])

    def rename(self, old, new):
        with self.mu:
            self._check()
            os.rename(self._real(old), self._real(new))
            i = self.live.pop(old)
            self.live.pop(new, None)
            if self.kind[i] == "d":
                for p in [p for p in self.live if p.startswith(new + "/")]:
                    del self.live[p]
                for p in [p for p in self.live if p.startswith(old + "/")]:
                    self.live[new + p[len(old):]] = self.live.pop(p)
            self.live[new] = i
            p_old, n_old = self._split(old)
            p_new, n_new = self._split(new)
            a, b = self.live[p_old], self.live[p_new]
            self._record_meta(("rename", a, n_old, b, n_new, i), a, b)

    def link(self, target, source):
        raise fusepy.FuseOSError(errno.EPERM)

    def symlink(self, target, source):
        raise fusepy.FuseOSError(errno.EPERM)

    def create(self, path, mode, fi=None):
        with self.mu:
            self._check()
            existed = path in self.live
            fd = os.open(self._real(path), os.O_RDWR | os.O_CREAT, mode)
            if not existed:
                parent, name = self._split(path)
                i = self._new_id("f", mode)
                self.live[path] = i
                self._record_meta(("link", self.live[parent], name, i), self.live[parent])
            self.fh_id[fd] = self.live[path]
            return fd

    def open(self, path, flags):
        with self.mu:
            self._check()
            i = self.live.get(path)
            if i is None:
                raise fusepy.FuseOSError(errno.ENOENT)
            trunc = flags & os.O_TRUNC
            fd = os.open(self._real(path), flags & ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC | os.O_APPEND))
            if trunc:
                os.ftruncate(fd, 0)
                self.pending[i].append(("t", 0))
            self.fh_id[fd] = i
            return fd

    def read(self, path, size, offset, fh):
        self._check()
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        with self.mu:
            self._check()
            n = os.pwrite(fh, data, offset)
            self.pending[self.fh_id[fh]].append(("w", offset, bytes(data[:n])))
            self.counts["writes"] += 1
            return n

    def truncate(self, path, length, fh=None):
        with self.mu:
            self._check()
            if fh is not None:
                os.ftruncate(fh, length)
                i = self.fh_id[fh]
            else:
                os.truncate(self._real(path), length)
                i = self.live[path]
            self.pending[i].append(("t", length))

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        with self.mu:
            self.fh_id.pop(fh, None)
            os.close(fh)

    def fsync(self, path, datasync, fh):
        with self.mu:
            self._check()
            self._maybe_fail_sync()
            i = self.fh_id[fh]
            self._apply_data(i, self.pending[i])
            self.pending[i] = []
            self.counts["fsyncs"] += 1
            self._maybe_freeze()

    def _maybe_fail_sync(self):
        if self.failing_syncs:
            self.counts["failed_syncs"] = self.counts.get("failed_syncs", 0) + 1
            raise fusepy.FuseOSError(errno.EIO)  # a failing disk: nothing pending becomes durable

    def fail_syncs(self, on):
        with self.mu:
            self.failing_syncs = bool(on)
            return {"failing_syncs": self.failing_syncs}

    # ---- the power cut ---------------------------------------------------
    def _maybe_freeze(self):
        if self.armed is not None and self.counts["fsyncs"] + self.counts["dir_fsyncs"] >= self.armed:
            self.frozen = True  # this sync is done and reported; nothing after it happens
            self.frozen_event.set()

    def arm(self, after_syncs):
        with self.mu:
            self.armed = after_syncs
            self._maybe_freeze()
            return {"armed": after_syncs}

    def wait_frozen(self, timeout):
        """Blocks until the mount froze (armed or cut) or timeout seconds passed."""
        frozen = self.frozen_event.wait(timeout)
        with self.mu:
            return {"frozen": frozen, "syncs": self.counts["fsyncs"] + self.counts["dir_fsyncs"]}

    def stats(self):
        with self.mu:
            names = {i: p for p, i in self.live.items()}
            by_file = {names.get(i, f"#{i} (unlinked)"): [(op[0], op[1], len(op[2]) if op[0] == "w" else None) for op in ops]
                       for i, ops in self.pending.items() if ops}
            return dict(self.counts, frozen=self.frozen, meta_pending=len(self.meta), pending_by_file=by_file,
                        meta=[op for op, _ in self.meta],
                        syncs=self.counts["fsyncs"] + self.counts["dir_fsyncs"],
                        data_ops_pending=sum(len(v) for v in self.pending.values()))

    def cut(self, mode, seed):
        with self.mu:
            self.frozen = True
            self.frozen_event.set()
            rng = random.Random(seed)
            report = {"meta_pending": len(self.meta), "meta_kept": 0, "data_ops_pending": 0,
                      "data_ops_kept": 0, "torn": 0}
            kept_meta = 0 if mode == "all" else rng.randint(0, len(self.meta))
            for op, _ in self.meta[:kept_meta]:
                self._apply_meta(op)
            report["meta_kept"] = kept_meta
            for i, ops in self.pending.items():
                report["data_ops_pending"] += len(ops)
                if mode == "all" or not ops:
                    continue
                k = rng.randint(0, len(ops))
                kept = list(ops[:k])
                if k < len(ops) and ops[k][0] == "w" and rng.random() < 0.5:
                    kept.extend(self._torn(ops[k], rng))
                    report["torn"] += 1
                self._apply_data(i, kept)
                report["data_ops_kept"] += k
            # Live mtimes, by id, before the backing dir is rewritten.
            times = {}
            for p, i in self.live.items():
                try:
                    st = os.lstat(self._real(p))
                    times[i] = (st.st_atime_ns, st.st_mtime_ns)
                except OSError:
                    pass
            for name in os.listdir(self.backing):
                p = os.path.join(self.backing, name)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.unlink(p)
            files = self._materialize(ROOT_ID, self.backing, times, set())
            report["files"] = files
            return report

    @staticmethod
    def _torn(op, rng):
        _, off, data = op
        sector = rng.choice((512, 4096))
        pieces = []
        pos = off
        end = off + len(data)
        while pos < end:
            nxt = min(end, (pos // sector + 1) * sector)
            pieces.append((pos, nxt))
            pos = nxt
        return [("w", a, data[a - off:b - off]) for a, b in pieces if rng.random() < 0.5]

    def _materialize(self, dir_id, real_dir, times, seen):
        files = 0
        for name, i in sorted(self.durable.get(dir_id, {}).items()):
            if i in seen:
                continue  # a directory renamed into itself would loop
            seen.add(i)
            target = os.path.join(real_dir, name)
            if self.kind[i] == "d":
                os.mkdir(target, self.mode[i])
                files += self._materialize(i, target, times, seen)
            else:
                if os.path.exists(self._shadow(i)):
                    shutil.copyfile(self._shadow(i), target)
                else:
                    open(target, "wb").close()
                os.chmod(target, self.mode[i])
                files += 1
            if i in times:
                os.utime(target, ns=times[i])
        return files


def serve_control(fs, path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)

    def loop():
        while True:
            conn, _ = srv.accept()
            with conn, conn.makefile("rw") as f:
                for line in f:
                    try:
                        req = json.loads(line)
                        if req["cmd"] == "cut":
                            out = fs.cut(req.get("mode", "all"), req.get("seed", 0))
                        elif req["cmd"] == "arm":
                            out = fs.arm(int(req["after_syncs"]))
                        elif req["cmd"] == "fail_syncs":
                            out = fs.fail_syncs(req["on"])
                        elif req["cmd"] == "stats":
                            out = fs.stats()
                        elif req["cmd"] == "wait_frozen":
                            out = fs.wait_frozen(float(req.get("timeout", 1)))
                        else:
                            out = {"error": "unknown command"}
                    except Exception as e:  # noqa: BLE001 (report to the client)
                        out = {"error": repr(e)}
                    f.write(json.dumps(out) + "\n")
                    f.flush()

    threading.Thread(target=loop, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("backing")
    ap.add_argument("mountpoint")
    ap.add_argument("--control", required=True, help="unix socket taking the cut command")
    ap.add_argument("--state", help="shadow copies (default: BACKING.powerfs-state)")
    a = ap.parse_args()
    state = a.state or os.path.realpath(a.backing) + ".powerfs-state"
    shutil.rmtree(state, ignore_errors=True)
    fs = PowerFs(a.backing, state)
    serve_control(fs, a.control)
    try:
        # kernel_cache: an open does not drop the file's page cache. Every write goes
        # through this mount, so the cache is never stale; without it, each process
        # opening SQLite's -shm would flush and drop the pages other processes have
        # mapped, under them.
        fusepy.FUSE(fs, a.mountpoint, foreground=True, nothreads=False, big_writes=True,
                    hard_remove=True, kernel_cache=True, fsname="powerfs", subtype="powerfs")
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
