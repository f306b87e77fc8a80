// TourTrace dashboard: the menu button of narrow screens. Loaded in <head> (not inline: the hub's CSP allows only
// its own scripts) so that the menu is folded before the first paint; without this script the menu stays open.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("menu-toggle");
    var menu = document.getElementById("site-menu");
    if (!toggle || !menu) { return; }
    function setOpen(open) {
      menu.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", String(open));
    }
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  });
})();
