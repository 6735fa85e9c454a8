#!/usr/bin/python3
"""A real FTP / FTPS server (pyftpdlib, Debian's python3-pyftpdlib) for the
end-to-end file tests, on 127.0.0.1. Prints "port N" once listening.
  ftp_server.py --root DIR --user U --password P [--perm elradfmw]
                [--tls CERT KEY] [--drop-once-after BYTES MARKER] [--slow-until MARKER]
                [--windows-listing]
--drop-once-after: the first download (while MARKER does not exist) is cut
after BYTES bytes: data and control connections closed, as a server that dies.
--slow-until: while MARKER does not exist, downloads go at about 20 KB/s
(a transfer long enough to be killed in its middle).
--windows-listing: LIST answers as Windows/IIS servers write them
("11-26-26  05:00PM  <DIR>  name", "11-26-26  05:00PM  1234 name")."""
import argparse
import os
import sys
import time

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler, TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

p = argparse.ArgumentParser()
p.add_argument("--root", required=True)
p.add_argument("--user", required=True)
p.add_argument("--password", required=True)
p.add_argument("--perm", default="elradfmw")
p.add_argument("--tls", nargs=2)
p.add_argument("--drop-once-after", nargs=2)
p.add_argument("--slow-until")
p.add_argument("--windows-listing", action="store_true")
a = p.parse_args()

authorizer = DummyAuthorizer()
authorizer.add_user(a.user, a.password, a.root, perm=a.perm)

base_dtp = TLS_DTPHandler if a.tls else DTPHandler
base_ftp = TLS_FTPHandler if a.tls else FTPHandler


class CuttingDTP(base_dtp):
    sent = 0

    def readable(self):
        # pyftpdlib 1.5.7 closes a TLS data connection still in its handshake
        # (fixed upstream, pyftpdlib PR #612): stay readable while accepting.
        if getattr(self, "_ssl_accepting", False):
            return True
        return super().readable()

    def send(self, data):
        if a.slow_until and not os.path.exists(a.slow_until):
            time.sleep(0.05)  # blocks this one-client server: fine for a test
            return super().send(data[:1024])
        if a.drop_once_after and not os.path.exists(a.drop_once_after[1]):
            limit = int(a.drop_once_after[0])
            if CuttingDTP.sent + len(data) >= limit:
                open(a.drop_once_after[1], "w").close()
                n = super().send(data[: max(limit - CuttingDTP.sent, 0)])
                self.cmd_channel.close()
                self.close()
                return n
            CuttingDTP.sent += len(data)
        return super().send(data)


class WindowsListingFS(AbstractedFS):
    def format_list(self, basedir, listing, ignore_err=True):
        for name in listing:
            st = os.stat(os.path.join(basedir, name))
            when = time.strftime("%m-%d-%y  %I:%M%p", time.localtime(st.st_mtime))
            size = "<DIR>         " if os.path.isdir(os.path.join(basedir, name)) else f"{st.st_size:>14}"
            yield f"{when}       {size} {name}\r\n".encode("utf8")


class Handler(base_ftp):
    dtp_handler = CuttingDTP
    passive_ports = None
    use_sendfile = not (a.drop_once_after or a.slow_until)  # the cut and the pace need send() to see the bytes


Handler.authorizer = authorizer
if a.windows_listing:
    Handler.abstracted_fs = WindowsListingFS
if a.tls:
    Handler.certfile = a.tls[0]
    Handler.keyfile = a.tls[1]
    Handler.tls_control_required = True
    Handler.tls_data_required = True
server = FTPServer(("127.0.0.1", 0), Handler)
print("port", server.address[1], flush=True)
sys.stdout.close()
server.serve_forever(timeout=0.5)
