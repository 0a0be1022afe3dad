/*
 * PSM chat widget. Embed with one tag:
 *   <script src="https://psm.example.com/chat/widget.js" data-site="SITE-KEY" async></script>
 * It talks to the assistant first, then to a person, over ASP.NET Core SignalR's JSON protocol
 * (WebSockets, falling back to long polling), and keeps the conversation in this browser's storage.
 * Everything visitors and agents write is shown as text; only the assistant's passages (sanitised by PSM) are HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-site][src*='/chat/widget.js']");
  if (!script || window.__psmChat) return;
  window.__psmChat = true;
  var base = new URL(script.src, location.href).origin;
  var siteKey = script.getAttribute("data-site") || "";
  var forceLongPolling = script.getAttribute("data-transport") === "longpolling";
  var api = base + "/api/v1/public/chat/" + encodeURIComponent(siteKey);
  var storeKey = "psm-chat:" + siteKey;
  var RS = "\u001e";

  function visitorId() {
    var id = null;
    try { id = localStorage.getItem("psm-chat-visitor"); } catch (e) { }
    if (!id || !/^[a-z0-9]{32}$/.test(id)) {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      try { localStorage.setItem("psm-chat-visitor", id); } catch (e) { }
    }
    return id;
  }

  function saved() { try { return JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { return null; } }
  function save(value) { try { value ? localStorage.setItem(storeKey, JSON.stringify(value)) : localStorage.removeItem(storeKey); } catch (e) { } }

  // ---- a minimal SignalR client (JSON protocol, version 1) ----
  function Hub(query, handlers, onClose) {
    var url = base + "/chat/hub";
    var pending = {}, nextId = 1, sendFrame = null, closed = false, pinger = null;

    function receive(text) {
      text.split(RS).forEach(function (frame) {
        if (!frame) return;
        var m = JSON.parse(frame);
        if (m.type === 1 && handlers[m.target]) handlers[m.target].apply(null, m.arguments || []);
        else if (m.type === 3 && pending[m.invocationId]) {
          var p = pending[m.invocationId]; delete pending[m.invocationId];
          m.error ? p.reject(new Error(m.error)) : p.resolve(m.result);
        } else if (m.type === 7) finish();
      });
    }

    function finish() {
      if (closed) return;
      closed = true;
      clearInterval(pinger);
      Object.keys(pending).forEach(function (k) { pending[k].reject(new Error("The connection closed.")); });
      pending = {};
      onClose();
    }

    function negotiate() {
      return fetch(url + "/negotiate?negotiateVersion=1&" + query, { method: "POST" }).then(function (r) {
        if (!r.ok) throw new Error("negotiate " + r.status);
        return r.json();
      });
    }

    function webSocket(n) {
      return new Promise(function (resolve, reject) {
        var ws = new WebSocket(url.replace(/^http/, "ws") + "?" + query + "&id=" + encodeURIComponent(n.connectionToken));
        var ready = false;
        ws.onopen = function () { ws.send(JSON.stringify({ protocol: "json", version: 1 }) + RS); };
        ws.onmessage = function (e) {
          if (!ready) {
            var first = e.data.split(RS)[0];
            if (JSON.parse(first).error) { reject(new Error(JSON.parse(first).error)); return; }
            ready = true;
            sendFrame = function (text) { ws.send(text); };
            resolve("WebSockets");
            var rest = e.data.slice(first.length + 1);
            if (rest) receive(rest);
            return;
          }
          receive(e.data);
        };
        ws.onerror = function () { if (!ready) reject(new Error("websocket")); };
        ws.onclose = function () { ready ? finish() : reject(new Error("websocket closed")); };
      });
    }

    function longPolling(n) {
      var target = url + "?" + query + "&id=" + encodeURIComponent(n.connectionToken);
      sendFrame = function (text) { return fetch(target, { method: "POST", body: text, headers: { "Content-Type": "text/plain" } }); };
      var handshaken = false;
      return new Promise(function (resolve, reject) {
        function poll() {
          if (closed) return;
          fetch(target + "&_=" + Date.now()).then(function (r) {
            if (r.status === 204 || !r.ok) { handshaken ? finish() : reject(new Error("poll " + r.status)); return null; }
            return r.text();
          }).then(function (text) {
            if (text === null || text === undefined) return;
            if (text) {
              if (!handshaken) {
                var first = text.split(RS)[0];
                handshaken = true;
                resolve("LongPolling");
                text = text.slice(first.length + 1);
              }
              if (text) receive(text);
            }
            poll();
          }, function () { handshaken ? finish() : reject(new Error("poll")); });
        }
        poll();
        sendFrame(JSON.stringify({ protocol: "json", version: 1 }) + RS);
      });
    }

    this.start = function () {
      return negotiate().then(function (n) {
        var transports = (n.availableTransports || []).map(function (t) { return t.transport; });
        if (!forceLongPolling && transports.indexOf("WebSockets") >= 0 && "WebSocket" in window) {
          return webSocket(n).catch(function () { return negotiate().then(longPolling); });
        }
        return longPolling(n);
      }).then(function (transport) {
        pinger = setInterval(function () { if (sendFrame) sendFrame(JSON.stringify({ type: 6 }) + RS); }, 15000);
        return transport;
      });
    };

    this.invoke = function (target) {
      var args = Array.prototype.slice.call(arguments, 1);
      if (closed || !sendFrame) return Promise.reject(new Error("Not connected."));
      var id = String(nextId++);
      return new Promise(function (resolve, reject) {
        pending[id] = { resolve: resolve, reject: reject };
        sendFrame(JSON.stringify({ type: 1, invocationId: id, target: target, arguments: args }) + RS);
      });
    };

    this.send = function (target) {
      var args = Array.prototype.slice.call(arguments, 1);
      if (!closed && sendFrame) sendFrame(JSON.stringify({ type: 1, target: target, arguments: args }) + RS);
    };

    this.stop = function () { if (sendFrame && !closed) sendFrame(JSON.stringify({ type: 7 }) + RS); finish(); };
  }

  // ---- the widget ----
  var host = document.createElement("div");
  host.setAttribute("data-psm-chat", "");
  document.body.appendChild(host);
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host{all:initial} *{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;color:#fff;background:var(--accent);font-size:15px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:370px;max-width:calc(100vw - 24px);height:560px;max-height:calc(100vh - 40px);display:none;flex-direction:column;background:#fff;color:#1b1f24;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden}" +
    ".panel.open{display:flex} header{background:var(--accent);color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px} header .t{flex:1} header b{display:block;font-size:16px} header span{font-size:12.5px;opacity:.95}" +
    "header button{background:transparent;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}" +
    ".line{max-width:86%;padding:8px 11px;border-radius:12px;font-size:14px;line-height:1.4;white-space:pre-wrap;word-wrap:break-word}" +
    ".line small{display:block;font-size:11.5px;color:#5b6470;margin-bottom:2px} .Visitor{align-self:flex-end;background:var(--accent);color:#fff} .Visitor small{color:#e8eef5}" +
    ".Agent,.Assistant{align-self:flex-start;background:#fff;border:1px solid #dde1e6} .Assistant{white-space:normal} .Assistant .html > :first-child{margin-top:2px} .Assistant .html > :last-child{margin-bottom:2px} .Assistant .html p{margin:4px 0} .Assistant a{color:#0b5394}" +
    ".System{align-self:center;background:transparent;color:#4a5360;font-size:12.5px;text-align:center}" +
    ".typing{font-size:12.5px;color:#4a5360;padding:2px 14px;min-height:18px;background:#f6f7f9}" +
    ".actions{display:flex;gap:6px;padding:8px 12px 0;flex-wrap:wrap} .actions button,.form button,.csat button{border:1px solid var(--accent);background:#fff;color:var(--accent-text);border-radius:16px;padding:6px 12px;font-size:13px;cursor:pointer}" +
    ".actions button.primary,.form button.primary{background:var(--accent);color:#fff}" +
    ".compose{display:flex;gap:6px;padding:10px 12px;border-top:1px solid #e3e6ea} .compose textarea{flex:1;resize:none;height:42px;border:1px solid #c4cad1;border-radius:8px;padding:8px;font-size:14px}" +
    ".compose button{border:0;background:var(--accent);color:#fff;border-radius:8px;padding:0 14px;font-size:14px;cursor:pointer}" +
    ".form,.csat{padding:10px 12px;border-top:1px solid #e3e6ea;display:flex;flex-direction:column;gap:6px;font-size:13.5px} .form input,.form textarea,.csat textarea{border:1px solid #c4cad1;border-radius:6px;padding:7px;font-size:14px}" +
    ".form label{display:flex;flex-direction:column;gap:2px} .scores{display:flex;gap:4px;flex-wrap:wrap} .scores button{min-width:40px} .scores button[aria-pressed=true]{background:var(--accent);color:#fff}" +
    ".error{color:#a4161a;font-size:13px;padding:0 12px} [hidden]{display:none!important}" +
    "</style>" +
    "<button class='launcher' part='launcher' data-testid='chat-launcher' aria-haspopup='dialog'>Chat with us</button>" +
    "<section class='panel' role='dialog' aria-label='Chat' data-testid='chat-panel'>" +
    "<header><div class='t'><b class='company'>Support</b><span class='status' data-testid='chat-status'>Ask us anything</span></div><button class='close' aria-label='Close the chat'>×</button></header>" +
    "<div class='log' role='log' aria-live='polite' data-testid='chat-log'></div>" +
    "<div class='typing' data-testid='chat-typing' aria-live='polite'></div>" +
    "<div class='actions' data-testid='chat-actions'>" +
    "<button class='helped' data-testid='chat-helped'>That helped</button><button class='person primary' data-testid='chat-person'>Talk to a person</button>" +
    "<button class='end' data-testid='chat-end'>End chat</button><button class='restart primary' data-testid='chat-restart'>Start a new chat</button></div>" +
    "<form class='form person-form' data-testid='chat-person-form' hidden><label>Your name<input name='name' autocomplete='name' maxlength='200' required></label>" +
    "<label>Your e-mail<input name='email' type='email' autocomplete='email' maxlength='256' required></label><button class='primary' type='submit'>Ask for a person</button></form>" +
    "<form class='form offline-form' data-testid='chat-offline-form' hidden><div>Nobody is available right now. Leave a message and we will answer by e-mail.</div>" +
    "<label>Your name<input name='name' autocomplete='name' maxlength='200' required></label><label>Your e-mail<input name='email' type='email' autocomplete='email' maxlength='256' required></label>" +
    "<label>Message<textarea name='message' rows='3' maxlength='5000' required></textarea></label><button class='primary' type='submit'>Send message</button></form>" +
    "<form class='csat' data-testid='chat-csat' hidden><div class='q'></div><div class='scores' role='group'></div><textarea name='comment' rows='2' maxlength='2000' placeholder='Anything to add? (optional)' aria-label='Comment'></textarea>" +
    "<button class='primary' type='submit' data-testid='chat-csat-send'>Send</button></form>" +
    "<div class='error' role='alert' data-testid='chat-error'></div>" +
    "<form class='compose' data-testid='chat-compose'><textarea name='text' aria-label='Your message' placeholder='Ask a question…' maxlength='4000' data-testid='chat-input'></textarea><button type='submit' data-testid='chat-send'>Send</button></form>" +
    "</section>";

  function $(selector) { return root.querySelector(selector); }
  var panel = $(".panel"), log = $(".log"), typing = $(".typing"), error = $(".error"), input = $("textarea[name=text]");
  var state = { conversation: saved(), view: null, hub: null, info: null, connecting: null, score: null, typingTimer: null, lastTyping: 0 };
  host.style.setProperty("--accent", "#1f6feb");
  host.style.setProperty("--accent-text", "#1f6feb");

  function problem(response) {
    return response.json().catch(function () { return {}; }).then(function (p) {
      var first = p.errors ? Object.keys(p.errors).map(function (k) { return p.errors[k][0]; })[0] : null;
      throw new Error(first || p.detail || p.title || ("The chat did not answer (" + response.status + ")."));
    });
  }

  function call(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.conversation) headers["X-Chat-Token"] = state.conversation.token;
    return fetch(api + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) { return r.ok ? r.json() : problem(r); });
  }

  function field(form, name) { return form.elements.namedItem(name); }

  function show(message) { error.textContent = message || ""; }

  function lineElement(line) {
    var div = document.createElement("div");
    div.className = "line " + line.author;
    div.setAttribute("data-testid", "chat-line");
    div.setAttribute("data-author", line.author);
    if (line.author !== "System") {
      var who = document.createElement("small");
      who.textContent = line.author === "Visitor" ? "You" : line.name;
      div.appendChild(who);
    }
    if (line.html) {
      var intro = document.createElement("div");
      intro.textContent = "From “" + line.articleTitle + "”:";
      div.appendChild(intro);
      var html = document.createElement("div");
      html.className = "html";
      html.innerHTML = line.html; // sanitised by PSM from a published article
      div.appendChild(html);
      var link = document.createElement("a");
      link.href = base + line.articleUrl;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "Read the article";
      div.appendChild(link);
    } else {
      div.appendChild(document.createTextNode(line.text));
    }
    return div;
  }

  function appendLine(line) {
    if (!state.view) return;
    if (state.view.lines.some(function (l) { return l.id === line.id; })) return;
    state.view.lines.push(line);
    log.appendChild(lineElement(line));
    log.scrollTop = log.scrollHeight;
  }

  function statusText(view) {
    if (!view) return state.info && !state.info.agentsAvailable ? "Our assistant is here; people are away" : "Ask us anything";
    switch (view.status) {
      case "Assistant": return "Assistant";
      case "Waiting": return "Waiting for a person…";
      case "Active": return "Chatting with " + (view.agentName || "an agent");
      case "Ended": return "Chat ended";
      default: return "Message sent";
    }
  }

  function render(view) {
    state.view = view ? { id: view.id, status: view.status, agentName: view.agentName, ticketKey: view.ticketKey, agentsAvailable: view.agentsAvailable, csat: view.csat, lines: view.lines.slice() } : null;
    log.textContent = "";
    if (!view && state.info) {
      log.appendChild(lineElement({ author: "System", text: state.info.greeting }));
    }
    (view ? view.lines : []).forEach(function (l) { log.appendChild(lineElement(l)); });
    log.scrollTop = log.scrollHeight;
    $(".status").textContent = statusText(view);
    var status = view ? view.status : null;
    var answered = view && view.lines.some(function (l) { return l.author === "Assistant"; });
    $(".helped").hidden = !(status === "Assistant" && answered);
    $(".person").hidden = !(status === "Assistant");
    $(".end").hidden = !(status === "Waiting" || status === "Active");
    $(".restart").hidden = !(status === "Ended" || status === "Missed");
    $(".compose").hidden = status === "Ended" || status === "Missed";
    input.placeholder = status === "Waiting" || status === "Active" ? "Write a message…" : "Ask a question…";
    $(".person-form").hidden = true;
    $(".offline-form").hidden = true;
    var csat = $(".csat");
    csat.hidden = !(view && view.csat && !view.csat.answered);
    if (view && view.csat) renderCsat(view.csat);
    if (status === "Ended" && view.csat && view.csat.answered) $(".status").textContent = "Thank you for your rating";
  }

  function renderCsat(question) {
    $(".csat .q").textContent = question.question;
    var scores = $(".scores");
    if (scores.childElementCount === question.max - question.min + 1) return;
    scores.textContent = "";
    for (var s = question.min; s <= question.max; s++) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = String(s);
      b.setAttribute("aria-pressed", "false");
      b.setAttribute("data-testid", "chat-score-" + s);
      b.addEventListener("click", (function (score, button) {
        return function () {
          state.score = score;
          Array.prototype.forEach.call(scores.children, function (c) { c.setAttribute("aria-pressed", c === button ? "true" : "false"); });
        };
      })(s, b));
      scores.appendChild(b);
    }
  }

  function connect() {
    if (!state.conversation || state.hub || state.connecting) return state.connecting || Promise.resolve();
    var c = state.conversation;
    var query = "site=" + encodeURIComponent(siteKey) + "&conversation=" + encodeURIComponent(c.id) + "&token=" + encodeURIComponent(c.token);
    var hub = new Hub(query, {
      line: function (line) { typing.textContent = ""; appendLine(line); },
      state: function (view) { render(view); },
      typing: function (who) {
        typing.textContent = who + " is typing…";
        clearTimeout(state.typingTimer);
        state.typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
      }
    }, function () {
      state.hub = null;
      if (state.conversation === c && state.view && (state.view.status === "Waiting" || state.view.status === "Active" || state.view.status === "Assistant")) {
        setTimeout(connect, 2000);
      }
    });
    state.connecting = hub.start().then(function (transport) {
      state.hub = hub;
      host.setAttribute("data-transport", transport);
      return hub.invoke("History").then(render);
    }).catch(function () {
      setTimeout(connect, 5000);
    }).then(function () { state.connecting = null; });
    return state.connecting;
  }

  function start(question) {
    return call("POST", "/conversations", { question: question, pageUrl: location.href.slice(0, 1000), visitor: visitorId() }).then(function (started) {
      state.conversation = { id: started.id, token: started.token };
      save(state.conversation);
      render(started.view);
      return connect();
    });
  }

  function loadInfo() {
    return call("GET", "/").then(function (info) {
      state.info = info;
      $(".company").textContent = info.company;
      if (/^#[0-9a-fA-F]{6}$/.test(info.accent)) {
        host.style.setProperty("--accent", info.accent);
        host.style.setProperty("--accent-text", info.accent);
      }
      if (!state.view) render(null);
    });
  }

  $(".launcher").addEventListener("click", function () {
    panel.classList.add("open");
    $(".launcher").hidden = true;
    $("textarea[name=text]").focus();
    if (!state.info) loadInfo().catch(function (e) { show(e.message); });
    if (state.conversation && !state.view) {
      call("GET", "/conversations/" + state.conversation.id).then(function (view) { render(view); connect(); }, function () { state.conversation = null; save(null); render(null); });
    }
  });
  $(".close").addEventListener("click", function () { panel.classList.remove("open"); $(".launcher").hidden = false; });

  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $(".compose").requestSubmit(); }
  });
  input.addEventListener("input", function () {
    var now = Date.now();
    if (state.hub && state.view && (state.view.status === "Waiting" || state.view.status === "Active") && now - state.lastTyping > 2500) {
      state.lastTyping = now;
      state.hub.send("Typing");
    }
  });

  $(".compose").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    show("");
    input.value = "";
    var sent = !state.conversation ? start(text)
      : (state.hub ? state.hub.invoke("Send", text) : call("POST", "/conversations/" + state.conversation.id + "/messages", { text: text })).then(function (result) {
        if (!Array.isArray(result)) { render(result); return; }
        result.forEach(function (line) { if (!state.view.lines.some(function (l) { return l.id === line.id; })) state.view.lines.push(line); });
        render(state.view);
      });
    sent.catch(function (err) { input.value = text; show(err.message); });
  });

  $(".helped").addEventListener("click", function () {
    call("POST", "/conversations/" + state.conversation.id + "/helped").then(render, function (e) { show(e.message); });
  });
  $(".person").addEventListener("click", function () {
    show("");
    if (!state.conversation) { show("Write your question first, so the person knows what it is about."); return; }
    $(".person-form").hidden = false;
    $(".person-form input[name=name]").focus();
  });
  $(".person-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target, name = field(form, "name").value, email = field(form, "email").value;
    call("POST", "/conversations/" + state.conversation.id + "/person", { name: name, email: email }).then(function (view) {
      render(view);
      if (view.status === "Assistant" && !view.agentsAvailable) {
        var offline = $(".offline-form");
        offline.hidden = false;
        field(offline, "name").value = name;
        field(offline, "email").value = email;
        field(offline, "message").focus();
      }
    }, function (err) { show(err.message); });
  });
  $(".offline-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    call("POST", "/conversations/" + state.conversation.id + "/offline", { name: field(form, "name").value, email: field(form, "email").value, message: field(form, "message").value })
      .then(render, function (err) { show(err.message); });
  });
  $(".end").addEventListener("click", function () {
    call("POST", "/conversations/" + state.conversation.id + "/end").then(render, function (e) { show(e.message); });
  });
  $(".restart").addEventListener("click", function () {
    if (state.hub) state.hub.stop();
    state.conversation = null;
    save(null);
    render(null);
  });
  $(".csat").addEventListener("submit", function (e) {
    e.preventDefault();
    if (state.score === null) { show("Choose a score."); return; }
    call("POST", "/conversations/" + state.conversation.id + "/csat", { score: state.score, comment: field(e.target, "comment").value || null })
      .then(render, function (err) { show(err.message); });
  });
})();
