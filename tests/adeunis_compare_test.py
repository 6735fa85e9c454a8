"""The native Adeunis decoders against Adeunis's own codec library (@adeunis/codecs, npm).

Installs the library pinned in tests/adeunis/package.json into the build tree, has it
decode a few thousand generated frames per model (tests/adeunis/reference.js: whole,
cut short, with and without timestamps, both probes, low battery...), decodes the same
frames with `telecollect decode --devicetype adeunis-… --payloads`, and requires the same
measurements, value for value, and a failure wherever the library fails.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, SOURCE_DIR, run_tests  # noqa: E402

FRAMES_PER_MODEL = int(os.environ.get("ADEUNIS_FRAMES", "2000"))


def reference_library():
    """node_modules with @adeunis/codecs, installed once per build tree."""
    root = os.path.join(os.path.dirname(os.path.abspath(BIN)), "adeunis-reference")
    marker = os.path.join(root, "node_modules", "@adeunis", "codecs", "package.json")
    if not os.path.exists(marker):
        os.makedirs(root, exist_ok=True)
        shutil.copy(os.path.join(SOURCE_DIR, "tests", "adeunis", "package.json"), root)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock"], cwd=root,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"npm install @adeunis/codecs failed: {r.stderr[-2000:]}"
    return os.path.join(root, "node_modules")


def compare(devicetype, out_dir):
    payloads = os.path.join(out_dir, f"{devicetype}.payloads")
    with open(os.path.join(out_dir, f"{devicetype}.expected.jsonl")) as f:
        expected = [json.loads(line) for line in f]
    r = subprocess.run([BIN, "--data-dir", out_dir, "decode", "--devicetype", devicetype, "--payloads", payloads],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 2), f"{devicetype}: exit {r.returncode}: {r.stderr}"
    got = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(got) == len(expected), f"{devicetype}: {len(got)} results for {len(expected)} payloads"
    mismatches, errors = [], 0
    for want, line in zip(expected, got):
        result = line["result"]
        if "error" in want:
            errors += 1
            if "errors" not in result:
                mismatches.append(f"{line['payload']}: the library fails ({want['error']}), telecollect decodes {result['data']}")
            continue
        if "errors" in result and set(want["values"]) == {"low_battery"} and "needs" in result["errors"][0]:
            # The library reads nothing but the status byte from a data frame too short to
            # hold its first field (a 0x48 without its frame index): telecollect refuses it.
            errors += 1
            continue
        if "errors" in result:
            mismatches.append(f"{line['payload']}: telecollect fails ({result['errors'][0]}), the library decodes {want['values']}")
            continue
        data = result["data"]
        if set(data) != set(want["values"]) or any(abs(data[k] - v) > 1e-9 * max(1, abs(v)) for k, v in want["values"].items()):
            mismatches.append(f"{line['payload']}: telecollect {data}, the library {want['values']}")
    assert len(expected) - errors > len(expected) // 2, f"{devicetype}: {errors} of {len(expected)} frames refused"
    assert not mismatches, f"{devicetype}: {len(mismatches)} of {len(expected)} frames differ:\n" + "\n".join(mismatches[:10])
    return len(expected), errors


def test_native_adeunis_decoders_match_adeunis_library():
    modules = reference_library()
    out_dir = tempfile.mkdtemp(prefix="tc_adeunis_")
    try:
        r = subprocess.run(["node", os.path.join(SOURCE_DIR, "tests", "adeunis", "reference.js"), out_dir,
                            str(FRAMES_PER_MODEL)], env={**os.environ, "NODE_PATH": modules},
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"reference.js failed: {r.stderr[-2000:]}"
        types = sorted(f[:-len(".payloads")] for f in os.listdir(out_dir) if f.endswith(".payloads"))
        assert len(types) == 9, types
        for devicetype in types:
            n, errors = compare(devicetype, out_dir)
            print(f"  {devicetype}: {n} frames agree ({errors} refused)")
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    run_tests(globals())
