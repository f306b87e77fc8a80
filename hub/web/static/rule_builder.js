// TourTrace 规则向导: a 当/就/否则 form that reads the rules YAML and writes one rule back into it (server-side).
(function () {
  "use strict";
  var form = document.getElementById("rule-builder");
  if (!form) { return; }
  var meta = document.querySelector('meta[name="tt-csrf"]');
  var csrf = meta ? meta.content : "";
  var yamlText = document.getElementById("rules-text");
  var out = document.getElementById("rules-result");
  var error = document.getElementById("rb-error");
  var pick = document.getElementById("rb-pick");
  var forms = {};
  var FIELDS = ["name", "description", "event", "dwell_zone", "dwell_minutes", "param_kind", "param_min",
    "param_max", "signal", "visitor_company", "followup_hours"];

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); });
  }

  function messages(data) {
    var errors = (data && data.errors) || [];
    if (data && data.detail) { return typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail); }
    return errors.map(function (e) { return "第 " + e.line + " 行：" + e.message; }).join("；");
  }

  function addAction(branch, action) {
    var row = document.getElementById("rb-action").content.firstElementChild.cloneNode(true);
    row.querySelector('[name="kind"]').value = action ? action.kind : "tag";
    row.querySelector('[name="value"]').value = action ? action.value : "";
    row.querySelector("[data-remove-action]").addEventListener("click", function () { row.remove(); });
    form.querySelector('[data-branch="' + branch + '"] .rb-actions').appendChild(row);
  }

  function fill(rule) {
    FIELDS.forEach(function (name) {
      var value = rule ? rule[name] : "";
      form.elements[name].value = value === null || value === undefined ? "" : value;
    });
    form.elements.registered.checked = !!(rule && rule.registered);
    ["then", "else"].forEach(function (branch) {
      form.querySelector('[data-branch="' + branch + '"] .rb-actions').innerHTML = "";
      ((rule && rule[branch]) || []).forEach(function (a) { addAction(branch, a); });
    });
    if (!rule) { addAction("then"); }
  }

  function collect() {
    var rule = {};
    FIELDS.forEach(function (name) { rule[name] = form.elements[name].value; });
    rule.registered = form.elements.registered.checked;
    ["then", "else"].forEach(function (branch) {
      rule[branch] = Array.prototype.map.call(
        form.querySelectorAll('[data-branch="' + branch + '"] .rb-action'),
        function (row) {
          return { kind: row.querySelector('[name="kind"]').value, value: row.querySelector('[name="value"]').value.trim() };
        });
    });
    return rule;
  }

  function load(text) {
    return post("/api/rules/form", text === undefined ? {} : { text: text }).then(function (r) {
      if (!r.ok) { error.textContent = messages(r.data); return; }
      var chosen = pick.value;
      pick.innerHTML = '<option value="">＋ 新规则</option>';
      forms = {};
      r.data.rules.forEach(function (item) {
        var option = document.createElement("option");
        option.value = item.name;
        option.textContent = item.name + (item.form ? "" : "（仅 YAML）");
        option.disabled = !item.form;
        forms[item.name] = item.form;
        pick.appendChild(option);
      });
      pick.value = forms[chosen] ? chosen : "";
    });
  }

  pick.addEventListener("change", function () { fill(forms[pick.value] || null); });
  form.querySelectorAll("[data-add-action]").forEach(function (button) {
    button.addEventListener("click", function () { addAction(button.dataset.addAction); });
  });
  document.getElementById("rb-write").addEventListener("click", function () {
    error.textContent = "";
    var rule = collect();
    if (!rule.name) { error.textContent = "请填写规则名称"; return; }
    post("/api/rules/form/write", { text: yamlText.value, rule: rule }).then(function (r) {
      if (!r.ok || !r.data.ok) {
        error.textContent = messages(r.data);
        out.classList.add("failed");
        return;
      }
      yamlText.value = r.data.text;
      out.classList.remove("failed");
      out.textContent = "已写入规则「" + rule.name + "」，请校验、试运行后保存。";
      form.dataset.written = rule.name;
      load(r.data.text).then(function () { pick.value = rule.name; });
    });
  });
  var KINDS = { tag: "标签", opportunity: "商机", notify: "通知", escalate: "升级", lookup: "查库", hold: "暂停",
    timer: "跟进计时" };

  function summary(data) {
    var fresh = {};
    var known = 0;
    data.actions.forEach(function (a) {
      if (!a.new) { known += 1; return; }
      var line = (KINDS[a.kind] || a.kind) + "「" + a.value + "」" + (a.badge ? " → " + a.badge : "");
      (fresh[a.rule] = fresh[a.rule] || []).push(line);
    });
    var lines = ["试运行：按历史上的 " + data.events + " 条刷卡和语音备注重新判断，不写入任何数据。"];
    var rules = Object.keys(fresh);
    lines.push(rules.length ? "将新增：" : "不会新增任何动作。");
    rules.forEach(function (rule) { lines.push("· " + rule + "：" + fresh[rule].join("；")); });
    if (known) { lines.push("已有（不会重复）：" + known + " 条"); }
    return lines.join("\n");
  }

  document.getElementById("rb-dry-run").addEventListener("click", function () {
    out.textContent = "…";
    post("/api/rules/dry-run", { text: yamlText.value }).then(function (r) {
      out.classList.toggle("failed", !r.ok);
      out.textContent = r.ok ? summary(r.data) : messages(r.data);
    });
  });
  fill(null);
  load();
})();
