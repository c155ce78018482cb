// Polls unfinished fetch runs on a channel page and updates their row until they finish.
(function () {
  function poll(row) {
    fetch(row.dataset.statusUrl, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (run) {
        row.querySelector(".run-status").textContent = run.status;
        ["pages", "fetched", "new", "duplicates", "error"].forEach(function (key) {
          row.querySelector(".run-" + key).textContent = run[key];
        });
        if (!run.finished) { setTimeout(function () { poll(row); }, 1000); }
      });
  }
  document.querySelectorAll("#fetch-runs tr[data-finished='0']").forEach(poll);
})();
