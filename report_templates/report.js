// orgscan report: sort the findings table by any column, filter it by status ("not PASS" first),
// account and text; open every collapsed section before printing.
// Plain DOM code, no library: the page must work offline.
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var statusFilter = document.getElementById("filter-status");
  var accountFilter = document.getElementById("filter-account");
  var textFilter = document.getElementById("filter-text");
  var shown = document.getElementById("findings-shown");
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-filter-status]"));

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) {
    el.hidden = false;
  });
  // Remember the rendered order so that equal keys keep it (a stable sort on every browser).
  Array.prototype.forEach.call(tbody.rows, function (row, index) { row.dataset.order = index; });

  function sortKey(row, column, numeric) {
    var cell = row.cells[column];
    // The sort key: the cell's data-sort, else its main value (the first line), else its text.
    var main = cell.firstElementChild && cell.firstElementChild.classList.contains("name")
      ? cell.firstElementChild : null;
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort")
      : (main || cell.firstChild || cell).textContent;
    raw = raw.trim();
    if (numeric) {
      return raw === "" || isNaN(Number(raw)) ? null : Number(raw);
    }
    return raw.toLowerCase();
  }

  function sortBy(column) {
    var header = headers[column];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var numeric = header.dataset.type === "number";
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var ka = sortKey(a, column, numeric);
      var kb = sortKey(b, column, numeric);
      var order;
      if (ka === kb) { order = 0; }
      else if (ka === null) { return 1; }   // empty values last, whatever the direction
      else if (kb === null) { return -1; }
      else if (numeric) { order = ka - kb; }
      else { order = ka.localeCompare(kb); }
      if (order === 0) { return Number(a.dataset.order) - Number(b.dataset.order); }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { tbody.appendChild(row); });
  }

  function applyFilters() {
    var status = statusFilter.value;
    var account = accountFilter.value;
    var needle = textFilter.value.trim().toLowerCase();
    var count = 0;
    Array.prototype.forEach.call(tbody.rows, function (row) {
      var visible = (!status || row.dataset.status === status ||
                     (status === "failing" && row.dataset.status !== "PASS")) &&
        (!account || row.dataset.account === account) &&
        (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = String(count);
    cards.forEach(function (card) {
      card.setAttribute("aria-pressed", String(card.dataset.filterStatus === status));
    });
  }

  headers.forEach(function (header, column) {
    var button = header.querySelector("button");
    if (button) { button.addEventListener("click", function () { sortBy(column); }); }
  });
  cards.forEach(function (card) {
    card.addEventListener("click", function () {
      statusFilter.value = statusFilter.value === card.dataset.filterStatus ? "" : card.dataset.filterStatus;
      applyFilters();
      document.getElementById("findings").scrollIntoView({ behavior: "smooth" });
    });
  });
  [statusFilter, accountFilter].forEach(function (el) { el.addEventListener("change", applyFilters); });
  textFilter.addEventListener("input", applyFilters);
  applyFilters();

  // A printed or saved-as-PDF report shows everything: open the collapsed sections first.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (el) {
      el.open = true;
    });
  });
}());
