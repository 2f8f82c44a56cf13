/*
 * Server Scripts – health charts.
 *
 * Draws every <div data-chart='{"x": [unix seconds...], "runs": [...], "failed": [...]}'> as a
 * small uPlot chart: runs per hour as bars, failed runs as a dashed line (told apart without
 * colour too; the legend names both). The page carries the same numbers as a table, so the chart
 * is an extra, not the only way to read them.
 *
 * Bundled by esbuild with uPlot and its stylesheet into static/build/charts.js and charts.css
 * (see package.json "build"); nothing is loaded from elsewhere.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const HEIGHT = 180;

function readData(el) {
  try {
    const data = JSON.parse(el.getAttribute("data-chart") || "{}");
    if (!Array.isArray(data.x) || !Array.isArray(data.runs) || !Array.isArray(data.failed)) return null;
    return data;
  } catch (e) {
    return null;
  }
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

function hourLabel(seconds) {
  const d = new Date(seconds * 1000);
  return pad(d.getHours()) + ":00";
}

function draw(el) {
  if (el.getAttribute("data-chart-ready") === "1") return null;
  const data = readData(el);
  if (!data) return null;
  el.setAttribute("data-chart-ready", "1");
  const width = Math.max(200, el.clientWidth || 300);
  const opts = {
    width,
    height: HEIGHT,
    padding: [8, 8, 0, 0],
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: {
      // Half an hour either side: the first and last hours' bars are drawn whole.
      x: { time: true, range: (u, min, max) => [min - 1800, max + 1800] },
      y: { range: (u, min, max) => [0, Math.max(1, max)] },
    },
    axes: [
      { values: (u, splits) => splits.map(hourLabel), space: 60, size: 32 },
      {
        size: 44,
        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000],
        values: (u, splits) => splits.map((v) => String(Math.round(v))),
      },
    ],
    series: [
      { value: (u, v) => (v == null ? "" : hourLabel(v)) },
      {
        label: "Runs",
        stroke: "#2563eb",
        fill: "rgba(37, 99, 235, 0.18)",
        width: 1,
        paths: uPlot.paths.bars({ size: [0.7, 40] }),
        points: { show: false },
      },
      { label: "Failed", stroke: "#b42318", width: 2, dash: [6, 4], points: { show: true, size: 5 } },
    ],
  };
  const chart = new uPlot(opts, [data.x, data.runs, data.failed], el);
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== chart.width) chart.setSize({ width: w, height: HEIGHT });
    }).observe(el);
  }
  return chart;
}

function start() {
  document.querySelectorAll("[data-chart]").forEach(draw);
}

window.HealthCharts = { draw, start };

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
