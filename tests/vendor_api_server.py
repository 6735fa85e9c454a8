#!/usr/bin/env python3
"""A stand-in for vendor clouds we cannot reach from tests: a real HTTP server
on 127.0.0.1 serving the documented answer shapes of Enedis Data Connect
(2026 mesure_synchrone_auto/v2 and the v5 metering_data shapes), GRDF ADICT
(OAuth2 client credentials, NDJSON with status lines, errors inside 200) and
a generic vendor API (API key; page, offset, cursor, next-URL and Link
paging), with an OAuth2 token endpoint (expiry, rotating refresh tokens) and
fault injection (429 + Retry-After, 500, timeouts, slow pages).

Every series is a pure function of (meter, instant), so a test compares what
telecollect stored against the full series. Prints the port, then serves
until killed. Standard library only."""
import base64
import datetime as dt
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
CLIENT_ID, CLIENT_SECRET = "tc-client", "tc-secret"
API_KEY = "k-123"

lock = threading.Lock()
state = {
    "tokens": {},          # access token -> expiry (epoch s)
    "refresh": "r-0",      # the current refresh token (rotated at each use)
    "token_ttl": 3600,
    "token_calls": 0,
    "faults": [],          # next answers to force: {"status": 429, "retry_after": "1"} | {"status": 500} | {"sleep": s}
    "slow": 0.0,           # seconds added to each data answer
    "corrections": {},     # "meter|epoch_s" -> value
    "calls": [],           # paths served (data endpoints)
    "grdf_missing": [],    # "PCE|YYYY-MM-DD": gas days the vendor has no data for yet (a business error in that record)
}


def value(meter, t):
    """The series: one value per (meter, epoch seconds of interval start)."""
    with lock:
        c = state["corrections"].get(f"{meter}|{t}")
    if c is not None:
        return c
    return round((sum(map(ord, meter)) % 97) + (t // 1800) % 48 * 0.5 + (t // 86400) % 7, 3)


def local_days(d0, d1):
    day = dt.date.fromisoformat(d0)
    end = dt.date.fromisoformat(d1)
    while day < end:
        yield day
        day += dt.timedelta(days=1)


def half_hours(day, step_min=30):
    """(start, end) UTC instants of each step of a local day (23, 24 or 25 h)."""
    start = dt.datetime.combine(day, dt.time(0), PARIS).astimezone(dt.timezone.utc)
    stop = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), PARIS).astimezone(dt.timezone.utc)
    t = start
    while t < stop:
        yield t, t + dt.timedelta(minutes=step_min)
        t += dt.timedelta(minutes=step_min)


def local_naive(t):
    return t.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="application/json", headers=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def json(self, status, obj, headers=None):
        self.send(status, json.dumps(obj), headers=headers)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    # ---- OAuth2 -------------------------------------------------------------
    def token(self):
        form = dict(urllib.parse.parse_qsl(self.body()))
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if (cid, secret) != (CLIENT_ID, CLIENT_SECRET):
            return self.json(401, {"error": "invalid_client", "error_description": "bad client credentials"})
        with lock:
            state["token_calls"] += 1
            grant = form.get("grant_type")
            out = {"token_type": "Bearer", "expires_in": state["token_ttl"]}
            if grant == "refresh_token":
                if form.get("refresh_token") != state["refresh"]:
                    return self.json(400, {"error": "invalid_grant", "error_description": "refresh token unknown or used"})
                n = int(state["refresh"].split("-")[1]) + 1
                state["refresh"] = f"r-{n}"
                out["refresh_token"] = state["refresh"]
            elif grant != "client_credentials":
                return self.json(400, {"error": "unsupported_grant_type"})
            tok = secrets.token_hex(8)
            state["tokens"][tok] = time.time() + state["token_ttl"]
            out["access_token"] = tok
        return self.json(200, out)

    def bearer_ok(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        with lock:
            exp = state["tokens"].get(auth[7:])
        return exp is not None and exp > time.time()

    # ---- faults ---------------------------------------------------------------
    def fault(self):
        with lock:
            f = state["faults"].pop(0) if state["faults"] else None
            slow = state["slow"]
        if slow:
            time.sleep(slow)
        if f is None:
            return False
        if "sleep" in f:
            time.sleep(f["sleep"])
            return False
        if f.get("revoke"):  # every access token stops working now: the client must get a new one
            with lock:
                state["tokens"].clear()
            return False
        headers = {"Retry-After": f["retry_after"]} if "retry_after" in f else None
        self.json(f["status"], {"error": "injected"}, headers)
        return True

    # ---- routes ---------------------------------------------------------------
    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/oauth/token":
            return self.token()
        if u.path == "/admin":
            cmd = json.loads(self.body())
            with lock:
                for k, v in cmd.items():
                    if k == "corrections":
                        state["corrections"].update(v)
                    else:
                        state[k] = v
            return self.json(200, {"ok": True})
        self.json(404, {"error": "no route"})

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/admin":
            with lock:
                return self.json(200, {k: state[k] for k in ("token_calls", "refresh", "calls")})
        with lock:
            state["calls"].append(self.path)
        if self.fault():
            return
        if u.path.startswith("/enedis/"):
            if not self.bearer_ok():
                return self.json(401, {"error": "invalid_token"})
            return self.enedis(u.path[len("/enedis"):], q)
        if u.path.startswith("/grdf/"):
            if not self.bearer_ok():
                return self.json(401, {"error": "invalid_token"})
            return self.grdf(u.path, q)
        if u.path.startswith("/generic/"):
            auth = self.headers.get("Authorization", "")
            basic = auth.startswith("Basic ") and base64.b64decode(auth[6:]).decode() == "tc:" + API_KEY
            if API_KEY not in (self.headers.get("X-API-Key"), q.get("api_key"), auth[7:] if auth.startswith("Bearer ") else None) and not basic:
                return self.json(401, {"message": "missing or wrong API key"})
            return self.generic(u.path.split("/")[2], q)
        self.json(404, {"error": "no route"})

    # Enedis: end-exclusive dates, at most 7 days, end-stamped local times.
    def enedis(self, path, q):
        if path.startswith("/mesure_synchrone_auto/v2/"):
            prm, d0, d1 = q.get("pointId"), q.get("dateDebut"), q.get("dateFin")
        else:
            prm, d0, d1 = q.get("usage_point_id"), q.get("start"), q.get("end")
        if not (prm and d0 and d1) or d0 >= d1:
            return self.json(400, {"error": "ADAM-ERR0069", "error_description": "start must be before end"})
        days = list(local_days(d0, d1))
        daily = "quotidienne" in path or "daily" in path
        if len(days) > (365 if daily else 7):
            return self.json(400, {"error": "ADAM-ERR0125", "error_description": "period too long"})
        if daily:
            pts = []
            for day in days:
                start = dt.datetime.combine(day, dt.time(0), PARIS).astimezone(dt.timezone.utc)
                pts.append((day.isoformat(), str(int(value(prm + "d", int(start.timestamp())) * 1000))))
            if path.startswith("/mesure"):
                return self.json(200, {"idPrm": prm, "etapeMetier": "BEST", "modeCalcul": "BRUT",
                                       "periode": {"dateDebut": d0, "dateFin": d1},
                                       "grandeur": [{"grandeurMetier": "CONS", "grandeurPhysique": "EA", "unite": "Wh",
                                                     "points": [{"v": v, "d": d, "p": "P1D", "n": "B"} for d, v in pts]}]})
            return self.json(200, {"meter_reading": {"usage_point_id": prm, "start": d0, "end": d1, "quality": "BRUT",
                                                     "reading_type": {"measurement_kind": "energy", "unit": "Wh", "aggregate": "sum"},
                                                     "interval_reading": [{"value": v, "date": d} for d, v in pts]}})
        pts = []
        for day in days:
            # The first day of a window uses a 10-minute step before 02:00 local (a step change inside one answer).
            for s, e in half_hours(day):
                pts.append((local_naive(e), str(value(prm, int(s.timestamp()))), "PT30M"))
        if path.startswith("/mesure"):
            return self.json(200, {"idPrm": prm, "etapeMetier": "BEST", "modeCalcul": "BRUT",
                                   "periode": {"dateDebut": d0, "dateFin": d1},
                                   "grandeur": [{"grandeurMetier": "CONS", "grandeurPhysique": "PA", "unite": "W",
                                                 "points": [{"v": v, "d": d, "p": p, "n": "B"} for d, v, p in pts]}]})
        return self.json(200, {"meter_reading": {"usage_point_id": prm, "start": d0, "end": d1, "quality": "BRUT",
                                                 "reading_type": {"measurement_kind": "power", "unit": "W", "aggregate": "average"},
                                                 "interval_reading": [{"value": v, "date": d, "interval_length": p, "measure_type": "B"}
                                                                      for d, v, p in pts]}})

    # GRDF ADICT: NDJSON, gas days 06:00 -> 06:00 with offsets, a status line last.
    def grdf(self, path, q):
        pce = path.split("/")[5]
        d0, d1 = q.get("date_debut"), q.get("date_fin")
        ok = {"code_statut_traitement": "0000000000", "message_retour_traitement": "Traitement effectué avec succès"}
        if pce.startswith("GI000"):
            line = {"code_statut_traitement": "1000000011", "message_retour_traitement": "Droit d'accès expiré"}
            return self.send(200, json.dumps(line, ensure_ascii=False) + "\n", "application/x-ndjson")
        lines = []
        with lock:
            missing = set(state["grdf_missing"])
        for day in local_days(d0, d1):
            s = dt.datetime.combine(day, dt.time(6), PARIS)
            e = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6), PARIS)
            if f"{pce}|{day.isoformat()}" in missing:
                # ADICT answers a day it has no data for with the day's record, empty, carrying its own status.
                lines.append({"pce": {"id_pce": pce}, "periode": {"date_debut": d0, "date_fin": d1},
                              "consommation": {"date_debut_consommation": s.isoformat(), "date_fin_consommation": e.isoformat(),
                                               "volume_brut": None, "energie": None, "statut_conso": None,
                                               "type_conso": "JJ", "journee_gaziere": day.isoformat()},
                              "statut_restitution": {"code_statut_traitement": "1000000005",
                                                     "message_retour_traitement": "Aucune donnée n'est disponible pour la période demandée"}})
                continue
            v = value(pce, int(s.timestamp()))
            lines.append({"pce": {"id_pce": pce}, "periode": {"date_debut": d0, "date_fin": d1},
                          "consommation": {"date_debut_consommation": s.isoformat(), "date_fin_consommation": e.isoformat(),
                                           "volume_brut": round(v / 11.2, 3), "energie": v, "statut_conso": "Provisoire",
                                           "type_conso": "JJ", "journee_gaziere": day.isoformat()},
                          "statut_restitution": None})
        lines.append(ok)
        body = "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines)
        return self.send(200, body, "application/x-ndjson")

    # Generic vendor: 10-minute readings between from and to (ISO-8601 UTC), one page at a time.
    def generic(self, kind, q):
        meter = q.get("meter", "m1")
        t0 = int(dt.datetime.fromisoformat(q["from"].replace("Z", "+00:00")).timestamp())
        t1 = int(dt.datetime.fromisoformat(q["to"].replace("Z", "+00:00")).timestamp())
        if kind == "error200":
            return self.json(200, {"status": "ERROR", "error": {"code": 42, "message": "site not provisioned"}})
        allt = list(range(t0 - t0 % 600 + (600 if t0 % 600 else 0), t1, 600))
        if kind == "channels":  # a building controller: every channel of a meter in one record, energy in Wh
            return self.json(200, {"readings": [
                {"time": dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "values": {"energy": round(value(meter, t) * 1000), "temperature": 20.5, "rssi": -71}} for t in allt]})
        limit = int(q.get("limit", 50))
        if kind == "page":
            start = (int(q.get("page", 1)) - 1) * limit
        elif kind == "offset":
            start = int(q.get("offset", 0))
        else:  # cursor, next, link: the cursor is the index to start from
            start = int(q.get("cursor", 0) or 0)
        chunk = allt[start:start + limit]
        data = {"meter": {"id": meter, "unit": "kWh"},
                "readings": [{"time": dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "value": value(meter, t)} for t in chunk]}
        more = start + limit < len(allt)
        headers = None
        if kind == "cursor":
            data["next_cursor"] = str(start + limit) if more else None
        elif kind in ("next", "link"):
            nq = dict(q)
            nq["cursor"] = str(start + limit)
            nxt = "/generic/" + kind + "?" + urllib.parse.urlencode(nq)
            if kind == "next":
                data["links"] = {"next": nxt if more else None}
            elif more:
                headers = {"Link": f'<{nxt}>; rel="next"'}
        return self.json(200, data, headers)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):  # a client killed mid-answer
            super().handle_error(request, client_address)


def main():
    """Plain HTTP, or with `--tls CERT KEY CLIENT_CA`: HTTPS that requires a client
    certificate signed by CLIENT_CA (mutual TLS)."""
    srv = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) == 5 and sys.argv[1] == "--tls":
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(sys.argv[4])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
