/* Optional enhancements only (the survey works without JavaScript). ES5 for old WebViews. */
(function () {
  var form = document.getElementById('survey-form');
  if (form) {
    form.addEventListener('submit', function (e) {
      if (form.getAttribute('data-sent') === '1') { e.preventDefault(); return; }
      form.setAttribute('data-sent', '1');
    });
    var boxes = form.querySelectorAll('input[type=checkbox]');
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].addEventListener('change', function (ev) {
        var box = ev.target;
        if (!box.checked) { return; }
        var group = form.querySelectorAll('input[type=checkbox][name="' + box.name + '"]');
        for (var j = 0; j < group.length; j++) {
          var other = group[j];
          if (other === box) { continue; }
          if (box.getAttribute('data-exclusive') === '1' || other.getAttribute('data-exclusive') === '1') {
            other.checked = false;
          }
        }
      });
    }
  }
  var summary = document.getElementById('error-summary');
  if (summary && summary.focus) { summary.focus(); }
})();
/* CAPI: with the respondent's consent (checkbox), put the tablet's location in the start form. */
(function () {
  var consent = document.getElementById('gps-consent');
  if (!consent || !navigator.geolocation) { return; }
  consent.addEventListener('change', function () {
    var lat = document.getElementById('gps-lat');
    var lon = document.getElementById('gps-lon');
    var acc = document.getElementById('gps-acc');
    if (!consent.checked) { lat.value = ''; lon.value = ''; acc.value = ''; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      if (!consent.checked) { return; }
      lat.value = pos.coords.latitude; lon.value = pos.coords.longitude;
      acc.value = Math.round(pos.coords.accuracy);
    }, function () { consent.checked = false; }, { timeout: 15000, maximumAge: 60000 });
  });
})();
/* Staff console (issue 15, i15c): a form or button with data-confirm asks before it is sent. */
(function () {
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var button = e.submitter || null;
    var text = (button && button.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
    if (text && !window.confirm(text)) { e.preventDefault(); }
  });
})();
/* Staff console: a table wider than its box (a tablet) fades at the side it can still be
   scrolled to, so that the columns out of sight are not taken for missing. */
(function () {
  var boxes = document.querySelectorAll('body.staff table.data, .scroll, .table-scroll');
  function mark(box) {
    var left = box.scrollLeft;
    var more = box.scrollWidth - box.clientWidth - left > 1;
    box.className = box.className.replace(/ ?\bmore-(left|right)\b/g, '') +
      (left > 1 ? ' more-left' : '') + (more ? ' more-right' : '');
  }
  function markAll() { for (var i = 0; i < boxes.length; i++) { mark(boxes[i]); } }
  for (var i = 0; i < boxes.length; i++) {
    boxes[i].addEventListener('scroll', function (e) { mark(e.currentTarget); });
  }
  window.addEventListener('resize', markAll);
  markAll();
})();
