#!/usr/bin/env python3
"""The web console (/console/) in a real browser: headless Chromium through
Selenium, against a real server. Sign-in and the env banner, live frames,
the scope of a token, text-only rendering, the CSP, no JavaScript error on
any page, and screenshots of every page at 1280×800 and 390×844 under
<build>/console-screenshots/ (not committed)."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import BIN, BRIEF_FRAME, Server, run_tests  # noqa: E402
from console_browser import Browser, settle  # noqa: E402
from specs import SPEC_V1  # noqa: E402
from e2e_pull_test import generic_connector  # noqa: E402
from mqtt_broker import Broker, Publisher  # noqa: E402

SHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(BIN)))), "console-screenshots")
XSS = "<img src=x onerror=alert(1)>"

S = {}  # the server, the browser and tokens, shared by the tests (one of each: a browser takes seconds to start)


def env():
    if not S:
        srv = Server().start()
        S.update(srv=srv, pre=srv.token(), prod=srv.token(env="prod"), other=srv.token(tenant="other"))
        S["browser"] = Browser()
    return S["srv"], S["browser"]


def signed_out():
    """The console's sign-in form, no token in the tab. The token is removed on a page of the server
    that runs no script (/healthz): a console page still running when the storage empties would go
    on calling the API without it (a reload leaves the old page running until the new one arrives:
    its sign-in check, answered after the clear, rendered the overview, whose calls were refused).
    b.get returns once the new page has loaded, so no console page is left by then."""
    srv, b = env()
    b.get(srv.url("/healthz"))
    b.js("sessionStorage.clear();")
    b.get(srv.url("/console/"))
    b.wait(lambda: b.find("#signin").is_displayed(), 10, "the sign-in form")


def sign_in(token):
    srv, b = env()
    signed_out()
    b.find("#token").send_keys(token)
    click("#signin-form button")
    b.wait(lambda: b.find("#env-banner").is_displayed(), 10, "the env banner after sign-in")
    b.wait_css("#page-overview")


def visit(page, ready_css):
    """Opens a page, waits for it, checks the browser log, and screenshots it at both sizes."""
    srv, b = env()
    b.get(srv.url(f"/console/#/{page}"))
    b.wait_css(ready_css, 15)
    settle(0.5)
    errors = b.errors()
    assert errors == [], f"JavaScript console errors on {page}: {errors}"
    shoot(page)


def shoot(name):
    _, b = env()
    for w, h in ((1280, 800), (390, 844), (1280, 800)):
        b.viewport(w, h)
        settle(0.3)
        b.screenshot(os.path.join(SHOTS, f"{name}-{w}x{h}.png"))
    errors = b.errors()
    assert errors == [], f"JavaScript console errors on {name} after resizing: {errors}"


def frame(deviceid, **kw):
    f = dict(BRIEF_FRAME, deviceid=deviceid)
    f.update(kw)
    return f


def test_a_console_is_served_with_a_strict_csp_and_no_inline_script():
    srv, _ = env()
    with urllib.request.urlopen(srv.url("/console/"), timeout=10) as r:
        headers, html = r.headers, r.read().decode()
    csp = headers["Content-Security-Policy"]
    for d in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert d in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY", headers
    assert headers["Content-Type"].startswith("text/html"), headers
    # No inline script, no event handler attribute, no style attribute.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script in index.html"
    assert not re.search(r"\son\w+\s*=|\sstyle\s*=", html), "inline handler or style in index.html"
    r = srv.request("GET", "/console")
    assert r.status == 200 and "signin-form" in r.body, r.status  # urllib follows the redirect to /console/
    r = srv.request("GET", "/console/js/nope.js")
    assert r.status == 404 and "Content-Security-Policy" in r.headers, r.status
    r = srv.request("GET", "/console/vendor/dygraph.min.js")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/javascript"), r.headers


def test_b_sign_in_shows_the_scope_and_keeps_the_token_in_session_storage_only():
    srv, b = env()
    signed_out()
    # Signed out, the console sends nothing (a request without a token could only be refused).
    b.errors()
    r = b.js_async("const done = arguments[arguments.length - 1];"
                   "import('/console/js/api.js').then((api) => api.get('/v1/modules')).then(done, (e) => done(String(e)));")
    assert r == {"status": 0, "ok": False, "data": None, "error": "signed out"}, r
    errors = b.errors()
    assert errors == [], errors
    shoot("signin")
    b.find("#token").send_keys("tc_pre_not-a-real-token")
    click("#signin-form button")
    b.wait(lambda: "unknown or revoked" in b.find("#signin-error").text, 10, "the refusal of a bad token")
    b.errors()  # the refused fetch (401) is logged by the browser: expected here
    sign_in(S["pre"])
    assert b.find("#env-label").text == "PREPROD", b.find("#env-label").text
    assert "tenant acme" in b.find("#env-tenant").text
    assert b.js("return document.body.className") == "env-preprod"
    assert b.js("return sessionStorage.getItem('telecollect.token')") == S["pre"]
    assert b.js("return localStorage.length") == 0
    assert S["pre"] not in b.driver.current_url
    assert b.js("return document.cookie") == ""
    visit("overview", "#page-overview table, #page-overview p")


def test_c_a_pushed_frame_appears_on_frames_within_2_s_with_its_values():
    srv, b = env()
    sign_in(S["pre"])
    visit("frames", "#frames-table")
    r = srv.push(frame("live-1"), S["pre"])
    assert r.status == 200 and r.json()["decoded"] == 1, r.body
    t0 = time.time()
    row = b.wait(lambda: (b.find_all("tr[data-deviceid='live-1']") or [None])[0], 2.0, "the pushed frame on Frames")
    took = time.time() - t0
    values = row.find_element("css selector", ".frame-values").text
    assert "temperature" in values and "=" in values, values
    assert row.get_attribute("data-status") == "decoded"
    print(f"  frame shown {took * 1000:.0f} ms after the push was answered")
    # Again, pushed just after a poll (the row has just appeared): the longest wait there is.
    time.sleep(0.1)
    assert srv.push(frame("live-2"), S["pre"]).status == 200
    t0 = time.time()
    b.wait(lambda: b.find_all("tr[data-deviceid='live-2'][data-status='decoded']"), 2.0, "a frame pushed just after a poll")
    print(f"  frame pushed just after a poll shown {(time.time() - t0) * 1000:.0f} ms after the push was answered")
    row = b.find("tr[data-deviceid='live-1']")
    b.click(row)
    b.wait(lambda: b.find("#frame-detail").is_displayed(), 5, "the frame's detail")
    assert b.find("#detail-payload").text == BRIEF_FRAME["payload"]
    assert "temperature" in b.find("#detail-values").text
    shoot("frames-detail")
    assert b.errors() == []


def test_d_an_xss_device_id_is_rendered_as_text():
    srv, b = env()
    sign_in(S["pre"])
    r = srv.push(frame(XSS, devicetype="no-such-type"), S["pre"])
    assert r.status == 200, r.body
    visit("frames", "#frames-table")
    cell = b.wait(lambda: [c for c in b.find_all("#frames-body td.frame-device") if c.text == XSS], 5, "the XSS device id")[0]
    assert cell.get_attribute("textContent") == XSS
    assert b.find_all("#frames-body img") == [] and b.find_all("img[src='x']") == []
    b.click(cell)
    b.wait(lambda: b.find("#frame-detail").is_displayed(), 5, "the frame's detail")
    assert b.find("#frame-detail .frame-device").text == XSS
    assert b.js("return document.querySelectorAll('img').length") == 0
    assert b.errors() == []  # an alert or a failed image load would show here


def test_e_a_preprod_token_cannot_reach_prod_data():
    srv, b = env()
    assert srv.push(frame("prod-only"), S["prod"]).status == 200
    sign_in(S["pre"])
    visit("frames", "#frames-table")
    b.wait(lambda: b.find_all("#frames-body tr"), 5, "preprod frames")
    assert b.find_all("tr[data-deviceid='prod-only']") == []
    # The API itself refuses the prod scope to the session's token.
    status = b.js_async("const done = arguments[arguments.length - 1];"
                        "fetch('/v1/frames?env=prod', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('telecollect.token')}})"
                        ".then(r => done(r.status))")
    assert status == 403, status
    b.errors()  # the refused fetch is logged by the browser: expected here
    # Signed in with the prod token: another look entirely, and the prod frame.
    click("#sign-out")
    b.wait(lambda: b.find("#signin").is_displayed(), 5, "the sign-in form after sign-out")
    assert b.js("return sessionStorage.getItem('telecollect.token')") is None
    sign_in(S["prod"])
    assert b.find("#env-label").text == "PROD" and b.js("return document.body.className") == "env-prod"
    pre_colour = "rgb(255, 217, 102)"
    assert b.js("return getComputedStyle(document.getElementById('env-banner')).backgroundColor") != pre_colour
    visit("frames", "tr[data-deviceid='prod-only']")
    shoot("frames-prod")
    assert b.find_all("tr[data-deviceid='live-1']") == []
    # Another tenant's token sees none of acme's frames.
    sign_in(S["other"])
    visit("frames", "#frames-table")
    settle(1.2)
    assert b.find_all("#frames-body tr") == []


def test_f_overview_links_failures_to_their_frames():
    srv, b = env()
    # A frame its decoder refuses: a failure on the overview, linked to Frames.
    r = srv.push(frame("bad-1", payload="00"), S["pre"])
    assert r.status == 200 and r.json()["failed"] == 1, r.body
    sign_in(S["pre"])
    visit("overview", "#page-overview table")
    row = b.wait_css("tr[data-way='push'][data-name='generic-sensors']")
    link = row.find_element("css selector", "a.bad[href='#/frames?status=failed']")
    b.click(link)
    b.wait_css("#page-frames tr[data-status='failed']")
    assert all(r.get_attribute("data-status") == "failed" for r in b.find_all("#frames-body tr"))
    assert b.errors() == []


# e2e_decoders_test's spec (one vector) with a second vector: right (25.6) or wrong (99).
def acme_spec(second_vector_temperature):
    return SPEC_V1 + f'[[test]]\npayload = "0100"\nexpect = {{ temperature = {second_vector_temperature} }}\n'


def fill(css, text):
    _, b = env()
    e = b.find(css)
    e.clear()
    e.send_keys(text)
    return e


def click(css):
    """Clicks an element once scrolled to the middle of the viewport (a fixed edge never covers it)."""
    _, b = env()
    return b.click(css)


def set_value(css, text):
    """Sets a textarea's value at once (send_keys types a long spec slowly)."""
    _, b = env()
    b.js("const e = document.querySelector(arguments[0]); e.value = arguments[1];", css, text)


def test_g_a_plot_has_the_right_number_of_points_with_gaps_and_units():
    srv, b = env()
    # 300 readings every 10 minutes, 20 of them missing (a gap), in one push.
    t0 = 1767225600  # 2026-01-01T00:00:00Z
    frames = [frame("plot-1", timestamp=t0 + 600 * i, payload=BRIEF_FRAME["payload"]) for i in range(300) if not 100 <= i < 120]
    r = srv.push(frames, S["pre"])
    assert r.status == 200 and r.json()["decoded"] == 280, r.body
    sign_in(S["pre"])
    visit("modules", "#module-list table")
    fill("#page-modules input[name=prefix]", "plot-1.")
    click("#page-modules form button[type=submit]")
    b.wait_css("#module-list[data-prefix='plot-1.']")
    b.wait(lambda: b.find_all("tr[data-module='plot-1.temperature'] input"), 5, "plot-1.temperature listed")
    click("tr[data-module='plot-1.temperature'] input")
    click("#plot-button")
    chart = b.wait(lambda: (b.find_all("#module-plot[data-points]") or [None])[0], 15, "the plot")
    assert chart.get_attribute("data-points") == "280", chart.get_attribute("data-points")
    assert chart.get_attribute("data-units") == "°C", chart.get_attribute("data-units")
    # The 20 missing readings are one break in the line (a NaN row in dygraphs' data).
    assert chart.get_attribute("data-gaps") == "1", chart.get_attribute("data-gaps")
    assert "°C" in b.find("#module-plot .dygraph-ylabel").text
    xlabels = [e.get_attribute("textContent") for e in b.find_all("#module-plot .dygraph-axis-label-x")]
    assert xlabels and not any(re.fullmatch(r"[\d.e+]+", x) for x in xlabels), xlabels  # dates, not epoch numbers
    print("  x axis:", xlabels[:4])
    shoot("modules")
    # Hourly averages: one point per hour that has readings.
    hours = {(t0 + 600 * i) // 3600 for i in range(300) if not 100 <= i < 120}
    fill("#page-modules input[name=step]", "1h")
    b.js("document.getElementById('module-plot').removeAttribute('data-points')")
    click("#plot-button")
    chart = b.wait(lambda: (b.find_all("#module-plot[data-points]") or [None])[0], 15, "the hourly plot")
    assert chart.get_attribute("data-points") == str(len(hours)), (chart.get_attribute("data-points"), len(hours))
    assert chart.get_attribute("data-gaps") == "1", chart.get_attribute("data-gaps")  # the missing hours
    # Two modules with two units: two axes.
    click("tr[data-module='plot-1.humidity'] input")
    b.js("document.getElementById('module-plot').removeAttribute('data-points')")
    click("#plot-button")
    chart = b.wait(lambda: (b.find_all("#module-plot[data-points]") or [None])[0], 15, "the two-module plot")
    assert chart.get_attribute("data-series") == "2" and chart.get_attribute("data-points") == str(2 * len(hours))
    assert set(chart.get_attribute("data-units").split(",")) == {"°C", "%RH"}, chart.get_attribute("data-units")
    # CSV download of what is plotted.
    dl = os.path.join(srv.data_dir, "downloads")
    os.makedirs(dl)
    b.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": dl})
    click("#csv-button")
    path = os.path.join(dl, "modules.csv")
    b.wait(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 10, "the CSV download")
    lines = open(path).read().strip().splitlines()
    assert lines[0].startswith("timestamp,plot-1.temperature (°C),plot-1.humidity (%RH)"), lines[0]
    assert len(lines) == 1 + len(hours), len(lines)
    # Hovering shows the values as text in the legend.
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(b.driver).move_to_element(b.find("#module-plot canvas")).perform()
    b.wait(lambda: "plot-1.temperature" in b.find("#plot-legend").text, 5, "the legend under the pointer")
    errors = b.errors()
    assert errors == [], errors


def test_h_try_a_payload():
    srv, b = env()
    sign_in(S["pre"])
    visit("decoders", "#devicetypes table")
    assert b.find_all("#devicetypes tr[data-devicetype='dragino-lht65']")
    fill("#try-form input[name=devicetype]", "dragino-lht65")
    fill("#try-form input[name=payload]", BRIEF_FRAME["payload"])
    fill("#try-form input[name=fport]", "2")
    fill("#try-form input[name=deviceid]", "A1")
    click("#try-form button")
    row = b.wait(lambda: (b.find_all("tr.try-value[data-module='A1.temperature']") or [None])[0], 10, "the decoded values")
    assert "28.29" in row.text, row.text
    fill("#try-form input[name=payload]", "00")
    click("#try-form button")
    b.wait(lambda: "refuses" in b.find("#try-result").text, 10, "the decoder's refusal")
    b.errors()  # the 422 is logged by the browser as a failed resource: expected
    shoot("decoders-try")


def test_i_a_failing_vector_is_shown_then_a_good_version_is_activated_and_pending_frames_redecoded():
    srv, b = env()
    r = srv.push(frame("acme-1", devicetype="acme-th", payload="00e1", fport=1), S["pre"])
    assert r.status == 200 and r.json()["pending"] == 1, r.body
    sign_in(S["pre"])
    visit("decoders", "#devicetypes table")
    fill("#upload-form input[name=devicetype]", "acme-th")
    set_value("#upload-spec", acme_spec(99))
    click("#upload-form button[type=submit]")
    items = b.wait(lambda: b.find_all("#upload-problems li.failing-vector"), 10, "the failing vector")
    assert len(items) == 1 and "test[1]" in items[0].text and "temperature = 25.6, want 99" in items[0].text, [i.text for i in items]
    assert "1 of 2 test vectors fail" in b.find("#upload-problems").text
    b.errors()  # the refused upload (400) is logged by the browser: expected
    shoot("decoders-upload-refused")
    set_value("#upload-spec", acme_spec(25.6))
    click("#upload-form input[name=activate]")
    click("#upload-form button[type=submit]")
    b.wait(lambda: "it is active" in b.find("#upload-result").text, 10, "the upload's success")
    b.wait_css("#versions tr[data-version='1']")
    shoot("decoders")
    # Re-decode the pending frame from the console.
    b.get(srv.url("/console/#/frames?devicetype=acme-th"))
    row = b.wait(lambda: (b.find_all("tr[data-deviceid='acme-1']") or [None])[0], 10, "the pending frame")
    assert row.get_attribute("data-status") == "no-decoder"
    click("#redecode-pending")
    b.wait(lambda: "1 decoded" in b.find("#redecode-result").text, 15, "the re-decode report")
    row = b.wait(lambda: (b.find_all("tr[data-deviceid='acme-1'][data-status='decoded']") or [None])[0], 5, "the decoded frame")
    assert "acme-1.temperature=22.5" in row.text, row.text
    errors = b.errors()
    assert errors == [], errors
    # Roll back to the shared decoder (none for acme-th) from the versions panel.
    b.get(srv.url("/console/#/decoders?type=acme-th"))
    b.wait_css("#deactivate")
    click("#deactivate")
    b.wait(lambda: "Back to the shared decoder" in b.find("#versions").text, 10, "the rollback")
    assert b.find("#versions tr[data-version='1'] button").text == "activate"


def test_j_devices_csv_import_names_every_bad_line_and_ids_render_as_text():
    srv, b = env()
    sign_in(S["pre"])
    visit("devices", "#page-devices #device-list p, #page-devices #device-list table")
    set_value("#device-csv", "deviceid;devicetype;label\nD-1;dragino-lht65;Room 1\n;dragino-lht65;no id\nD-3;x\nD-4;dragino-lht65;ok\n")
    click("#import-form button")
    items = b.wait(lambda: b.find_all("#import-result li.csv-error"), 10, "the CSV's bad lines")
    assert [i.text for i in items] == ["line 3, column 1: empty deviceid", "line 4: 2 fields, the header has 3"], [i.text for i in items]
    assert "nothing imported" in b.find("#import-result").text
    b.errors()  # the refused import (400): expected
    shoot("devices-import-refused")
    set_value("#device-csv", f"deviceid;devicetype;label\nD-1;dragino-lht65;Room 1\n\"{XSS}\";dragino-lht65;\"<b>bold</b>\"\n")
    click("#import-form button")
    b.wait(lambda: "2 devices imported" in b.find("#import-result").text, 10, "the import")
    cell = b.wait(lambda: [c for c in b.find_all("#device-list td") if c.text == XSS], 5, "the XSS device id")[0]
    assert cell.get_attribute("textContent") == XSS
    assert b.find_all("#device-list img") == [] and b.find_all("#device-list b") == []
    # Edit one.
    click("tr[data-deviceid='D-1'] button")
    fill("#device-form input[name=label]", "Room 1, east")
    click("#device-form button")
    b.wait(lambda: "Room 1, east" in b.find("tr[data-deviceid='D-1']").text, 10, "the edited label")
    shoot("devices")
    errors = b.errors()
    assert errors == [], errors


SAMPLE_CSV = """module,timestamp,value
A,2026-05-01T00:00:00Z,1
A,2026-05-01T00:10:00Z,2
A,2026-05-01T00:20:00Z,abc
A,2026-05-01T00:30:00Z,4
A,not-a-time,5
A,2026-05-01T00:50:00Z,6
"""


def test_k_a_dropped_sample_csv_shows_its_bad_lines_profile_and_values():
    srv, b = env()
    sign_in(S["pre"])
    visit("files", "#file-journal p, #file-journal table")
    path = os.path.join(srv.data_dir, "partner <b>sample.csv")
    with open(path, "w") as f:
        f.write(SAMPLE_CSV)
    b.find("#sample-file").send_keys(path)
    items = b.wait(lambda: b.find_all("#validate-result li.report-error"), 15, "the report's bad lines")
    assert [i.get_attribute("data-line") for i in items] == ["4", "6"], [i.text for i in items]
    assert "would be rejected" in b.find("#would-import").text
    assert "partner <b>sample.csv" in b.find("#would-import").text  # the file name, as text
    profile = b.find("#proposed-profile").get_attribute("value")
    assert 'layout = "long"' in profile and 'value = "value"' in profile, profile
    assert len(b.find_all("#validate-result tr.preview-row")) == 4
    shoot("files-validate")
    # The profile, edited to skip bad rows, is checked again.
    set_value("#proposed-profile", profile.replace('on_row_error = "reject"', 'on_row_error = "skip"'))
    b.click(b.find_all("#validate-result button")[0])
    b.wait(lambda: "would be imported" in b.find("#would-import").text, 15, "the second check with the edited profile")
    errors = b.errors()
    assert errors == [], errors


class ConnectorDir:
    """What e2e_pull_test's generic_connector writes into: <data dir>/connectors/<name>.toml."""

    def __init__(self, data_dir, base):
        self.dir, self.base = data_dir, base
        os.makedirs(os.path.join(data_dir, "connectors"), exist_ok=True)

    def write(self, name, text):
        with open(os.path.join(self.dir, "connectors", name + ".toml"), "w") as f:
            f.write(text)


def test_l_connectors_list_runs_run_now_and_try_with_a_plot():
    srv, b = env()
    vendor = subprocess.Popen([sys.executable, os.path.join(HERE, "vendor_api_server.py")], stdout=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{int(vendor.stdout.readline())}"
        with open(os.path.join(srv.data_dir, "secrets.toml"), "w") as f:
            f.write('[generic]\napi_key = "k-123"\n[vendor-broken]\napi_key = "wrong-key"\n')
        os.chmod(os.path.join(srv.data_dir, "secrets.toml"), 0o600)
        d = ConnectorDir(srv.data_dir, base)
        generic_connector(d, d, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"')
        with open(os.path.join(srv.data_dir, "connectors", "generic.toml")) as f:
            d.write("vendor-broken", f.read())  # the same, with a key the vendor refuses
        # A prod token sees neither.
        assert srv.get("/v1/connectors", S["prod"]).json() == {"connectors": []}
        r = srv.request("POST", "/v1/connectors/generic/run", b"", token=S["prod"])
        assert r.status == 404, r.body
        sign_in(S["pre"])
        visit("connectors", ".connector[data-connector='generic']")
        assert b.find(".connector[data-connector='generic']").get_attribute("data-status") == "never run"
        # Run now: the runs appear, the broken one with its error.
        for name in ("generic", "vendor-broken"):
            click(f".connector[data-connector='{name}'] .run-now")
            b.wait(lambda: b.find_all(f".connector[data-connector='{name}'] tr.run"), 60, f"the run of {name}")
        ok = b.find(".connector[data-connector='generic']")
        assert ok.get_attribute("data-status") == "ok", ok.text
        bad = b.find(".connector[data-connector='vendor-broken']")
        assert bad.get_attribute("data-status") == "failed", bad.text
        why = bad.find_element("css selector", ".run-message").text
        assert why, bad.text  # the run's error, shown
        print("  failed run shown with:", why[:120])
        b.errors()
        # Try two hours: 12 readings every 10 minutes, plotted, nothing stored.
        form = ".connector[data-connector='generic'] .try-form"
        b.js("const f = document.querySelector(arguments[0]);"
             "f.querySelector('[name=from]').value = '2026-11-01T00:00'; f.querySelector('[name=to]').value = '2026-11-01T02:00';", form)
        click(form + " button")
        chart = b.wait(lambda: (b.find_all(".connector[data-connector='generic'] .try-plot[data-points]") or [None])[0], 30,
                       "the try's plot")
        assert chart.get_attribute("data-points") == "12", chart.get_attribute("data-points")
        assert len(b.find_all(".connector[data-connector='generic'] tr.try-window[data-failed='false']")) == 1
        r = srv.get("/v1/modules/vendor.site-a/measurements?from=2026-11-01&to=2026-11-02", S["pre"])
        assert r.status == 404 or r.json()["points"] == [], r.body  # the try stored nothing
        shoot("connectors")
        errors = b.errors()
        assert errors == [], errors
        # The overview has a row per connector, the failed run in red and linked.
        visit("overview", "#page-overview table")
        row = b.find("tr[data-way='API'][data-name='vendor-broken']")
        assert row.find_elements("css selector", "a.bad"), row.text
    finally:
        vendor.kill()
        vendor.wait()


RELAY_ENVELOPE = """name = "acme-relay"
version = "1"
device_id = "dev"
time = "ts"
time_format = "epoch_ms"
payload = "raw"
payload_encoding = "base64"
device_type = "dragino-lht65"
"""


def test_m_an_mqtt_subscription_shows_its_state_and_reads_an_uploaded_envelope():
    srv, b = env()
    users = {"relay": "relay-secret-42", "publisher": "pub-secret"}
    broker = Broker(users).start()
    publisher = Publisher(broker, "publisher", users["publisher"])
    conn = os.path.join(srv.data_dir, "connectors", "relay.toml")
    try:
        # The subscription reads its messages with an envelope this tenant uploaded over HTTP.
        r = srv.request("POST", "/v1/envelopes/acme-relay/versions?activate=true", RELAY_ENVELOPE,
                        {"Content-Type": "application/toml"}, S["pre"])
        assert r.status == 201, r.body
        os.makedirs(os.path.dirname(conn), exist_ok=True)
        with open(conn, "w") as f:
            f.write(f'type = "mqtt"\ntenant = "acme"\n[broker]\nurl = "mqtts://127.0.0.1:{broker.port}"\n'
                    f'ca_file = "{broker.ca}"\nusername = "relay"\nreconnect_min = "200ms"\nreconnect_max = "1s"\n'
                    '[[subscribe]]\ntopic = "relay/+/up"\nenvelope = "acme-relay"\n')
        secrets = os.path.join(srv.data_dir, "secrets.toml")
        with open(secrets, "a") as f:
            f.write(f'\n[relay]\npassword = "{users["relay"]}"\n')
        os.chmod(secrets, 0o600)
        srv.proc.send_signal(signal.SIGHUP)

        def state():
            cs = srv.get("/v1/connectors", S["pre"]).json()["connectors"]
            return next((c["state"] for c in cs if c["name"] == "relay"), None) or {}
        deadline = time.time() + 60
        while state().get("state") != "connected":
            assert time.time() < deadline, f"not connected in time: {state()}"
            time.sleep(0.2)
        publisher.publish("relay/gw1/up", '{"dev": "c0ffee01", "ts": 1741594502481, "raw": "y/YLDQN2AQrdf/8="}',
                          time.time() + 60)
        deadline = time.time() + 60
        while not srv.get("/v1/frames?deviceid=C0FFEE01", S["pre"]).json()["frames"]:
            assert time.time() < deadline, "the message was not stored in time"
            time.sleep(0.2)
        frame_ = srv.get("/v1/frames?deviceid=C0FFEE01", S["pre"]).json()["frames"][0]
        assert frame_["source"] == "acme-relay" and frame_["status"] == "decoded", frame_
        # Another tenant sees neither the connector nor the envelope.
        assert all(c["name"] != "relay" for c in srv.get("/v1/connectors", S["other"]).json()["connectors"])
        assert srv.push("{}", S["other"], source=None, path="/v1/push/acme-relay").status == 404
        # No runs to start: said, with where to look.
        r = srv.request("POST", "/v1/connectors/relay/run", b"", token=S["pre"])
        assert r.status == 400 and "MQTT subscription" in r.json()["error"], r.body
        r = srv.cli("connector", "run", "relay", check=False)
        assert r.returncode == 2 and "is an MQTT subscription" in r.stderr and "connector status relay" in r.stderr, r

        sign_in(S["pre"])
        visit("connectors", ".connector[data-connector='relay'] .mqtt-state[data-state='connected']")
        card = b.find(".connector[data-connector='relay']")
        assert not card.find_elements("css selector", ".run-now"), card.text
        assert card.find_element("css selector", ".mqtt-messages").text == "1", card.text
        assert card.find_element("css selector", ".mqtt-last-message").text.startswith("20"), card.text
        assert f"mqtts://127.0.0.1:{broker.port}" in card.text, card.text
        assert users["relay"] not in card.text
        shoot("connectors-mqtt")
        # The broker goes away: the page shows it without a reload, with the error.
        broker.stop()
        b.wait(lambda: b.find_all(".connector[data-connector='relay'] .mqtt-state[data-state='backoff'] .mqtt-last-error"),
               60, "the lost broker on the page")
        errors = b.errors()
        assert errors == [], errors
    finally:
        publisher.close()
        if os.path.exists(conn):
            os.remove(conn)
            srv.proc.send_signal(signal.SIGHUP)
        broker.cleanup()


def test_z_no_token_in_the_server_log():
    srv, _ = env()
    with open(os.path.join(srv.data_dir, "server.log")) as f:
        log = f.read()
    for t in (S["pre"], S["prod"], S["other"]):
        assert t not in log


if __name__ == "__main__":
    try:
        run_tests(globals())
    finally:
        if S:
            S["browser"].quit()
            S["srv"].cleanup()
