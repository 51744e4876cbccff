// docintake review: the scan viewer (OpenSeadragon, vendored under static/vendor/openseadragon).
// One viewer in sequence mode over the submission's pages; each page is a two-level pyramid:
// the fit-width WebP first, the full-resolution WebP only once zoomed past it. Field boxes are
// OpenSeadragon overlays (div.rv-box), so they follow zoom, pan and rotation.
(function () {
  "use strict";
  var holder = document.getElementById("rv-osd");
  var dataEl = document.getElementById("rv-pages-data");
  if (!holder || !dataEl || typeof OpenSeadragon === "undefined") return;
  var pages = JSON.parse(dataEl.textContent);
  if (!pages.length) return;

  function fitSource(p) {
    return { type: "legacy-image-pyramid", levels: [{ url: p.fit.url, width: p.fit.w, height: p.fit.h }] };
  }
  function fullSource(p) {
    return { type: "legacy-image-pyramid", levels: [{ url: p.fit.url, width: p.fit.w, height: p.fit.h },
                                                    { url: p.full.url, width: p.full.w, height: p.full.h }] };
  }

  var boxPage = {};  // uid -> page index
  pages.forEach(function (p, i) { p.boxes.forEach(function (b) { boxPage[b.uid] = i; }); });

  var viewer = OpenSeadragon({
    element: holder,
    // each page opens as its fit-width image alone; the full-resolution level joins only once the
    // reviewer zooms past fit (upgrade() below), so opening a page never fetches the large file
    tileSources: pages.map(fitSource),
    sequenceMode: true,
    showNavigationControl: false,
    showSequenceControl: false,
    preserveViewport: false,
    visibilityRatio: 0.3,
    minZoomImageRatio: 0.4,
    maxZoomPixelRatio: 3,
    animationTime: 0.35,
    gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true },
    gestureSettingsTouch: { pinchRotate: false },
    imageLoaderLimit: 2,
    // the 2D canvas, not OpenSeadragon's default WebGL: one flat image a page gains nothing from the
    // GPU, and without one (office PCs, remote desktops, CI) WebGL runs in software: measured 4.2-4.8 s
    // against 1.3-1.9 s to open a 6-page application (bench/page_load.py, interleaved runs)
    drawer: "canvas"
  });
  var current = 0;
  var active = null;      // uid highlighted now
  var saved = null;       // {page, bounds, rotation} to go back to after a field's box
  var pendingBox = null;  // box to show once its page is open
  var pendingBounds = null;

  var pageno = document.getElementById("rv-pageno");
  var caption = document.getElementById("rv-caption");
  var openLink = document.getElementById("rv-original");
  var downloadLink = document.getElementById("rv-download");

  function $all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }

  function imageRect(p, b) {
    // boxes are in the page image's pixels; the page spans viewport x 0..1 whichever size is loaded
    return new OpenSeadragon.Rect(b.x / p.width, b.y / p.width, b.w / p.width, b.h / p.width);
  }

  function upgrade() {
    var p = pages[current];
    var item = viewer.world.getItemAt(0);
    if (!item || item.rvFull || item.rvUpgrading || p.full.w <= p.fit.w) return;
    // screen pixels the page spans now against the fit image's own width
    var shown = item.viewportToImageZoom(viewer.viewport.getZoom(true)) * p.fit.w * (window.devicePixelRatio || 1);
    if (shown <= p.fit.w * 1.15) return;
    item.rvUpgrading = true;
    viewer.addTiledImage({ tileSource: fullSource(p), index: 0, replace: true,
                           success: function (e) { e.item.rvFull = true; } });
  }
  viewer.addHandler("zoom", upgrade);
  viewer.addHandler("animation-finish", upgrade);

  function boxClass(uid) {
    var form = document.getElementById(uid);
    var c = "rv-box";
    if (form && form.classList.contains("low")) c += " low";
    if (form && form.classList.contains("flag-error")) c += " flag-error";
    else if (form && form.classList.contains("flag-warning")) c += " flag-warning";
    if (uid === active) c += " active";
    return c;
  }

  function addOverlays(i) {
    var p = pages[i];
    (p.seals || []).forEach(function (sl) {
      var el = document.createElement("div");
      el.className = "rv-seal";
      el.title = "印章";
      viewer.addOverlay({ element: el, location: imageRect(p, sl) });
    });
    p.boxes.forEach(function (b) {
      var el = document.createElement("div");
      el.className = boxClass(b.uid);
      el.dataset.uid = b.uid;
      el.title = b.title + " · " + b.label;
      viewer.addOverlay({ element: el, location: imageRect(p, b) });
      // a click on a box edits its field (OpenSeadragon would otherwise take it as a drag start)
      new OpenSeadragon.MouseTracker({
        element: el,
        clickHandler: function () {
          var input = document.getElementById("in-" + b.uid);
          if (input) { input.focus({ preventScroll: true }); input.scrollIntoView({ block: "nearest" }); }
        }
      });
    });
  }

  function showChrome(i) {
    var p = pages[i];
    if (pageno) pageno.value = i + 1;
    if (caption) caption.textContent = p.caption;
    if (openLink) openLink.href = p.open;
    if (downloadLink) downloadLink.href = p.download;
    $all(".rv-thumb").forEach(function (t) {
      var on = Number(t.dataset.index) === i;
      t.classList.toggle("active", on);
      if (on) t.setAttribute("aria-current", "page"); else t.removeAttribute("aria-current");
    });
    $all(".rv-doctab").forEach(function (t) {
      var on = (t.dataset.pages || "").split(" ").indexOf(String(i)) >= 0;
      t.classList.toggle("active", on);
      t.setAttribute("aria-selected", on ? "true" : "false");
    });
    var thumb = document.querySelector('.rv-thumb[data-index="' + i + '"]');
    if (thumb && thumb.scrollIntoView) thumb.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  viewer.addHandler("open", function () {
    current = viewer.currentPage();
    addOverlays(current);
    showChrome(current);
    holder.dataset.page = String(current);
    if (pendingBox) { var uid = pendingBox; pendingBox = null; focusBox(uid); }
    else if (pendingBounds) { viewer.viewport.fitBounds(pendingBounds, true); pendingBounds = null; }
    else fitWidth(true);
  });
  viewer.addHandler("open-failed", function () {
    if (caption) caption.textContent = "无法加载该页图像。";
  });
  // Once the first page is on screen, fetch the other pages at fit width one after another
  // (immutable URLs: flipping or hovering a field on another page is then instant).
  var prefetched = false;
  function prefetch(i) {
    if (i >= pages.length) { holder.dataset.prefetched = "1"; return; }
    if (i === current) { prefetch(i + 1); return; }
    var im = new Image();
    im.onload = im.onerror = function () { prefetch(i + 1); };
    im.src = pages[i].fit.url;
  }
  viewer.addHandler("tile-loaded", function () {
    holder.dataset.loaded = String(current);
    if (!prefetched) { prefetched = true; setTimeout(function () { prefetch(0); }, 0); }
  });

  function fitWidth(immediately) {
    viewer.viewport.fitHorizontally(immediately);
    // top of the page, not its middle: a reviewer reads from the title down
    var b = viewer.viewport.getBounds(true);
    var home = viewer.viewport.getHomeBounds();
    if (b.height < home.height) viewer.viewport.panTo(new OpenSeadragon.Point(b.x + b.width / 2, home.y + b.height / 2), immediately);
  }

  function goTo(i) {
    if (i < 0 || i >= pages.length) return;
    if (i === current && viewer.world.getItemCount()) return;
    viewer.goToPage(i);
  }

  function focusBox(uid) {
    var i = boxPage[uid];
    if (i === undefined) return;
    if (i !== current) { pendingBox = uid; goTo(i); return; }
    var p = pages[i];
    var b = p.boxes.filter(function (x) { return x.uid === uid; })[0];
    var r = imageRect(p, b);
    // show the box with its surroundings: at least 40% of the page's width around it
    var w = Math.max(r.width * 2.5, 0.4);
    var h = Math.max(r.height * 4, w * 0.5);
    viewer.viewport.fitBounds(new OpenSeadragon.Rect(r.x + r.width / 2 - w / 2, r.y + r.height / 2 - h / 2, w, h));
  }

  function show(uid) {
    active = uid;
    $all(".rv-box").forEach(function (el) { el.classList.toggle("active", el.dataset.uid === uid); });
    if (boxPage[uid] === undefined) return;
    if (!saved) saved = { page: current, bounds: viewer.viewport.getBounds() };
    focusBox(uid);
  }

  function back(uid) {
    if (uid && active !== uid) return;
    active = null;
    $all(".rv-box.active").forEach(function (el) { el.classList.remove("active"); });
    if (!saved) return;
    var s = saved;
    saved = null;
    pendingBox = null;
    if (s.page !== current) { pendingBounds = s.bounds; goTo(s.page); }
    else viewer.viewport.fitBounds(s.bounds);
  }

  function act(name) {
    var vp = viewer.viewport;
    if (name === "zoom-in") vp.zoomBy(1.4);
    else if (name === "zoom-out") vp.zoomBy(1 / 1.4);
    else if (name === "rotate-left") vp.setRotation(vp.getRotation() - 90);
    else if (name === "rotate-right") vp.setRotation(vp.getRotation() + 90);
    else if (name === "fit-width") fitWidth(false);
    else if (name === "fit-page") vp.goHome();
    else if (name === "prev") goTo(current - 1);
    else if (name === "next") goTo(current + 1);
    saved = null;  // the reviewer moved the scan: hovering a field no longer snaps back here
    if (name.indexOf("zoom") === 0 || name.indexOf("rotate") === 0) vp.applyConstraints();
  }

  $all(".rv-vtools button[data-act]").forEach(function (b) {
    b.addEventListener("click", function () { act(b.dataset.act); });
  });
  $all(".rv-thumb").forEach(function (t) {
    t.addEventListener("click", function () { saved = null; goTo(Number(t.dataset.index)); });
  });
  $all(".rv-doctab").forEach(function (t) {
    t.addEventListener("click", function () { saved = null; goTo(Number(t.dataset.index)); });
  });
  if (pageno) pageno.addEventListener("change", function () {
    var n = parseInt(pageno.value, 10);
    if (n >= 1 && n <= pages.length) { saved = null; goTo(n - 1); } else pageno.value = current + 1;
  });

  document.addEventListener("keydown", function (e) {
    var el = document.activeElement;
    if (el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var map = { "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", "r": "rotate-right", "R": "rotate-left",
                "w": "fit-width", "0": "fit-page", "[": "prev", "]": "next" };
    if (map[e.key]) { e.preventDefault(); act(map[e.key]); }
  });

  // review.js calls these: hovering or focusing a field brings its box into view, and leaving
  // it goes back to where the reviewer was.
  window.rvViewer = { show: show, back: back, goTo: goTo, viewer: viewer,
                      current: function () { return current; }, pages: pages };
})();
