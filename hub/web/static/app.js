// TourTrace dashboard: fragment refresh, ticking dwell clocks, and calls to the JSON API with the session cookie
// (calls that change something also send the page's CSRF token).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="tt-csrf"]');
  var csrf = meta ? meta.content : "";

  function api(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var data = text;
        try { data = JSON.parse(text); } catch (e) { /* plain text reply */ }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var s = Math.max(0, Math.floor(now - parseFloat(el.dataset.since)));
      el.textContent = Math.floor(s / 60) + ":" + pad(s % 60);
    });
  }

  function refresh(el) {
    fetch(el.dataset.refresh, { credentials: "same-origin" }).then(function (r) {
      if (r.redirected && new URL(r.url).pathname === "/login") {
        location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
        throw new Error("session ended");
      }
      if (r.ok) { return r.text(); }
      throw new Error("HTTP " + r.status);
    }).then(function (html) {
      el.innerHTML = html;
      el.dataset.updated = String(Date.now());
      tick();
    }).catch(function () { el.classList.add("stale"); });
  }

  document.querySelectorAll("[data-refresh]").forEach(function (el) {
    setInterval(function () { refresh(el); }, parseInt(el.dataset.every || "3000", 10));
  });
  setInterval(tick, 1000);
  tick();

  // Exports run as jobs on the hub: start one, show rows written of total, then download the workbook.
  var exportForm = document.getElementById("export-form");
  if (exportForm) {
    var bar = exportForm.querySelector("progress");
    var status = exportForm.querySelector("[data-export-status]");
    var day = function (value, end) {
      if (!value) { return null; }
      var at = new Date(value + "T00:00:00");
      if (end) { at.setDate(at.getDate() + 1); }
      return at.toISOString();
    };
    var download = function (job) {
      fetch("/api/exports/" + job.id + "/file", { credentials: "same-origin" })
        .then(function (r) { return r.blob(); })
        .then(function (blob) {
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = "tourtrace-export.xlsx";
          a.click();
        });
    };
    var follow = function (job) {
      bar.hidden = false;
      bar.value = job.total ? job.rows / job.total : 0;
      status.textContent = job.rows.toLocaleString() + " / " + job.total.toLocaleString();
      if (job.state === "done") { bar.value = 1; download(job); return; }
      if (job.state === "failed") { status.textContent = job.error; return; }
      setTimeout(function () {
        api("GET", "/api/exports/" + job.id).then(function (r) {
          if (r.ok) { follow(r.data); } else { status.textContent = JSON.stringify(r.data); }
        });
      }, 500);
    };
    exportForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = [];
      var since = day(exportForm.since.value, false);
      var until = day(exportForm.until.value, true);
      if (since) { query.push("since=" + encodeURIComponent(since)); }
      if (until) { query.push("until=" + encodeURIComponent(until)); }
      api("POST", "/api/exports" + (query.length ? "?" + query.join("&") : "")).then(function (r) {
        if (r.ok) { exportForm.dataset.job = r.data.id; follow(r.data); } else { status.textContent = JSON.stringify(r.data); }
      });
    });
  }

  function show(el, result) {
    el.classList.toggle("failed", !result.ok);
    el.textContent = typeof result.data === "string" ? result.data : JSON.stringify(result.data, null, 2);
  }

  var rulesText = document.getElementById("rules-text");
  if (rulesText) {
    var out = document.getElementById("rules-result");
    api("GET", "/api/rules").then(function (r) {
      if (r.ok) {
        rulesText.value = typeof r.data === "string" ? r.data : (r.data.text || "");
      } else { show(out, r); }
    });
    document.querySelectorAll("[data-rules]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.dataset.rules;
        var body = { text: rulesText.value };
        var call = action === "save" ? api("PUT", "/api/rules", body)
          : api("POST", "/api/rules/" + action, body);
        out.textContent = "…";
        call.then(function (r) { show(out, r); });
      });
    });
  }

  var badgeForm = document.getElementById("badge-form");
  if (badgeForm) {
    badgeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      new FormData(badgeForm).forEach(function (value, key) { if (value) { body[key] = value; } });
      api("POST", "/api/badges", body).then(function (r) {
        if (r.ok) { location.reload(); return; }
        var detail = r.data && r.data.detail;
        document.getElementById("badge-errors").textContent = Array.isArray(detail) ? detail.join("；") : String(detail);
      });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-retire]") : null;
    if (!button || !window.confirm(button.dataset.confirm)) { return; }
    api("POST", "/api/stations/" + button.dataset.retire + "/retire", { retired: true })
      .then(function () { location.reload(); });
  });

  document.querySelectorAll("[data-retry]").forEach(function (button) {
    button.addEventListener("click", function () {
      api("POST", "/api/notify/" + button.dataset.retry + "/retry").then(function () { location.reload(); });
    });
  });
})();
