// The inbox's keyboard and form helpers (progressive: every page works without them).
// List: j/k move the current card, o or Enter opens it in the pane beside the list (htmx),
// x ticks it, a / r / e / s / d go to acknowledge, the reply's text, escalate, assign, dismiss
// (of the ticked cards when some are, else of the open conversation), Ctrl+Enter does it,
// Esc leaves a field and then the pane, / searches. An action done in the pane answers with
// the next mention, and the list and counts change in place. Keys typed into a field are left
// alone (but Esc and Ctrl+Enter). Saved-reply pickers insert their template into the text.
(function () {
  "use strict";

  var pane = document.getElementById("pane");
  var panes = document.querySelector("[data-two-pane]");
  var form = document.getElementById("bulk-form");
  var current = -1;
  var afterOpening = null; // the field a key asked for before the pane had a conversation

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-inbox-row]")); }

  function isTyping(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    if (target.isContentEditable || tag === "textarea" || tag === "select") { return true; }
    if (tag !== "input") { return false; }
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) === -1;
  }

  function openLink(row) { return row && row.querySelector("a.inbox-open"); }

  function mark(row) {
    rows().forEach(function (other) {
      other.classList.toggle("is-current", other === row);
      if (other === row) { other.setAttribute("aria-current", "true"); } else { other.removeAttribute("aria-current"); }
    });
    current = rows().indexOf(row);
  }

  function select(index) {
    var all = rows();
    if (!all.length) { return false; }
    index = Math.max(0, Math.min(all.length - 1, index));
    var row = all[index];
    mark(row);
    var link = openLink(row);
    if (link && link.offsetParent !== null) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
    // On a phone the list is hidden while a conversation is open: moving opens the next one.
    if (panes && panes.classList.contains("is-pane-open") && row.offsetParent === null) { open(row); }
    return true;
  }

  // --- the pane --------------------------------------------------------------------------

  function shownMention() {
    var shown = pane && pane.querySelector("[data-pane-mention]");
    return shown ? shown.getAttribute("data-pane-mention") : "";
  }

  function open(row) {
    var link = openLink(row);
    if (!link) { return false; }
    if (!pane || !window.htmx) { window.location.assign(link.href); return true; }
    if (shownMention() === row.getAttribute("data-mention")) { afterLoad(); return true; }
    window.htmx.ajax("GET", link.getAttribute("href"), { target: pane, swap: "innerHTML" });
    return true;
  }

  // The address names the open conversation (?open=<id>): a reload opens it again. It is
  // replaced, never pushed: the back button leaves the inbox as it did.
  function remember(id) {
    var url = new URL(window.location.href);
    if (id) { url.searchParams.set("open", id); } else { url.searchParams.delete("open"); }
    if (url.href !== window.location.href) { window.history.replaceState(window.history.state, "", url.href); }
  }

  function closePane() {
    if (!panes) { return; }
    panes.classList.remove("is-pane-open");
    remember("");
    var row = rows()[current];
    if (row) { select(current); }
  }

  // After the pane's content changed: the card it shows becomes the current one, and the focus
  // moves to the pane (or to the field a key asked for).
  function afterLoad() {
    if (panes) { panes.classList.add("is-pane-open"); }
    var id = shownMention();
    remember(id);
    var row = id && document.getElementById("card-" + id);
    if (row) {
      mark(row);
      row.scrollIntoView({ block: "nearest" });
    }
    pane.scrollTop = 0;
    // Bring the pane into view when it starts below the middle of the screen (on a phone, under
    // the filters); once there it stays (sticky beside the list).
    var top = pane.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight / 2) { pane.scrollIntoView({ block: "start" }); }
    var wanted = afterOpening;
    afterOpening = null;
    if (wanted && wanted() !== false) { return; }
    var title = pane.querySelector("#conversation-title") || pane.querySelector("[data-pane-close]");
    if (title) { title.focus({ preventScroll: true }); } else { pane.focus({ preventScroll: true }); }
  }

  if (pane) {
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target === pane) {
        wire(pane);
        afterLoad();
      }
      refreshTicks();
    });
    // A form sent back with its errors (400) or a confirmation to give (409) shows in the pane.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var status = event.detail.xhr.status;
      if (event.detail.target === pane && (status === 400 || status === 409)) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
    document.body.addEventListener("htmx:responseError", function (event) {
      if (event.detail.target !== pane) { return; }
      var status = event.detail.xhr.status;
      pane.innerHTML = '<div class="pane-empty" role="alert"><p><strong>' +
        (status === 404 ? "This mention is no longer yours to see." : "That did not work (" + status + "). Try again.") +
        "</strong></p></div>";
      pane.focus();
    });
    // A card chosen with the pointer (not its links or its tick box) opens beside the list too.
    document.addEventListener("click", function (event) {
      var close = event.target.closest("[data-pane-close]");
      if (close && panes) { event.preventDefault(); closePane(); return; }
      var row = event.target.closest("[data-inbox-row]");
      if (!row || event.target.closest("a, input, label, button")) { return; }
      mark(row);
      open(row);
    });
  }

  // --- fields the keys go to -------------------------------------------------------------

  function reveal(field) {
    var fold = field.closest("details");
    if (fold) { fold.open = true; }
    field.scrollIntoView({ block: "center" });
    field.focus();
    return true;
  }

  function ticked() { return form ? form.querySelectorAll("input.pick:checked").length : 0; }

  // Where an action key goes: the bulk bar when cards are ticked, else the conversation (the
  // pane's, or the page's); with neither, the current card opens and the key applies there.
  function goTo(id, then) {
    if (ticked()) {
      var bulk = document.getElementById("bulk_" + id);
      if (bulk) { return reveal(bulk); }
      // The bar's forms are still on their way (drawn at the first tick): go there once drawn.
      if (!bar || !bar.hasAttribute("hx-get") || !window.htmx) { return false; }
      bar.addEventListener("htmx:afterSettle", function () {
        var drawn = document.getElementById("bulk_" + id);
        if (drawn) { reveal(drawn); }
      }, { once: true });
      window.htmx.trigger(bar, "bulk-wanted");
      return true;
    }
    var field = (pane || document).querySelector("#id_" + id);
    if (field) { if (then) { then(); } return reveal(field); }
    var row = rows()[current];
    if (pane && row && shownMention() !== row.getAttribute("data-mention")) {
      afterOpening = function () { return goTo(id, then); };
      return open(row);
    }
    return false;
  }

  // "r": a reply through the channel where Rapport may post one, else one made elsewhere.
  function chooseReply() {
    var kind = (pane || document).querySelector("#id_acknowledge-kind");
    if (!kind) { return; }
    var reply = kind.querySelector('option[value="reply"]') ? "reply" : "replied_elsewhere";
    if (kind.value !== reply && kind.querySelector('option[value="' + reply + '"]')) {
      kind.value = reply;
      kind.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  // Ctrl (or Cmd) + Enter sends the form the focus is in: in the bulk form, the action of the
  // fieldset the focus is in.
  function send(target) {
    var sending = target.closest && target.closest("form");
    if (!sending) { return false; }
    var submitter = null;
    if (sending === form) {
      var fieldset = target.closest("fieldset");
      submitter = fieldset && fieldset.querySelector("button[type=submit]");
      if (!submitter) { return false; }
    }
    // A form just swapped into the pane may not be wired by htmx yet (it does so as the swap
    // settles): without its hx-post the browser would post it as a page of its own.
    if (window.htmx && sending.matches("[hx-post]")) { window.htmx.process(sending); }
    if (sending.requestSubmit) { sending.requestSubmit(submitter); } else { sending.submit(); }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented) { return; }
    var key = event.key;
    if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (send(event.target)) { event.preventDefault(); }
      return;
    }
    if (key === "Escape") {
      if (isTyping(event.target)) {
        event.target.blur();
        var title = pane && pane.querySelector("#conversation-title");
        if (title) { title.focus({ preventScroll: true }); }
      } else if (panes && panes.classList.contains("is-pane-open")) {
        closePane();
      } else {
        return;
      }
      event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (isTyping(event.target)) { return; }
    var row = rows()[current];
    if (key === "j") {
      if (!select(current + 1)) { return; }
    } else if (key === "k") {
      if (!select(current < 0 ? 0 : current - 1)) { return; }
    } else if (key === "o" || (key === "Enter" && !event.shiftKey && row &&
               (event.target.closest("a.inbox-open") || !event.target.closest("a, button, summary")))) {
      // Enter on a card's link opens it beside the list; on other links it follows them.
      var card = event.target.closest("[data-inbox-row]") || row;
      mark(card);
      if (!open(card)) { return; }
    } else if (key === "x") {
      var box = row && row.querySelector("input.pick");
      if (!box) { return; }
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (key === "a") {
      if (!goTo("acknowledge-kind")) { return; }
    } else if (key === "r") {
      if (!goTo("acknowledge-text", chooseReply)) { return; }
    } else if (key === "e") {
      if (!goTo("escalate-team")) { return; }
    } else if (key === "s") {
      if (!goTo("assign-user")) { return; }
    } else if (key === "d") {
      if (!goTo("dismiss-reason")) { return; }
    } else if (key === "/") {
      var search = document.getElementById("id_q");
      if (search) {
        reveal(search);
      } else {
        if (!document.querySelector("[data-inbox-page]")) { return; }
        window.location.assign("/inbox/#id_q");
      }
    } else {
      return;
    }
    event.preventDefault();
  });

  if (window.location.hash === "#id_q" && document.getElementById("id_q")) {
    reveal(document.getElementById("id_q"));
  }

  // --- ticking: "tick all on this page", how many are ticked, the sticky bulk bar ---------

  var all = form && form.querySelector("[data-select-all]");
  var counter = document.getElementById("selected-count");
  var bar = form && form.querySelector("[data-bulk-bar]");

  function refreshTicks() {
    if (!form) { return; }
    var boxes = form.querySelectorAll("input.pick");
    var count = ticked();
    if (counter) { counter.textContent = count ? count + " ticked" : ""; }
    if (all) {
      all.checked = count > 0 && count === boxes.length;
      all.indeterminate = count > 0 && count < boxes.length;
    }
    if (bar) {
      bar.hidden = count === 0;
      // The bar's forms are read at the first tick (hx-trigger "bulk-wanted once").
      if (count && window.htmx && bar.hasAttribute("hx-get")) { window.htmx.trigger(bar, "bulk-wanted"); }
    }
  }

  if (bar) {
    bar.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target === bar) { wire(bar); }
    });
  }

  if (form) {
    if (all) {
      all.addEventListener("change", function () {
        Array.prototype.forEach.call(form.querySelectorAll("input.pick"), function (box) { box.checked = all.checked; });
        refreshTicks();
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.classList.contains("pick")) { refreshTicks(); }
    });
    refreshTicks();
  }

  // --- what new content needs (the page, then each conversation htmx brings) -------------

  function wire(root) {
    // Saved-reply pickers: insert the template at the cursor (the server fills {first_name}
    // and {handle} for each person), then reset so the same reply can be inserted again.
    Array.prototype.forEach.call(root.querySelectorAll("select[data-saved-reply-for]"), function (picker) {
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

    // Composer: preview the reply as the person will read it ({first_name}, {handle} filled
    // in, as the server fills them) and count it against the platform's limit.
    Array.prototype.forEach.call(root.querySelectorAll("[data-composer-for]"), function (aids) {
      var text = document.getElementById(aids.getAttribute("data-composer-for"));
      var preview = aids.querySelector("[data-reply-preview]");
      var length = aids.querySelector("[data-reply-length]");
      var limit = parseInt(aids.getAttribute("data-limit") || "0", 10);
      if (!text || !preview) { return; }
      text.addEventListener("input", function () {
        var filled = text.value
          .replace(/\{first_name\}/g, aids.getAttribute("data-first-name"))
          .replace(/\{handle\}/g, aids.getAttribute("data-handle"));
        preview.textContent = filled;
        if (length && limit) {
          length.textContent = length.textContent.replace(/^\d+ \/ \d+/, filled.length + " / " + limit);
          length.classList.toggle("is-over", filled.length > limit);
        }
      });
    });

    // Presence: the conversation's poll (htmx) says "drafting" while the reply has text.
    var state = root.querySelector("#presence-state");
    var reply = root.querySelector("#id_acknowledge-text");
    if (state && reply) {
      var drafting = function () { state.value = reply.value.trim() ? "drafting" : "viewing"; };
      reply.addEventListener("input", drafting);
      drafting();
    }
  }

  wire(document);
}());
