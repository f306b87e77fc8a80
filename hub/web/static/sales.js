// TourTrace 商机: move an opportunity on through the JSON API with the session cookie and the page's CSRF token, then show the new state.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="tt-csrf"]');
  var csrf = meta ? meta.content : "";
  document.querySelectorAll("[data-set-status]").forEach(function (button) {
    button.addEventListener("click", function () {
      var card = button.closest("[data-opportunity]");
      var form = button.closest("form");
      var comment = form.querySelector('input[name="comment"]').value;
      var error = form.querySelector(".opportunity-error");
      fetch("/api/opportunities/" + card.dataset.opportunity + "/status", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
        body: JSON.stringify({ status: button.dataset.setStatus, comment: comment })
      }).then(function (response) {
        return response.json().then(function (data) {
          if (response.ok) { location.reload(); return; }
          error.textContent = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
        });
      }).catch(function (e) { error.textContent = String(e); });
    });
  });
})();
