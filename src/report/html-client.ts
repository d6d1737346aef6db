// The script embedded in report.html after chart.js: reads the JSON chart specs from
// <script type="application/json" id="report-data"> and draws one chart per spec, plus a small
// chart.js plugin that shades fault windows and draws gate thresholds and alert marks.
// Plain ES5-style JavaScript in a string (no bundler, no build-dependent output): the bytes of
// report.html depend only on the report and the installed chart.js. When every chart is built,
// <body data-charts="N"> tells a test (or a person) how many were drawn; each canvas carries
// data-points (values it plots) and data-thresholds (threshold lines that landed in the plot).
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('report-data').textContent).charts;
  var byId = {};
  function clampX(area, px) { return Math.max(area.left, Math.min(area.right, px)); }
  var overlays = {
    id: 'dhtOverlays',
    beforeDatasetsDraw: function (chart) {
      var spec = byId[chart.canvas.id];
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      if (!spec || !x || !spec.bands) return;
      ctx.save();
      spec.bands.forEach(function (b) {
        var x0 = clampX(area, x.getPixelForValue(b.from));
        var x1 = clampX(area, x.getPixelForValue(b.to));
        if (!(x1 > x0)) return;
        ctx.fillStyle = b.color || 'rgba(255, 159, 64, 0.2)';
        ctx.fillRect(x0, area.top, x1 - x0, area.bottom - area.top);
        ctx.fillStyle = b.color ? '#57606a' : '#8a4b08';
        ctx.font = '11px sans-serif';
        ctx.textBaseline = 'top';
        ctx.fillText(b.label, x0 + 3, area.top + 3);
      });
      ctx.restore();
    },
    afterDatasetsDraw: function (chart) {
      var spec = byId[chart.canvas.id];
      var x = chart.scales.x, y = chart.scales.y, area = chart.chartArea, ctx = chart.ctx;
      if (!spec || !x || !y) return;
      ctx.save();
      ctx.font = '11px sans-serif';
      // How many threshold lines landed inside the plot: a test (or a person) can tell a gate's
      // line was drawn, not only specified.
      var drawnLines = 0;
      (spec.thresholds || []).forEach(function (t) {
        var py = y.getPixelForValue(t.y);
        if (!(py >= area.top - 0.5 && py <= area.bottom + 0.5)) return;
        var x0 = t.from === null ? area.left : clampX(area, x.getPixelForValue(t.from));
        var x1 = t.to === null ? area.right : clampX(area, x.getPixelForValue(t.to));
        if (!(x1 > x0)) return;
        var color = t.color || '#d62728';
        ctx.strokeStyle = color;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([6, 4]);
        ctx.beginPath(); ctx.moveTo(x0, py); ctx.lineTo(x1, py); ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = color;
        ctx.textBaseline = py - area.top < 14 ? 'top' : 'bottom';
        ctx.textAlign = 'right';
        ctx.fillText(t.label, x1 - 2, py - area.top < 14 ? py + 2 : py - 2);
        drawnLines += 1;
      });
      (spec.xThresholds || []).forEach(function (t) {
        var px = x.getPixelForValue(t.x);
        if (!(px >= area.left - 0.5 && px <= area.right + 0.5)) return;
        ctx.strokeStyle = '#d62728';
        ctx.lineWidth = 2;
        ctx.setLineDash([6, 4]);
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = '#d62728';
        ctx.textBaseline = 'top';
        ctx.textAlign = px > (area.left + area.right) / 2 ? 'right' : 'left';
        ctx.fillText(t.label, px + (px > (area.left + area.right) / 2 ? -3 : 3), area.top + 16);
        drawnLines += 1;
      });
      // Mark labels go on the lowest row where they do not overprint an earlier label; a label
      // that fits nowhere is left off (its line stays, and the table below lists every alert).
      var rows = [];
      (spec.marks || []).forEach(function (m) {
        var px = x.getPixelForValue(m.x);
        if (!(px >= area.left - 0.5 && px <= area.right + 0.5)) return;
        ctx.strokeStyle = m.color;
        ctx.lineWidth = 1;
        ctx.setLineDash([2, 3]);
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.setLineDash([]);
        var w = ctx.measureText(m.label).width + 6;
        var left = px + w > area.right ? px - w : px;
        for (var row = 0; row < 6; row++) {
          if (rows[row] === undefined || rows[row] <= left) {
            rows[row] = left + w;
            ctx.fillStyle = m.color;
            ctx.textBaseline = 'bottom';
            ctx.textAlign = 'left';
            ctx.fillText(m.label, left + 2, area.bottom - 2 - 12 * row);
            break;
          }
        }
      });
      chart.canvas.setAttribute('data-thresholds', String(drawnLines));
      ctx.restore();
    }
  };
  function dataset(spec, s) {
    var d = {
      label: s.label,
      borderColor: s.color,
      backgroundColor: spec.kind === 'line' ? s.color : s.color + 'b3',
      borderWidth: spec.kind === 'line' ? 2 : 1,
      pointRadius: s.pointRadius === undefined ? 0 : s.pointRadius,
      stepped: s.stepped ? 'before' : false,
      borderDash: s.dashed ? [6, 4] : [],
      spanGaps: false,
      tension: 0
    };
    if (spec.kind === 'line') d.data = s.points.map(function (p) { return { x: p.x, y: p.y }; });
    else if (spec.kind === 'bar') d.data = s.values.slice();
    else d.data = s.ranges.map(function (r) { return [r[0], r[1]]; });
    return d;
  }
  function axis(type, title, min, max, suggestedMin, suggestedMax) {
    var a = { type: type, title: { display: true, text: title } };
    if (min !== undefined) a.min = min;
    if (max !== undefined) a.max = max;
    if (suggestedMin !== undefined) a.suggestedMin = suggestedMin;
    if (suggestedMax !== undefined) a.suggestedMax = suggestedMax;
    return a;
  }
  function build(spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) throw new Error('no canvas for chart ' + spec.id);
    byId[spec.id] = spec;
    var timeline = spec.kind === 'timeline';
    var data = { datasets: spec.series.map(function (s) { return dataset(spec, s); }) };
    if (spec.labels) data.labels = spec.labels.slice();
    var scales = {};
    if (timeline) {
      scales.x = axis('linear', spec.xLabel, spec.xMin, spec.xMax);
      scales.y = axis('category', spec.yLabel);
    } else {
      scales.x = axis(spec.kind === 'bar' ? 'category' : spec.xLog ? 'logarithmic' : 'linear', spec.xLabel, spec.xMin, spec.xMax);
      scales.y = axis('linear', spec.yLabel, spec.yMin, spec.yMax, spec.ySuggestedMin, spec.ySuggestedMax);
    }
    var points = 0;
    spec.series.forEach(function (s) {
      (s.points || []).forEach(function (p) { if (p.y !== null) points += 1; });
      (s.values || []).forEach(function (v) { if (v !== null) points += 1; });
      points += (s.ranges || []).length;
    });
    canvas.setAttribute('data-points', String(points));
    return new Chart(canvas, {
      type: spec.kind === 'line' ? 'line' : 'bar',
      data: data,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: timeline ? 'y' : 'x',
        interaction: { mode: 'nearest', intersect: false },
        plugins: { legend: { display: spec.series.length > 1 || timeline === false } },
        scales: scales
      },
      plugins: [overlays]
    });
  }
  var drawn = 0;
  specs.forEach(function (spec) {
    try { build(spec); drawn += 1; } catch (e) { console.error('chart ' + spec.id + ': ' + e.message); }
  });
  document.body.setAttribute('data-charts', String(drawn));
})();
`
