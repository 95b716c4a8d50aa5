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
