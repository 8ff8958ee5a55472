#!/usr/bin/env python3
"""make test-browser: the widget and the vote-link pages in real headless Chromium.

Starts hearken on a temp database and a separate "docs site" (another origin, served with a strict
Content-Security-Policy), then in Chromium: loads the docs page, clicks "No", picks a reason, types a
comment, sends, and checks the record through the API. Then follows a vote link, fills in the
thank-you page's form and checks that record too. Then, through a proxy on a third origin that loses
the answer to the first vote it forwards (the vote is stored, the browser sees a network error): the
widget's `data-endpoint`, `data-page` and `data-text-*` attributes, and its retry with the same
Idempotency-Key, stored once. Last, containers added after load are mounted by themselves, and
`window.Hearken.mount` mounts one explicitly. Fails on any CSP violation or script error.
"""
import http.client, http.server, json, os, socket, subprocess, sys, tempfile, threading, time, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
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


def docs_site(directory, port, hearken, connect_also=""):
    csp = (f"default-src 'self'; script-src 'self' {hearken}; connect-src {hearken} {connect_also}; "
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


class FlakyProxy:
    """A third origin in front of hearken for `data-endpoint`. It forwards every request, but the
    first POST /v1/feedback it forwards loses its answer: hearken stores the vote, then the proxy
    closes the browser's connection without a byte, which the widget sees as a network failure.
    Records the Idempotency-Key of each vote and whether hearken answered it as a replay."""

    def __init__(self, port, hearken_port):
        self.origin = f"http://127.0.0.1:{port}"
        self.votes = []  # (Idempotency-Key, status, Idempotent-Replayed)
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection("127.0.0.1", hearken_port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                if self.command == "POST" and self.path == "/v1/feedback":
                    with proxy.lock:
                        first = not proxy.votes
                        proxy.votes.append((self.headers.get("Idempotency-Key"), answer.status, answer.getheader("Idempotent-Replayed")))
                    if first:
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)  # stored upstream; the browser gets nothing
                        return
                self.send_response_only(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "date"):
                        self.send_header(name, value)
                # A new connection for every request: Chromium itself resends a request that failed on a
                # reused connection, and the retry under test must be the widget's.
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_OPTIONS = forward

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def shutdown(self):
        self.server.shutdown()


def shadow_buttons(host):
    """A WebDriverWait condition: the buttons in `host`'s shadow root once the widget has mounted it."""
    def condition(driver):
        return driver.execute_script(
            "var r = arguments[0].shadowRoot; return r ? Array.from(r.querySelectorAll('button')) : null", host) or False
    return condition


def shadow_text(host):
    return lambda driver: driver.execute_script("var r = arguments[0].shadowRoot; return r ? r.textContent : ''", host)


def check_attributes_and_retry(driver, check, hearken, docs, page_dir, proxy, token):
    """`data-endpoint` (votes go through the proxy), `data-page`, `data-text-*`, and a network failure
    retried with the same Idempotency-Key and stored once."""
    page = "https://docs.example.com/reference/custom-page"
    with open(os.path.join(page_dir, "guide", "translated.html"), "w") as f:
        f.write(f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Anleitung</title>
<script src="{hearken}/widget.js" async></script></head>
<body><main><h1>Anleitung</h1>
<div id="translated" data-hearken data-source="translated" data-endpoint="{proxy.origin}/" data-page="{page}"
     data-text-question="War diese Seite hilfreich?" data-text-yes="Ja" data-text-no="Nein"
     data-text-reason-down="Was hat gefehlt?" data-text-comment="Noch etwas?" data-text-send="Senden"
     data-text-skip="Überspringen" data-text-thanks="Danke für Ihr Feedback!"></div></main></body></html>""")
    wait = WebDriverWait(driver, 30)
    driver.get(f"{docs}/guide/translated.html")
    host = wait.until(EC.presence_of_element_located((By.ID, "translated")))
    buttons = wait.until(shadow_buttons(host))
    check("data-text-yes and -no label the buttons", [b.text for b in buttons] == ["Ja", "Nein"], [b.text for b in buttons])
    check("data-text-question is the question", "War diese Seite hilfreich?" in shadow_text(host)(driver), shadow_text(host)(driver))
    buttons[1].click()
    # The first answer is lost; the widget retries after 0.5 s and then shows the reasons.
    wait.until(lambda d: "Was hat gefehlt?" in shadow_text(host)(d))
    texts = shadow_text(host)(driver)
    check("data-text-reason-down, -comment, -send and -skip are used",
          all(t in texts for t in ["Was hat gefehlt?", "Noch etwas?", "Senden", "Überspringen"]), texts)
    with proxy.lock:
        votes = list(proxy.votes)
    keys = {key for key, _, _ in votes}
    check("data-endpoint: the vote went through the endpoint's origin", len(votes) >= 2, votes)
    check("network failure retried with the same Idempotency-Key", len(keys) == 1 and None not in keys and "" not in keys, votes)
    check("the retry is answered as a replay of the stored vote",
          len(votes) >= 2 and votes[1][1] == 201 and votes[1][2] == "true", votes)
    items = api(hearken, "/v1/feedback?source=translated", token)["items"]
    check("the retried vote is stored once, for data-page's page", len(items) == 1 and items[0].get("page") == page
          and items[0].get("rating") == "down", items)
    driver.execute_script("arguments[0].shadowRoot.querySelectorAll('button')[1].click()", host)  # Überspringen
    wait.until(lambda d: "Danke für Ihr Feedback!" in shadow_text(host)(d))
    check("data-text-thanks is the thanks", "Danke für Ihr Feedback!" in shadow_text(host)(driver))
    errors = [e for e in problems(driver) if proxy.origin not in e]  # the lost answer itself is logged as a failed fetch
    check("no CSP violations or script errors on the translated page", not errors, errors)


def check_late_containers(driver, check, hearken, docs, page_dir):
    """A container added after load (a single-page docs site navigating) is mounted by itself; one
    without data-hearken is mounted by window.Hearken.mount."""
    with open(os.path.join(page_dir, "guide", "spa.html"), "w") as f:
        f.write(f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPA</title>
<script src="{hearken}/widget.js" async></script></head><body><main id="app"><h1>Single page</h1></main></body></html>""")
    wait = WebDriverWait(driver, 30)
    driver.get(f"{docs}/guide/spa.html")
    wait.until(lambda d: d.execute_script("return !!(window.Hearken && window.Hearken.mount)"))
    late = driver.execute_script("""
        var div = document.createElement('div');
        div.id = 'late'; div.setAttribute('data-hearken', ''); div.setAttribute('data-source', 'spa');
        document.getElementById('app').appendChild(div);
        return div;""")
    try:
        buttons = wait.until(shadow_buttons(late))
    except Exception:
        buttons = []
    check("a container added after load is mounted by itself", [b.text for b in buttons] == ["Yes", "No"], [b.text for b in buttons])
    explicit = driver.execute_script("""
        var div = document.createElement('div');
        div.id = 'explicit';
        document.getElementById('app').appendChild(div);
        window.Hearken.mount(div);
        return div;""")
    try:
        buttons = wait.until(shadow_buttons(explicit))
    except Exception:
        buttons = []
    check("window.Hearken.mount(element) mounts one explicitly", [b.text for b in buttons] == ["Yes", "No"], [b.text for b in buttons])
    mounted_once = driver.execute_script("return document.querySelectorAll('#late').length === 1 && "
                                         "document.getElementById('late').shadowRoot.querySelectorAll('section.hk').length === 1")
    check("a container is mounted once, however often the page changes", mounted_once)
    errors = problems(driver)
    check("no CSP violations or script errors on the single-page site", not errors, errors)


def main():
    work = tempfile.mkdtemp(prefix="hearken-browser-")
    hearken_port, docs_port, proxy_port = free_port(), free_port(), free_port()
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
        proxy = FlakyProxy(proxy_port, hearken_port)
        site = docs_site(page_dir, docs_port, hearken, connect_also=proxy.origin)
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

            check_attributes_and_retry(driver, check, hearken, docs, page_dir, proxy, token)
            check_late_containers(driver, check, hearken, docs, page_dir)
        finally:
            driver.quit()
            site.shutdown()
            proxy.shutdown()
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
