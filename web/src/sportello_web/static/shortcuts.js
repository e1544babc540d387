// Keyboard shortcuts, declared by the page: an element with data-shortcut="x" is clicked (a link,
// a tab) or focused (a field, a <summary>) when x is pressed. The server decides what the user
// may do, so a shortcut exists only where its element does. "j" and "k" move through the rows of
// a table marked data-shortcut-rows; "?" opens the list (#shortcuts). Never while typing, never
// with Ctrl, Alt or Meta; a user can turn them off (WCAG 2.1.4), remembered in this browser.
(function () {
  "use strict";
  var STORED = "sportello.shortcuts";
  var dialog = document.getElementById("shortcuts");
  if (!dialog) return;
  var toggle = document.getElementById("shortcuts-enabled");
  var opener = document.getElementById("shortcuts-open");
  var kept = null;  // the id of the row that had the focus when a live refresh swapped the rows

  function enabled() {
    try { return window.localStorage.getItem(STORED) !== "off"; } catch (e) { return true; }
  }
  function remember(on) {
    try { window.localStorage.setItem(STORED, on ? "on" : "off"); } catch (e) { /* private mode */ }
  }
  function typing(target) {
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  function visible(el) {
    return el.getClientRects().length > 0;
  }
  // a link or a button is followed; anything else is focused, or its first control is
  var CONTROL = "summary, input:not([type=hidden]), select, textarea, button, a[href]";
  function activate(el) {
    if (el.tagName === "A" || el.tagName === "BUTTON") { el.click(); return; }
    var control = el.matches(CONTROL) ? el : el.querySelector(CONTROL);
    if (control) control.focus();
  }
  // the link to the page already shown is skipped: "/" on the search page focuses its field
  function candidate(el, key) {
    var here = el.tagName === "A" && el.pathname === window.location.pathname;
    return el.getAttribute("data-shortcut") === key && visible(el) && !here;
  }
  function rows() {
    var table = document.querySelector("[data-shortcut-rows]");
    if (!table) return [];
    var links = Array.prototype.map.call(table.querySelectorAll("tbody tr[id]"), function (row) {
      return row.querySelector("a[href]");  // a row's first link is the row's own page
    });
    return links.filter(function (a) { return a !== null; });
  }
  function move(step) {
    var links = rows();
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    if (at < 0 && kept) {  // a live refresh swapped the rows and has not settled yet
      at = links.findIndex(function (a) { return a.closest("tr").id === kept; });
    }
    var next = at < 0 ? (step > 0 ? 0 : links.length - 1) : at + step;
    next = Math.max(0, Math.min(links.length - 1, next));
    links.forEach(function (a) { a.closest("tr").classList.remove("table-active"); });
    links[next].closest("tr").classList.add("table-active");
    links[next].focus();
  }
  function showList() {
    if (toggle) toggle.checked = enabled();
    dialog.showModal();
  }

  if (toggle) toggle.addEventListener("change", function () { remember(toggle.checked); });
  if (opener) { opener.hidden = false; opener.addEventListener("click", showList); }
  dialog.querySelectorAll("[data-close]").forEach(function (b) {
    b.addEventListener("click", function () { dialog.close(); });
  });

  // a live queue's refresh replaces its rows: the row the user was on keeps the focus
  document.addEventListener("htmx:beforeSwap", function () {
    var row = document.activeElement && document.activeElement.closest("tr[id]");
    kept = row && row.closest("[data-shortcut-rows]") ? row.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var row = kept && document.getElementById(kept);
    kept = null;
    if (!row || (document.activeElement && document.activeElement !== document.body)) return;
    var link = row.querySelector("a[href]");
    if (!link) return;
    row.classList.add("table-active");
    link.focus();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (typing(event.target) || dialog.open || !enabled()) return;
    var key = event.key;
    if (key === "?") { event.preventDefault(); showList(); return; }
    if (key === "j" || key === "k") { event.preventDefault(); move(key === "j" ? 1 : -1); return; }
    var target = Array.prototype.find.call(
      document.querySelectorAll("[data-shortcut]"),
      function (el) { return candidate(el, key); }
    );
    if (!target) return;
    event.preventDefault();
    activate(target);
  });
})();
