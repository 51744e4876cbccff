// docintake review queue: select all for bulk approval, and a confirmation naming the count.
(function () {
  "use strict";
  var form = document.getElementById("rv-bulk");
  if (!form) return;
  var all = document.getElementById("rv-pick-all");
  function boxes() { return Array.prototype.slice.call(form.querySelectorAll(".rv-pickbox")); }
  if (all) all.addEventListener("change", function () { boxes().forEach(function (b) { b.checked = all.checked; }); });
  form.addEventListener("submit", function (e) {
    var n = boxes().filter(function (b) { return b.checked; }).length;
    if (!n) { e.preventDefault(); alert("请先勾选要批量批准的申请。"); return; }
    if (!confirm("确认批准所选的 " + n + " 件申请？每件都将记入审计日志。")) e.preventDefault();
  });
})();
