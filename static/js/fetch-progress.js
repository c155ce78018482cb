// "Fetch now" without leaving the page: queue the fetch, add its row to the history, and poll
// every unfinished run until it finishes, showing its progress and how many mentions were new.
(function () {
  var table = document.getElementById("fetch-runs");
  var form = document.getElementById("fetch-now");
  var note = form && form.querySelector(".run-progress");
  var CELLS = ["created_at", "trigger", "status", "pages", "fetched", "new", "duplicates",
               "duration", "error"];

  function poll(row) {
    fetch(row.dataset.statusUrl, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (run) {
        row.querySelector(".run-status").textContent = run.status;
        ["pages", "fetched", "new", "duplicates", "error"].forEach(function (key) {
          row.querySelector(".run-" + key).textContent = run[key];
        });
        if (note) {
          note.textContent = run.finished
            ? "Fetched " + run.fetched + ", " + run.new + " new. "
            : "Fetching… " + run.pages + " page(s), " + run.fetched + " so far.";
          if (run.finished && run.new > 0 && form.dataset.inbox) {
            var link = document.createElement("a");
            link.href = form.dataset.inbox;
            link.textContent = "See the new mentions";
            note.appendChild(link);
          }
        }
        if (!run.finished) { setTimeout(function () { poll(row); }, 1000); }
      });
  }

  function addRow(run) {
    var row = document.createElement("tr");
    row.dataset.run = run.id;
    row.dataset.statusUrl = run.status_url;
    row.dataset.finished = "0";
    CELLS.forEach(function (key) {
      var cell = document.createElement("td");
      cell.className = "run-" + key;
      cell.textContent = key === "created_at" ? new Date(run.created_at).toLocaleString()
        : key === "trigger" ? run.trigger : key === "status" ? "queued" : "";
      row.appendChild(cell);
    });
    table.querySelector("tbody").prepend(row);
    table.hidden = false;
    var empty = document.getElementById("no-runs");
    if (empty) { empty.remove(); }
    return row;
  }

  if (form && table) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (run) { poll(addRow(run)); })
        .catch(function (error) { if (note) { note.textContent = "Could not start: " + error.message; } })
        .finally(function () { button.disabled = false; });
    });
  }
  document.querySelectorAll("#fetch-runs tr[data-finished='0']").forEach(poll);
})();
