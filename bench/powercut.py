"""bench/powercut.sh's driver: many random power cuts per scenario (tests/powercut/scenarios.py).

POWERCUT_POINTS cut points per scenario (default 100), each scenario stopped early once it has
spent POWERCUT_SCENARIO_SECONDS (default 3600; the line says so). POWERCUT_SCENARIOS picks
some of push,catalog,files,ftp,pull. POWERCUT_SEED makes a run repeatable. Prints per scenario:
cut points tried, acknowledged items, items lost, duplicates, time per cut; exits 1 if any
item was lost or duplicated (the first few are printed)."""
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "powercut"))
import scenarios  # noqa: E402

POINTS = int(os.environ.get("POWERCUT_POINTS", "100"))
BUDGET = float(os.environ.get("POWERCUT_SCENARIO_SECONDS", "3600"))
WANTED = os.environ.get("POWERCUT_SCENARIOS", "push,catalog,files,ftp,pull").split(",")
rng = random.Random(int(os.environ.get("POWERCUT_SEED", str(int(time.time())))))


def calibrated(run):
    """Syncs of a whole run without a cut: the range random cut points are drawn from."""
    total = run("all", 0, None)["fs"]["syncs_done"]
    return max(total, 2)


def cut_points(name):
    mode = lambda: rng.choice(("all", "random"))  # noqa: E731
    seed = lambda: rng.randrange(1 << 30)  # noqa: E731
    if name == "push":
        return lambda: scenarios.push_cut(mode(), seed(), rng.uniform(0.3, 2.0))
    if name == "catalog":
        return lambda: scenarios.catalog_cut(mode(), seed(), rng.uniform(0.3, 2.0))
    if name == "files":
        total = calibrated(lambda m, s, k: scenarios.files_cut(m, s, k))
        return lambda: scenarios.files_cut(mode(), seed(), rng.randint(1, total))
    if name == "ftp":
        total = calibrated(lambda m, s, k: scenarios.ftp_cut(m, s, k))
        return lambda: scenarios.ftp_cut(mode(), seed(), rng.randint(1, total))
    if name == "pull":
        total = calibrated(lambda m, s, k: scenarios.pull_cut(m, s, k))
        return lambda: scenarios.pull_cut(mode(), seed(), rng.randint(1, total))
    raise SystemExit(f"unknown scenario {name} (push, catalog, files, ftp, pull)")


def main():
    failed = False
    print(f"{'scenario':<9} {'cuts':>5} {'acked':>9} {'lost':>5} {'dups':>5} {'s/cut':>6}  notes", flush=True)
    for name in WANTED:
        one = cut_points(name)
        t0 = time.time()
        tried = acked = lost = dups = 0
        first = []
        frames_per_s = []
        slowest = 0.0
        while tried < POINTS and time.time() - t0 < BUDGET:
            t1 = time.time()
            r = one()
            slowest = max(slowest, time.time() - t1)
            tried += 1
            acked += r["acked"]
            lost += len(r["lost"])
            dups += len(r["duplicates"])
            if (r["lost"] or r["duplicates"]) and len(first) < 5:
                first.append((r["lost"][:2], r["duplicates"][:2], r["fs"]))
            if name == "push" and "load_s" in r:
                frames_per_s.append(r["acked"] / r["load_s"])
        spent = time.time() - t0
        notes = [f"slowest cut {slowest:.1f} s"]
        if tried < POINTS:
            notes.append(f"stopped at the {BUDGET:.0f} s budget")
        if frames_per_s:
            notes.append(f"{sum(frames_per_s) / len(frames_per_s):,.0f} acknowledged frames/s through powerfs")
        print(f"{name:<9} {tried:>5} {acked:>9} {lost:>5} {dups:>5} {spent / max(tried, 1):>6.1f}  {'; '.join(notes)}",
              flush=True)
        for f in first:
            print(f"  lost/duplicated: {f}", flush=True)
        failed = failed or lost or dups
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
