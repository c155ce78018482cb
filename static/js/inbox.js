// The inbox's keyboard and form helpers (progressive: every page works without them).
// List: j/k move the selection, o or Enter opens, x ticks, a goes to the acknowledge form,
// / searches. Conversation: a goes to the acknowledge form, r to the reply's text, e to the
// escalation, / searches the inbox. Keys typed into a field are left alone. Saved-reply
// pickers insert their template into the text.
(function () {
  "use strict";

  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-inbox-row]"));
  var current = -1;

  function isTyping(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    if (target.isContentEditable || tag === "textarea" || tag === "select") { return true; }
    if (tag !== "input") { return false; }
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) === -1;
  }

  function openLink(row) { return row && row.querySelector("a.inbox-open"); }

  function select(index) {
    if (!rows.length) { return false; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) { rows[current].classList.remove("is-current"); }
    current = index;
    var row = rows[current];
    row.classList.add("is-current");
    var link = openLink(row);
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
    return true;
  }

  function focusField(selector) {
    var field = document.querySelector(selector);
    if (!field) { return false; }
    field.scrollIntoView({ block: "center" });
    field.focus();
    return true;
  }

  // Clicking or tabbing into a row makes it the current one.
  rows.forEach(function (row, index) {
    row.addEventListener("focusin", function () {
      if (current === index) { return; }
      if (current >= 0 && rows[current]) { rows[current].classList.remove("is-current"); }
      current = index;
      row.classList.add("is-current");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (isTyping(event.target)) { return; }
    var key = event.key;
    var row = rows[current];
    if (key === "j") {
      if (!select(current + 1)) { return; }
    } else if (key === "k") {
      if (!select(current < 0 ? 0 : current - 1)) { return; }
    } else if (key === "o" || (key === "Enter" && row && !event.target.closest("a, button, summary"))) {
      // Enter on a link follows it natively; elsewhere, like "o", it opens the current row.
      var link = openLink(row);
      if (!link) { return; }
      window.location.assign(link.href);
    } else if (key === "x") {
      var box = row && row.querySelector("input.pick");
      if (!box) { return; }
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (key === "a") {
      if (!focusField("#id_acknowledge-kind")) { return; }
    } else if (key === "r") {
      if (!focusField("#id_acknowledge-text")) { return; }
    } else if (key === "e") {
      if (!focusField("#id_escalate-team")) { return; }
    } else if (key === "/") {
      if (!focusField("#id_q")) {
        if (!document.querySelector("[data-inbox-page]")) { return; }
        window.location.assign("/inbox/#id_q");
      }
    } else {
      return;
    }
    event.preventDefault();
  });

  if (window.location.hash === "#id_q") { focusField("#id_q"); }

  // Ticking: "tick all on this page", and how many are ticked (announced politely).
  var form = document.getElementById("bulk-form");
  if (form) {
    var all = form.querySelector("[data-select-all]");
    var counter = document.getElementById("selected-count");
    var boxes = function () { return Array.prototype.slice.call(form.querySelectorAll("input.pick")); };
    var refresh = function () {
      var ticked = boxes().filter(function (box) { return box.checked; }).length;
      if (counter) { counter.textContent = ticked ? ticked + " ticked" : ""; }
      if (all) {
        all.checked = ticked > 0 && ticked === boxes().length;
        all.indeterminate = ticked > 0 && ticked < boxes().length;
      }
    };
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.classList.contains("pick")) { refresh(); }
    });
    refresh();
  }

  // Saved-reply pickers: insert the template at the cursor (the server fills {first_name} and
  // {handle} for each person), then reset so the same reply can be inserted again.
  Array.prototype.forEach.call(document.querySelectorAll("select[data-saved-reply-for]"), function (picker) {
    picker.addEventListener("change", function () {
      var option = picker.options[picker.selectedIndex];
      var text = option && option.getAttribute("data-text");
      var target = document.getElementById(picker.getAttribute("data-saved-reply-for"));
      if (!text || !target) { return; }
      var start = target.selectionStart || 0;
      var end = target.selectionEnd || 0;
      if (target.value.trim() === "") { start = 0; end = target.value.length; }
      target.value = target.value.slice(0, start) + text + target.value.slice(end);
      target.focus();
      target.setSelectionRange(start + text.length, start + text.length);
      target.dispatchEvent(new Event("input", { bubbles: true }));
      picker.selectedIndex = 0;
    });
  });

  // Composer: preview the reply as the person will read it ({first_name}, {handle} filled in,
  // as the server fills them) and count it against the platform's limit.
  Array.prototype.forEach.call(document.querySelectorAll("[data-composer-for]"), function (aids) {
    var text = document.getElementById(aids.getAttribute("data-composer-for"));
    var preview = aids.querySelector("[data-reply-preview]");
    var length = aids.querySelector("[data-reply-length]");
    var limit = parseInt(aids.getAttribute("data-limit") || "0", 10);
    if (!text || !preview) { return; }
    var update = function () {
      var filled = text.value
        .replace(/\{first_name\}/g, aids.getAttribute("data-first-name"))
        .replace(/\{handle\}/g, aids.getAttribute("data-handle"));
      preview.textContent = filled;
      if (length && limit) {
        length.textContent = length.textContent.replace(/^\d+ \/ \d+/, filled.length + " / " + limit);
        length.classList.toggle("is-over", filled.length > limit);
      }
    };
    text.addEventListener("input", update);
  });

  // Presence: the conversation's poll (htmx) says "drafting" while the reply has text.
  var state = document.getElementById("presence-state");
  var reply = document.getElementById("id_acknowledge-text");
  if (state && reply) {
    var mark = function () { state.value = reply.value.trim() ? "drafting" : "viewing"; };
    reply.addEventListener("input", mark);
    mark();
  }
}());
