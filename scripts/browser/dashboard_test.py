#!/usr/bin/env python3
"""make test-browser: the team dashboard in real headless Chromium.

Starts hearken on a seeded temp database with an admin token, then: opens /dashboard (sent to the
sign-in form), signs in with the token, sees the overview with its charts, opens a page from the
worst-pages table, triages a comment in the inbox (checked through the API), and signs out. Every
dashboard page is also checked with axe-core (axe-selenium-python): no serious or critical
accessibility violations. Any console error or CSP violation fails the run.

DASHBOARD_SCREENSHOTS=DIR saves the overview and the page view as PNGs there (docs/ for the README).
"""
import json, os, socket, subprocess, sys, tempfile, time, urllib.parse, urllib.request

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BIN = os.environ.get("HEARKEN_BIN", os.path.join(ROOT, ".build/debug/hearken"))
SHOTS = os.environ.get("DASHBOARD_SCREENSHOTS")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def api(base, path, token):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def browser(width=1280, height=1000):
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")))


def screenshot(driver, name):
    # The top of the page, at most 1,900 pixels: what a reader sees first.
    driver.set_window_size(1280, min(1900, driver.execute_script("return document.body.scrollHeight") + 40))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(SHOTS, name))
    driver.set_window_size(1280, 1000)


def check_clean(driver, where):
    """Console errors (CSP violations, script errors, failed loads) fail the run."""
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    if errors:
        raise AssertionError(f"{where}: console errors: {errors}")


def check_accessible(driver, where):
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    bad = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
    if bad:
        details = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in bad]
        raise AssertionError(f"{where}: accessibility violations: {details}")
    print(f"ok   axe on {where}: {len(results['violations'])} minor or moderate findings, none serious")


def wait_path(driver, prefix, seconds=20):
    WebDriverWait(driver, seconds).until(lambda d: d.current_url.split("://", 1)[1].split("/", 1)[1].startswith(prefix.lstrip("/")))


def main():
    with tempfile.TemporaryDirectory() as folder:
        db = os.path.join(folder, "hearken.db")
        subprocess.run([BIN, "seed", "--rows", "4000", "--pages", "80", "--db", db], check=True, capture_output=True)
        token = subprocess.run([BIN, "token", "create", "--name", "browser", "--scope", "admin", "--db", db],
                               check=True, capture_output=True, text=True).stdout.strip()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([BIN, "serve", "--port", str(port), "--db", db, "--rate-limit", "0"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        driver = None
        try:
            wait_for(base + "/healthz")
            driver = browser()
            # 1. Signed out, the dashboard sends us to the sign-in form; sign in with the token.
            driver.get(base + "/dashboard")
            wait_path(driver, "/login")
            check_accessible(driver, "/login")
            driver.find_element(By.ID, "token").send_keys(token)
            driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
            wait_path(driver, "/dashboard")
            # 2. The overview with its charts.
            assert driver.find_element(By.TAG_NAME, "h1").text == "Overview"
            charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
            assert len(charts) >= 2, f"expected charts on the overview, found {len(charts)}"
            assert driver.find_elements(By.CSS_SELECTOR, "svg.chart path.series"), "the helpfulness chart has no line"
            assert driver.find_elements(By.CSS_SELECTOR, "svg.spark"), "no sparklines"
            check_clean(driver, "/dashboard")
            check_accessible(driver, "/dashboard")
            if SHOTS:
                screenshot(driver, "dashboard-overview.png")
            print("ok   signed in; overview shows", len(charts), "charts")
            # 3. Open the worst page.
            link = driver.find_element(By.CSS_SELECTOR, "td.url a[href^='/dashboard/page?']")
            page_url = link.text
            link.click()
            wait_path(driver, "/dashboard/page")
            assert driver.find_element(By.TAG_NAME, "h1").text == page_url
            assert len(driver.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 2
            check_clean(driver, "/dashboard/page")
            check_accessible(driver, "/dashboard/page")
            if SHOTS:
                # The busiest page makes the better picture.
                busiest = api(base, "/v1/stats/pages?sort=votes&limit=1", token)["items"][0]["page"]
                driver.get(base + "/dashboard/page?page=" + urllib.parse.quote(busiest, safe=""))
                screenshot(driver, "dashboard-page.png")
            print("ok   page view of", page_url)
            for path in ["/dashboard/pages", "/dashboard/tokens", "/dashboard?period=90&bucket=week", "/dashboard/inbox"]:
                driver.get(base + path)
                check_clean(driver, path)
                check_accessible(driver, path)
            # 4. Triage the first comment in the inbox.
            form = driver.find_element(By.CSS_SELECTOR, "form.edit")
            record = form.find_element(By.CSS_SELECTOR, "input[name=id]").get_attribute("value")
            Select(form.find_element(By.CSS_SELECTOR, "select[name=status]")).select_by_value("resolved")
            note = form.find_element(By.CSS_SELECTOR, "input[name=note]")
            note.clear()
            note.send_keys("fixed in the browser test")
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            WebDriverWait(driver, 20).until(lambda d: "done=1" in d.current_url)
            assert "Saved 1 comment." in driver.find_element(By.CSS_SELECTOR, "p.notice").text
            stored = api(base, f"/v1/feedback/{record}", token)
            assert stored["status"] == "resolved" and stored["note"] == "fixed in the browser test", stored
            check_clean(driver, "/dashboard/inbox after triage")
            print("ok   triaged comment", record)
            # 5. Sign out: back to the form, and the dashboard is closed again.
            driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
            wait_path(driver, "/login")
            driver.get(base + "/dashboard/inbox")
            wait_path(driver, "/login")
            check_clean(driver, "sign-out")
            print("ok   signed out")
        finally:
            if driver is not None:
                driver.quit()
            server.terminate()
            server.wait(timeout=30)
    print("dashboard browser test passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print("FAIL", failure, file=sys.stderr)
        sys.exit(1)
