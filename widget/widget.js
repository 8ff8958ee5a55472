/* Hearken feedback widget: "Was this page helpful?" for docs pages.
   <script src="https://feedback.example.com/widget.js" async></script>
   <div data-hearken data-source="docs" data-labels="product=api,version=2"></div>
   No dependencies, no cookies, no storage, no eval, no inline styles: works under a strict CSP
   that allows this origin in script-src and connect-src. */
(function () {
  "use strict";
  var CONFIG = __HEARKEN_CONFIG__;
  var script = document.currentScript;
  var ENDPOINT = (script && script.src) ? new URL(script.src).origin : "";
  var TEXTS = {
    question: "Was this page helpful?", yes: "Yes", no: "No",
    reasonUp: "What did you like?", reasonDown: "What went wrong?",
    comment: "Anything to add? (optional)", send: "Send", skip: "Skip",
    thanks: "Thank you for your feedback!", sending: "Sending\u2026",
    error: "Sorry, your feedback could not be sent. Please try again."
  };
  var CSS = ":host{--hk-accent:var(--hearken-accent,#2457c5);--hk-text:var(--hearken-text,inherit);" +
    "--hk-bg:var(--hearken-bg,transparent);--hk-border:var(--hearken-border,#8886);--hk-radius:var(--hearken-radius,6px);" +
    "display:block;font:var(--hearken-font,inherit);color:var(--hk-text)}" +
    ".hk{background:var(--hk-bg);border:1px solid var(--hk-border);border-radius:var(--hk-radius);padding:.75rem 1rem;margin:1rem 0}" +
    ".hk p,.hk legend{margin:0 0 .5rem;font-weight:600}.hk fieldset{border:0;padding:0;margin:0 0 .5rem}" +
    ".hk label{display:block;margin:.2rem 0}.hk textarea{width:100%;box-sizing:border-box;min-height:4.5rem;font:inherit}" +
    ".hk button{font:inherit;margin:.25rem .5rem .25rem 0;padding:.35rem .9rem;border-radius:var(--hk-radius);" +
    "border:1px solid var(--hk-accent);background:transparent;color:inherit;cursor:pointer}" +
    ".hk button.primary,.hk button[aria-pressed=true]{background:var(--hk-accent);color:#fff}" +
    ".hk button:focus-visible,.hk input:focus-visible,.hk textarea:focus-visible{outline:3px solid var(--hearken-focus,#f5a623);outline-offset:2px}" +
    ".hk button:disabled{opacity:.6;cursor:wait}.hk .hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}" +
    ".hk .sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";
  var sheet = null;
  var counter = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var key in attrs) {
      if (key === "text") node.textContent = attrs[key]; else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function style(root) {
    try {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(el("style", { text: CSS })); // older browsers without constructable stylesheets
    }
  }

  function labelsOf(text) {
    var labels = {};
    (text || "").split(",").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
    });
    return labels;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // Posts JSON; retries network failures and 503s with the same Idempotency-Key, so nothing counts twice.
  function post(url, body, key, attempt) {
    attempt = attempt || 0;
    var headers = { "Content-Type": "application/json" };
    if (key) headers["Idempotency-Key"] = key;
    return fetch(url, { method: "POST", mode: "cors", credentials: "omit", headers: headers, body: JSON.stringify(body) })
      .then(function (response) {
        if (response.status === 503 && attempt < 3) return retry();
        return response.json().then(function (json) {
          if (!response.ok) throw new Error((json && json.error && json.error.message) || response.status);
          return json;
        });
      }, function (error) {
        if (attempt < 3) return retry();
        throw error;
      });
    function retry() {
      return new Promise(function (resolve) { setTimeout(resolve, 500 * Math.pow(2, attempt)); })
        .then(function () { return post(url, body, key, attempt + 1); });
    }
  }

  function mount(host) {
    if (host.__hearken) return;
    host.__hearken = true;
    var data = host.dataset, id = "hk" + (++counter);
    var texts = {};
    for (var name in TEXTS) {
      var attr = "text" + name.charAt(0).toUpperCase() + name.slice(1);
      texts[name] = data[attr] || TEXTS[name];
    }
    var endpoint = (data.endpoint || ENDPOINT).replace(/\/+$/, "");
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    if (root !== host) style(root);
    var box = el("section", { "class": "hk", "aria-label": texts.question });
    var live = el("div", { "class": "sr", "aria-live": "polite", role: "status" });
    root.appendChild(box);
    root.appendChild(live);

    function announce(text) { live.textContent = ""; setTimeout(function () { live.textContent = text; }, 50); }
    function show(nodes, focus) {
      box.textContent = "";
      nodes.forEach(function (node) { box.appendChild(node); });
      if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
    }

    var question = el("p", { id: id + "-q", text: texts.question });
    var yes = el("button", { type: "button", "aria-pressed": "false", text: texts.yes });
    var no = el("button", { type: "button", "aria-pressed": "false", text: texts.no });
    show([question, el("div", { role: "group", "aria-labelledby": id + "-q" }, [yes, no])]);

    function vote(rating, button) {
      yes.disabled = no.disabled = true;
      button.setAttribute("aria-pressed", "true");
      announce(texts.sending);
      var body = { page: data.page || location.href, rating: rating, source: data.source || undefined, labels: labelsOf(data.labels), website: "" };
      post(endpoint + "/v1/feedback", body, newKey()).then(function (answer) {
        details(rating, answer);
      }, function () {
        yes.disabled = no.disabled = false;
        button.setAttribute("aria-pressed", "false");
        announce(texts.error);
      });
    }
    yes.addEventListener("click", function () { vote("up", yes); });
    no.addEventListener("click", function () { vote("down", no); });

    function details(rating, answer) {
      var reasons = (CONFIG.reasons[rating] || []).map(function (pair, index) {
        return el("label", { "for": id + "-r" + index }, [
          el("input", { type: "radio", name: id + "-reason", id: id + "-r" + index, value: pair[0] }),
          document.createTextNode(" " + pair[1])
        ]);
      });
      var legend = el("legend", { text: rating === "up" ? texts.reasonUp : texts.reasonDown });
      var comment = el("textarea", { id: id + "-c", maxlength: String(CONFIG.maxComment) });
      var trap = el("input", { type: "text", name: "website", tabindex: "-1", autocomplete: "off", "aria-hidden": "true" });
      var send = el("button", { type: "submit", "class": "primary", text: texts.send });
      var skip = el("button", { type: "button", text: texts.skip });
      var form = el("form", {}, [
        el("fieldset", {}, [legend].concat(reasons)),
        el("label", { "for": id + "-c", text: texts.comment }), comment,
        el("div", { "class": "hp" }, [trap]),
        el("div", {}, [send, skip])
      ]);
      show([form], legend);
      announce(texts.thanks);
      skip.addEventListener("click", function () { done(); });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var picked = form.querySelector("input[type=radio]:checked");
        var body = { token: answer.followup_token, reason: picked ? picked.value : null, comment: comment.value || null, website: trap.value };
        if (!body.reason && !body.comment) { done(); return; }
        send.disabled = skip.disabled = true;
        announce(texts.sending);
        post(endpoint + answer.followup_url, body, null).then(done, function () {
          send.disabled = skip.disabled = false;
          announce(texts.error);
        });
      });
    }

    function done() {
      var thanks = el("p", { text: texts.thanks });
      show([thanks], thanks);
      announce(texts.thanks);
    }
  }

  function scan() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-hearken]"), mount);
  }

  window.Hearken = { mount: mount, scan: scan };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan); else scan();
  // Single-page docs (Docusaurus, VitePress) add containers on navigation.
  if (window.MutationObserver) {
    new MutationObserver(function () { scan(); }).observe(document.documentElement, { childList: true, subtree: true });
  }
})();
