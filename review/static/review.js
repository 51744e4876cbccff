// docintake review: link fields and boxes, keyboard shortcuts, saving without a reload.
(function () {
  "use strict";
  var root = document.getElementById("rv-sub");
  if (!root) return;
  var canEdit = root.dataset.canEdit === "1";
  var token = (document.querySelector('meta[name="csrftoken"]') || {}).content || "";
  var flash = document.getElementById("rv-flash");

  function $all(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }
  function forms() { return $all("form.rv-field"); }
  function boxesFor(uid) { return $all('.rv-box[data-uid="' + uid + '"]'); }

  function show(message, kind) {
    flash.textContent = message;
    flash.className = "rv-flash" + (kind ? " " + kind : "");
    flash.hidden = false;
    clearTimeout(show.timer);
    if (kind !== "error") show.timer = setTimeout(function () { flash.hidden = true; }, 4000);
  }

  function highlight(uid, on) {
    var form = document.getElementById(uid);
    if (form) form.classList.toggle("active", on);
    boxesFor(uid).forEach(function (b) { b.classList.toggle("active", on); });
    $all(".rv-findings li").forEach(function (li) {
      if ((li.dataset.fields || "").split(" ").indexOf(uid) >= 0) li.classList.toggle("active", on);
    });
  }

  // A field hovered or focused brings its box into view in the scan viewer (viewer.js), and
  // leaving it goes back. A short delay, so that moving the mouse across the list does not
  // send the scan racing through every box on the way.
  var viewTimer = null;
  function viewBox(uid, on) {
    clearTimeout(viewTimer);
    if (!window.rvViewer) return;
    viewTimer = setTimeout(function () {
      if (on) window.rvViewer.show(uid); else window.rvViewer.back(uid);
    }, on ? 120 : 250);
  }

  // field <-> box
  root.addEventListener("mouseover", function (e) {
    var t = e.target.closest(".rv-box, form.rv-field");
    if (!t) return;
    highlight(t.dataset.uid, true);
    if (t.tagName === "FORM") viewBox(t.dataset.uid, true);
  });
  root.addEventListener("mouseout", function (e) {
    var t = e.target.closest(".rv-box, form.rv-field");
    if (!t || (e.relatedTarget && t.contains(e.relatedTarget))) return;
    if (document.activeElement && t.contains && t.contains(document.activeElement)) return;
    highlight(t.dataset.uid, false);
    if (t.tagName === "FORM") viewBox(t.dataset.uid, false);
  });
  root.addEventListener("focusin", function (e) {
    var f = e.target.closest("form.rv-field");
    if (f) { highlight(f.dataset.uid, true); viewBox(f.dataset.uid, true); }
  });
  root.addEventListener("focusout", function (e) {
    var f = e.target.closest("form.rv-field");
    if (f && !(e.relatedTarget && f.contains(e.relatedTarget))) { highlight(f.dataset.uid, false); viewBox(f.dataset.uid, false); }
  });
  root.addEventListener("click", function (e) {
    var b = e.target.closest(".rv-box");
    if (!b) return;
    var input = document.getElementById("in-" + b.dataset.uid);
    if (input) { input.focus(); input.scrollIntoView({ block: "nearest" }); }
  });
  // finding -> its fields
  root.addEventListener("click", function (e) {
    var li = e.target.closest(".rv-findings li");
    if (!li) return;
    var uid = (li.dataset.fields || "").trim().split(" ")[0];
    var input = uid && document.getElementById("in-" + uid);
    if (input) input.focus();
  });
  root.addEventListener("input", function (e) {
    var f = e.target.closest("form.rv-field");
    if (f) f.classList.add("dirty");
  });

  function setVersion(v) {
    root.dataset.version = v;
    $all("input.rv-version").forEach(function (i) { i.value = v; });
  }

  function applyFlags(flags) {
    forms().forEach(function (f) {
      f.classList.remove("flag-error", "flag-warning");
      var fl = flags[f.dataset.uid];
      if (fl) f.classList.add("flag-" + fl);
      boxesFor(f.dataset.uid).forEach(function (b) {
        b.classList.remove("flag-error", "flag-warning");
        if (fl) b.classList.add("flag-" + fl);
      });
    });
  }

  function save(form) {
    if (!canEdit) return;
    var body = new URLSearchParams(new FormData(form));
    form.classList.add("saving");
    fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "x-csrftoken": token }
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: "服务器返回了无法识别的响应（" + r.status + "）" }; });
    }).then(function (data) {
      form.classList.remove("saving");
      if (!data.ok) { form.classList.add("invalid"); show(data.error || "保存失败", "error"); return; }
      form.classList.remove("invalid");
      setVersion(data.version);
      // show what was stored (normalized: 2026年11月27日 -> 2026-11-27), not what was typed
      var input = form.querySelector(".rv-input");
      if (input && data.values && data.values[form.dataset.uid] !== undefined && input.tagName === "INPUT") {
        input.value = data.values[form.dataset.uid];
      }
      form.classList.remove("dirty");
      if (data.unchanged) { show(data.message); return; }
      form.classList.remove("low", "absent");
      form.classList.add("corrected");
      boxesFor(form.dataset.uid).forEach(function (b) { b.classList.remove("low"); });
      var meta = form.querySelector(".rv-fmeta");
      if (meta) meta.innerHTML = '<span class="rv-tag corrected">已更正（刚刚）</span>';
      document.getElementById("rv-findings").innerHTML = data.findings_html;
      var ov = document.getElementById("rv-overrides-wrap");
      if (ov && data.overrides_html !== undefined) ov.innerHTML = data.overrides_html;
      document.getElementById("rv-finding-count").textContent = data.finding_count;
      var st = document.getElementById("rv-status");
      st.textContent = data.status_zh; st.className = "rv-badge " + data.status_css;
      var kind = document.getElementById("rv-status-kind");
      if (kind) kind.textContent = data.outcome_kind === "decision" ? "审核结论" : "机器建议";
      applyFlags(data.flags || {});
      if (data.warning) show(data.warning, "warning"); else show(data.message);
    }).catch(function (err) {
      form.classList.remove("saving");
      show("网络错误，未保存：" + err, "error");
    });
  }

  forms().forEach(function (f) {
    f.addEventListener("submit", function (e) { e.preventDefault(); save(f); });
  });

  var decide = document.getElementById("rv-decide");
  // Approving over open errors needs a reason for each one (the server checks it too).
  function overridesMissing() {
    var empty = $all(".rv-override").filter(function (t) { return !t.value.trim(); });
    if (!empty.length) return false;
    show("还有 " + empty.length + " 个错误未填写超越理由，批准前请逐条填写。", "error");
    empty[0].focus();
    return true;
  }
  if (decide) decide.addEventListener("submit", function (e) {
    var btn = e.submitter;
    if (btn && btn.value === "approve" && overridesMissing()) { e.preventDefault(); return; }
    if (btn && btn.value === "approve" && !confirm("确认批准该申请？")) e.preventDefault();
    if (btn && btn.value === "reject" && !document.getElementById("rv-comment").value.trim()) {
      e.preventDefault(); show("驳回时请填写驳回理由。", "error"); document.getElementById("rv-comment").focus();
    }
  });

  function inputs() { return $all("form.rv-field .rv-input"); }
  function move(step) {
    var list = inputs();
    if (!list.length) return;
    var i = list.indexOf(document.activeElement);
    var next = list[(i + step + list.length) % list.length];
    if (i < 0) next = step > 0 ? list[0] : list[list.length - 1];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (e) {
    var el = document.activeElement;
    var typing = el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
    if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      var f = el && el.closest && el.closest("form.rv-field");
      if (f) save(f);
      return;
    }
    if (e.key === "Escape" && typing) { el.blur(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j") { e.preventDefault(); move(1); }
    else if (e.key === "k") { e.preventDefault(); move(-1); }
    else if (e.key === "n") { e.preventDefault(); window.location = document.getElementById("rv-next").href; }
    else if (e.key === "a" && canEdit) {
      e.preventDefault();
      var approve = document.getElementById("rv-approve");
      if (approve && !overridesMissing() && confirm("确认批准该申请？")) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "decision"; input.value = "approve";
        decide.appendChild(input);
        decide.submit();
      }
    }
  });
})();
// the summary band: a reason opens its field (and so its box in the viewer)
(function () {
  "use strict";
  var band = document.getElementById("rv-reasons");
  if (!band) return;
  band.addEventListener("click", function (e) {
    var a = e.target.closest("a[data-uid]");
    if (!a) return;
    var input = document.getElementById("in-" + a.dataset.uid);
    if (!input) return;
    e.preventDefault();
    input.focus();
    input.scrollIntoView({ block: "center" });
  });
})();
