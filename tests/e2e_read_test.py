"""End-to-end: the read side (issue 21): latest values, many modules in one request (JSON, long and
wide CSV), first_seen, and answers cut at their limit that say so and continue by their cursor."""
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIEF_FRAME, Server  # noqa: E402

PROFILE = """format = "csv"
delimiter = ","
timestamp_format = "iso8601"
timezone = "UTC"

[fields]
module = "module"
timestamp = "ts"
value = "value"
unit = "unit"
"""


def iso(minutes):
    """2024-01-01T00:00Z plus `minutes`, as the API writes instants."""
    h, m = divmod(minutes, 60)
    d, h = divmod(h, 24)
    return f"2024-01-{1 + d:02d}T{h:02d}:{m:02d}:00.000Z"


def num(v):
    """A value as the API writes it in CSV (shortest form, no trailing .0)."""
    return str(int(v)) if v == int(v) else repr(v)


# a: a meter index every 10 minutes for one day; b: a temperature every hour.
A = [(iso(10 * i), round(1000 + i * 0.125, 3)) for i in range(144)]
B = [(iso(60 * i), round(20 + (i % 5) * 0.01, 2)) for i in range(24)]


class ReadEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.token = cls.server.token("acme", "preprod")
        d = cls.server.data_dir
        with open(os.path.join(d, "read.toml"), "w") as f:
            f.write(PROFILE)
        # A file drop run by hand only (no schedule): its runs are the ones the tests make.
        os.makedirs(os.path.join(d, "connectors"))
        os.makedirs(os.path.join(d, "inbox"))
        with open(os.path.join(d, "connectors", "drop.toml"), "w") as f:
            f.write(f'tenant = "acme"\nenv = "preprod"\nprofile = "{d}/read.toml"\n'
                    f'[source]\nurl = "{d}/inbox"\npattern = "*.csv"\nstable_for = "0s"\n')
        cls.server.start()
        with open(os.path.join(d, "a.csv"), "w") as f:
            f.write("module,ts,value,unit\n")
            f.writelines(f"site.a,{ts[:-5]}Z,{v},kWh\n" for ts, v in A)
        with open(os.path.join(d, "b.csv"), "w") as f:
            f.write("module,ts,value,unit\n")
            f.writelines(f"site.b,{ts[:-5]}Z,{v},C\n" for ts, v in B)
        for name in ("a.csv", "b.csv"):
            cls.server.cli("import", "--profile", os.path.join(d, "read.toml"), "--tenant", "acme", "--env", "preprod",
                           os.path.join(d, name))

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def get(self, path, status=200):
        r = self.server.get(path, self.token)
        self.assertEqual(r.status, status, r.body)
        return r

    def test_latest_gives_each_modules_own_last_point(self):
        j = self.get("/v1/latest?module=site.b&module=site.a&module=nope").json()
        self.assertEqual(j["modules"], [
            {"id": "site.b", "unit": "C", "ts": B[-1][0], "value": B[-1][1]},
            {"id": "site.a", "unit": "kWh", "ts": A[-1][0], "value": A[-1][1]},
        ])
        self.assertEqual(j["unknown"], ["nope"])
        self.assertFalse(j["truncated"])
        # By prefix, paged with its cursor.
        first = self.get("/v1/latest?prefix=site.&limit=1").json()
        self.assertTrue(first["truncated"])
        self.assertEqual([m["id"] for m in first["modules"]], ["site.a"])
        rest = self.get("/v1/latest?prefix=site.&limit=1&after=" + first["next_after"]).json()
        self.assertEqual([(m["id"], m["ts"]) for m in rest["modules"]], [("site.b", B[-1][0])])
        self.assertFalse(rest["truncated"])
        self.assertNotIn("next_after", rest)
        self.assertEqual(self.get("/v1/latest?module=site.a&prefix=x", 400).json()["parameter"], "prefix")
        self.assertEqual(self.get("/v1/latest?module=", 400).json()["parameter"], "module")

    def test_modules_show_first_seen_as_the_first_measurement_and_the_latest_point(self):
        mods = {m["id"]: m for m in self.get("/v1/modules?prefix=site.").json()["modules"]}
        # Imported from a file now, measured in 2024: first_seen is the first measurement's time.
        self.assertEqual(mods["site.a"]["first_seen"], A[0][0])
        self.assertEqual(mods["site.a"]["last_seen"], A[-1][0])
        self.assertEqual(mods["site.a"]["last_value"], A[-1][1])
        self.assertEqual(mods["site.b"]["first_seen"], B[0][0])
        page = self.get("/v1/modules?prefix=site.&limit=1").json()
        self.assertTrue(page["truncated"])
        self.assertEqual(page["next_after"], "site.a")

    def test_many_modules_as_json_long_csv_and_wide_csv(self):
        q = "/v1/measurements?module=site.a&module=site.b&from=2024-01-01&to=2024-01-02&step=1h&agg=last"
        j = self.get(q).json()
        self.assertFalse(j["truncated"])
        self.assertEqual([s["module"] for s in j["series"]], ["site.a", "site.b"])
        hourly_a = [(iso(60 * h), A[6 * h + 5][1]) for h in range(24)]
        self.assertEqual([(p["ts"], p["value"]) for p in j["series"][0]["points"]], hourly_a)
        self.assertEqual([(p["ts"], p["value"]) for p in j["series"][1]["points"]], B)
        long_csv = self.get(q + "&format=csv").body.splitlines()
        self.assertEqual(long_csv[0], "timestamp,module,value")
        self.assertEqual(long_csv[1], f"{hourly_a[0][0]},site.a,{num(hourly_a[0][1])}")
        self.assertEqual(long_csv[-1], f"{B[-1][0]},site.b,{num(B[-1][1])}")
        self.assertEqual(len(long_csv), 1 + 48)
        # Wide: raw points, a's every 10 minutes, b's every hour: b's cells empty in between.
        wide = self.get("/v1/measurements?module=site.a&module=site.b&format=csv-wide").body.splitlines()
        self.assertEqual(wide[0], "timestamp,site.a,site.b")
        self.assertEqual(wide[1], f"{A[0][0]},{num(A[0][1])},{num(B[0][1])}")
        self.assertEqual(wide[2], f"{A[1][0]},{num(A[1][1])},")
        self.assertEqual(len(wide), 1 + 144)
        # The CLI answers the same.
        out = self.server.cli("query", "measurements", "--tenant", "acme", "--env", "preprod", "--module", "site.a",
                              "--module", "site.b", "--format", "csv-wide").stdout.splitlines()
        self.assertEqual(out, wide)
        self.assertEqual(self.get("/v1/measurements?module=site.a&module=nope", 404).status, 404)
        self.assertEqual(self.get("/v1/measurements?from=2024-01-01", 400).json()["parameter"], "module")

    def follow(self, path, limit):
        """Every point of `path` read `limit` at a time by its cursor; the number of pages."""
        got, pages, cursor = {}, 0, ""
        while pages < 1000:
            pages += 1
            j = self.get(f"{path}&limit={limit}{cursor}").json()
            for s in j.get("series") or [{"module": j.get("module"), "points": j["points"]}]:
                pts = got.setdefault(s["module"], [])
                pts.extend((p["ts"], p["value"]) for p in s["points"])
            if not j["truncated"]:
                self.assertNotIn("next_from", j)
                return got, pages
            cursor = "&from=" + urllib.parse.quote(j["next_from"])
        self.fail("no end")

    def test_cut_series_say_so_and_continue_by_their_cursor(self):
        raw = "/v1/measurements?module=site.a&module=site.b&to=2024-02-01"
        whole, pages = self.follow(raw, 100000)
        self.assertEqual(pages, 1)
        self.assertEqual(whole, {"site.a": A, "site.b": B})
        paged, pages = self.follow(raw, 50)
        self.assertEqual(paged, whole)
        self.assertGreaterEqual(pages, 4)  # 168 points, at most 50 a page
        # Aggregated: buckets are cut whole, the next page starts at the next bucket.
        agg = "/v1/modules/site.a/measurements?to=2024-02-01&step=1h&agg=sum"
        first = self.get(agg + "&limit=5").json()
        self.assertTrue(first["truncated"])
        self.assertEqual(len(first["points"]), 5)
        self.assertEqual(first["next_from"], iso(300))
        whole, _ = self.follow(agg, 1000000)
        paged, pages = self.follow(agg, 5)
        self.assertEqual(paged, whole)
        self.assertEqual(len(whole["site.a"]), 24)
        self.assertEqual(pages, 5)
        # CSV: a trailer line and headers.
        r = self.get("/v1/measurements?module=site.a&module=site.b&format=csv&limit=3")
        lines = r.body.splitlines()
        self.assertEqual(lines[-1], f"# truncated: continue with from={A[2][0]}")
        # a and b at 00:00, a at 00:10: a at 00:20 would make 4.
        self.assertEqual(lines[1:-1], [f"{A[0][0]},site.a,{num(A[0][1])}", f"{A[1][0]},site.a,{num(A[1][1])}",
                                       f"{B[0][0]},site.b,{num(B[0][1])}"])
        self.assertEqual(r.headers.get("X-Truncated"), "true")
        self.assertEqual(r.headers.get("X-Next-From"), A[2][0])
        whole_csv = self.get("/v1/modules/site.b/measurements?format=csv")
        self.assertNotIn("#", whole_csv.body)
        self.assertNotIn("X-Truncated", whole_csv.headers)
        cli = self.server.cli("query", "measurements", "--tenant", "acme", "--env", "preprod", "--module", "site.a",
                              "--limit", "2")
        self.assertIn(f"truncated: continue with --from {A[2][0]}", cli.stderr)

    def test_frames_and_files_pages_are_marked_and_continue(self):
        for i in range(3):
            r = self.server.push(dict(BRIEF_FRAME, deviceid="pg-1", timestamp=f"2024-01-01T00:0{i}:00Z"), self.token)
            self.assertEqual(r.status, 200, r.body)
        page = self.get("/v1/frames?deviceid=pg-1&limit=2").json()
        self.assertTrue(page["truncated"])
        self.assertEqual(len(page["frames"]), 2)
        rest = self.get(f"/v1/frames?deviceid=pg-1&limit=2&before={page['next_before']}").json()
        self.assertEqual(len(rest["frames"]), 1)
        self.assertFalse(rest["truncated"])
        self.assertNotIn("next_before", rest)
        exact = self.get("/v1/frames?deviceid=pg-1&limit=3").json()  # exactly full: not cut
        self.assertFalse(exact["truncated"])
        files = self.get("/v1/files?limit=1").json()
        self.assertTrue(files["truncated"])
        older = self.get(f"/v1/files?limit=1&before={files['next_before']}").json()
        self.assertEqual(len(older["files"]), 1)
        self.assertNotEqual(older["files"][0]["path"], files["files"][0]["path"])

    def test_runs_of_a_connector_page_on(self):
        for _ in range(3):
            self.server.cli("connector", "run", "drop")
        listed = [c for c in self.get("/v1/connectors").json()["connectors"] if c["name"] == "drop"]
        self.assertEqual(len(listed[0]["runs"]), 3)
        self.assertFalse(listed[0]["runs_truncated"])
        page = self.get("/v1/connectors/drop/runs?limit=2").json()
        self.assertTrue(page["truncated"])
        self.assertEqual([r["id"] for r in page["runs"]], [r["id"] for r in listed[0]["runs"][:2]])
        rest = self.get(f"/v1/connectors/drop/runs?limit=2&before={page['next_before']}").json()
        self.assertEqual([r["id"] for r in rest["runs"]], [listed[0]["runs"][2]["id"]])
        self.assertFalse(rest["truncated"])
        self.assertEqual(self.get("/v1/connectors/nope/runs", 404).status, 404)
        out = self.server.cli("connector", "status", "drop", "--limit", "2")
        self.assertIn(f"truncated: continue with --before {page['next_before']}", out.stderr)


if __name__ == "__main__":
    unittest.main()
