// Live validation of a listening query: asks queries/check/ as the user types (debounced) and
// shows the error with a caret under the offending position, or how the query was read.
(function () {
  var field = document.getElementById("id_expression");
  if (!field) { return; }
  var error = document.getElementById("expression-error");
  var caret = document.getElementById("expression-caret");
  var normalised = document.getElementById("expression-normalised");
  var timer = null;
  var latest = 0;

  function showCaret(expression, position) {
    // The server counts code points; JavaScript strings count UTF-16 units (emoji are two).
    var chars = Array.from(expression);
    var start = position;
    while (start > 0 && chars[start - 1] !== "\n") { start--; }
    var end = position;
    while (end < chars.length && chars[end] !== "\n") { end++; }
    caret.textContent = chars.slice(start, end).join("") + "\n" + " ".repeat(position - start) + "^";
    caret.hidden = false;
  }

  function show(result, expression) {
    error.textContent = result.ok ? "" : result.error;
    field.setAttribute("aria-invalid", result.ok ? "false" : "true");
    caret.hidden = true;
    if (!result.ok && result.position !== null && expression.trim() !== "") {
      showCaret(expression, result.position);
    }
    normalised.hidden = !result.ok;
    normalised.querySelector("code").textContent = result.normalised;
  }

  function check() {
    var expression = field.value;
    var request = ++latest;
    if (expression.trim() === "") {
      show({ ok: false, error: "", position: null, normalised: "" }, expression);
      return;
    }
    fetch(field.dataset.checkUrl + "?expression=" + encodeURIComponent(expression), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.json(); })
      .then(function (result) {
        if (request === latest) { show(result, expression); }  // answers may arrive out of order
      });
  }

  field.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
})();
