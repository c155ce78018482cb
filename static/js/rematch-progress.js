// Polls a query's re-match of past mentions and updates its progress bar until it finishes.
(function () {
  var box = document.getElementById("rematch");
  if (!box || box.dataset.finished === "1") { return; }
  var labels = { queued: "Queued", running: "Running", done: "Done", failed: "Failed" };

  function set(id, value) { document.getElementById(id).textContent = value; }

  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (rematch) {
        var bar = document.getElementById("rematch-bar");
        bar.value = rematch.percent;
        bar.textContent = rematch.percent + "%";
        set("rematch-status", labels[rematch.status] || rematch.status);
        set("rematch-processed", rematch.processed);
        set("rematch-total", rematch.total);
        set("rematch-matched", rematch.matched);
        set("rematch-error", rematch.error);
        if (rematch.finished) {
          // A re-match superseded by a newer edit stops early: only a full pass gives the count.
          if (rematch.status === "done" && rematch.processed >= rematch.total) {
            set("match-count", rematch.matched);
          }
          document.getElementById("rematch-refresh").hidden = false;
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
