#!/usr/bin/env python3
"""make test-browser: the widget and the vote-link pages in real headless Chromium.

Starts hearken on a temp database and a separate "docs site" (another origin, served with a strict
Content-Security-Policy), then in Chromium: loads the docs page, clicks "No", picks a reason, types a
comment, sends, and checks the record through the API. Then follows a vote link, fills in the
thank-you page's form and checks that record too. Fails on any CSP violation or script error.
"""
import http.server, json, os, socket, subprocess, sys, tempfile, threading, time, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BIN = os.environ.get("HEARKEN_BIN", os.path.join(ROOT, ".build/debug/hearken"))
COMMENT = "The token example still uses the v1 header."


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def docs_site(directory, port, hearken):
    csp = (f"default-src 'self'; script-src 'self' {hearken}; connect-src {hearken}; "
           f"style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=directory, **kwargs)

        def end_headers(self):
            self.send_header("Content-Security-Policy", csp)
            super().end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def api(hearken, path, token):
    request = urllib.request.Request(hearken + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def browser():
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1024,900"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")))


def problems(driver):
    """Console errors: CSP violations, script errors, failed requests."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] in ("SEVERE", "ERROR") and "favicon.ico" not in entry["message"]]


def main():
    work = tempfile.mkdtemp(prefix="hearken-browser-")
    hearken_port, docs_port = free_port(), free_port()
    hearken = f"http://127.0.0.1:{hearken_port}"
    docs = f"http://127.0.0.1:{docs_port}"
    db = os.path.join(work, "h.db")
    server = subprocess.Popen([BIN, "serve", "--port", str(hearken_port), "--db", db, "--allowed-origin", docs,
                               "--log-level", "warning"], stderr=open(os.path.join(work, "server.log"), "w"))
    failures = []

    def check(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
        if not ok:
            failures.append(name)

    try:
        wait_for(hearken + "/healthz")
        token = subprocess.run([BIN, "token", "create", "--db", db, "--name", "browser-test", "--scope", "read"],
                               capture_output=True, text=True, check=True).stdout.strip()
        page_dir = os.path.join(work, "site")
        os.makedirs(os.path.join(page_dir, "guide"))
        with open(os.path.join(page_dir, "guide", "auth.html"), "w") as f:
            f.write(f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Auth guide</title>
<script src="{hearken}/widget.js" async></script></head>
<body><main><h1>Authentication</h1><p>Send the token in the Authorization header.</p>
<div id="feedback" data-hearken data-source="guides" data-labels="product=api,version=2"></div></main></body></html>""")
        site = docs_site(page_dir, docs_port, hearken)
        driver = browser()
        try:
            wait = WebDriverWait(driver, 10)
            page_url = f"{docs}/guide/auth.html"
            driver.get(page_url)
            host = wait.until(lambda d: d.find_element(By.ID, "feedback"))
            root = wait.until(lambda d: host.shadow_root)
            buttons = wait.until(lambda d: root.find_elements(By.CSS_SELECTOR, "button") or None)
            check("widget renders Yes and No as buttons", [b.text for b in buttons] == ["Yes", "No"], [b.text for b in buttons])
            check("widget is styled under the page's strict CSP",
                  driver.execute_script("return getComputedStyle(arguments[0].shadowRoot.querySelector('.hk')).borderStyle", host) == "solid")
            buttons[1].click()
            radio = wait.until(lambda d: root.find_elements(By.CSS_SELECTOR, "input[type=radio][value=outdated]") or None)[0]
            focused = driver.execute_script("return arguments[0].shadowRoot.activeElement && arguments[0].shadowRoot.activeElement.tagName", host)
            check("focus moves to the reason question", focused == "LEGEND", focused)
            radio.click()
            root.find_element(By.CSS_SELECTOR, "textarea").send_keys(COMMENT)
            root.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(lambda d: "Thank you" in root.find_element(By.CSS_SELECTOR, ".hk").text)
            live = root.find_element(By.CSS_SELECTOR, "[aria-live]")
            try:
                wait.until(lambda d: "Thank you" in live.get_attribute("textContent"))
                announced = True
            except Exception:
                announced = False
            check("thanks announced in the live region", announced, live.get_attribute("textContent"))
            # The thanks follow the 201, so the row is there; wait on it rather than a fixed sleep.
            items = wait.until(lambda d: api(hearken, "/v1/feedback?source=guides", token)["items"] or None)
            record = items[0] if items else {}
            check("widget vote stored once", len(items) == 1, items)
            check("stored with the page, rating, reason, comment and labels",
                  record.get("page") == page_url and record.get("rating") == "down" and record.get("reason") == "outdated"
                  and record.get("comment") == COMMENT and record.get("labels") == {"product": "api", "version": "2"}, record)
            check("origin recorded", record.get("origin") == docs, record.get("origin"))
            errors = problems(driver)
            check("no CSP violations or script errors on the docs page", not errors, errors)

            # The vote link: no JavaScript, a thank-you page on the feedback server, a same-origin form post.
            driver.get(f"{hearken}/v1/vote?page={urllib.parse.quote(docs + '/guide/tokens', safe='')}&rating=up&source=links")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form textarea"))
            check("vote link shows the thank-you page", "Thanks for your feedback" in driver.title, driver.title)
            driver.find_element(By.CSS_SELECTOR, "input[value=good-examples]").click()
            driver.find_element(By.ID, "comment").send_keys("Clear, thanks")
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            # page_source, not an element: the element found mid-navigation may go stale.
            try:
                wait.until(lambda d: "added to your feedback" in d.page_source)
                thanked = True
            except Exception:
                thanked = False
            check("follow-up form answered with thanks", thanked, driver.page_source[-400:])
            items = api(hearken, "/v1/feedback?source=links", token)["items"]
            record = items[0] if items else {}
            check("vote link and its follow-up stored on one record", len(items) == 1 and record.get("rating") == "up"
                  and record.get("reason") == "good-examples" and record.get("comment") == "Clear, thanks", items)
            errors = problems(driver)
            check("no CSP violations on the vote pages", not errors, errors)
        finally:
            driver.quit()
            site.shutdown()
    finally:
        server.terminate()
        server.wait(timeout=15)
    if failures:
        print(f"{len(failures)} browser check(s) failed; server log in {work}/server.log")
        sys.exit(1)
    print("browser: all checks passed")


if __name__ == "__main__":
    import urllib.parse
    main()
