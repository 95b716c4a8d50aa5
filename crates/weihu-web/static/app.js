// Progressive enhancement only: every page works without scripts.
document.querySelectorAll('form[data-confirm]').forEach(function (f) {
  f.addEventListener('submit', function (e) { if (!confirm(f.dataset.confirm)) e.preventDefault(); });
});

// Signature pad: draw with a finger, pen or mouse; the PNG goes into the form's hidden field.
document.querySelectorAll('form[data-signature]').forEach(function (form) {
  var canvas = form.querySelector('canvas');
  var field = form.querySelector('input[name=image]');
  var ctx = canvas.getContext('2d');
  var drawing = false, drawn = false;
  ctx.lineWidth = 3; ctx.lineCap = 'round'; ctx.strokeStyle = '#111';
  function pos(e) {
    var r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  }
  canvas.addEventListener('pointerdown', function (e) {
    drawing = true; canvas.setPointerCapture(e.pointerId);
    var p = pos(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); e.preventDefault();
  });
  canvas.addEventListener('pointermove', function (e) {
    if (!drawing) return;
    var p = pos(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; e.preventDefault();
  });
  ['pointerup', 'pointercancel', 'pointerleave'].forEach(function (t) {
    canvas.addEventListener(t, function () { drawing = false; });
  });
  form.querySelector('[data-clear]').addEventListener('click', function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false;
  });
  form.addEventListener('submit', function (e) {
    if (!drawn) { e.preventDefault(); canvas.classList.add('empty'); return; }
    field.value = canvas.toDataURL('image/png');
  });
});

// "Select all" boxes in table headers.
document.querySelectorAll('input[data-check-all]').forEach(function (box) {
  box.addEventListener('change', function () {
    box.closest('table').querySelectorAll('tbody input[type=checkbox]').forEach(function (c) { c.checked = box.checked; });
  });
});

// Clock bars: the width comes from data-width (set here, not in a style attribute, so the
// Content-Security-Policy needs no 'unsafe-inline' for styles).
document.querySelectorAll('.bar span[data-width]').forEach(function (s) {
  var w = Math.max(0, Math.min(100, parseInt(s.dataset.width, 10) || 0));
  s.style.width = w + '%';
});

// The fault report (client users): while the subject and description are typed, matching
// articles are shown under them (a fragment the server renders and escapes). Whether any were
// shown goes with the report, so self-service is counted.
document.querySelectorAll('[data-kb-suggest]').forEach(function (box) {
  var form = box.closest('form');
  var shown = form.querySelector('[data-kb-shown]');
  var timer = null;
  var last = '';
  function look() {
    var text = (form.elements.subject.value + ' ' + form.elements.description.value).trim();
    if (text === last) return;
    last = text;
    if (text.length < 2) { box.innerHTML = ''; return; }
    fetch('/kb/suggest?q=' + encodeURIComponent(text.slice(0, 400)), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (html) {
        if (text !== last) return;
        box.innerHTML = html;
        if (box.querySelector('[data-testid="kb-suggestion"]')) shown.value = '1';
      })
      .catch(function () {});
  }
  ['subject', 'description'].forEach(function (n) {
    form.elements[n].addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(look, 300);
    });
  });
});
