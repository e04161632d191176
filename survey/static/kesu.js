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
