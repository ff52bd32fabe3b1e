import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Series {
  label: string;
  color: string;
  values: number[];
}

/**
 * Stacked bars over time with uPlot, which draws bars but does not stack: each series is drawn as
 * the running total up to it, tallest first, so each bar covers the part below it. The legend (and
 * so the hover readout) shows each series' own value, not the running total.
 */
export function StackedBars({ times, series, unit }: { times: number[]; series: Series[]; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const running: number[][] = [];
    series.forEach((s, k) => {
      running.push(s.values.map((v, i) => v + (k > 0 ? (running[k - 1]?.[i] ?? 0) : 0)));
    });
    const order = series.map((_, k) => k).reverse();
    const bars = uPlot.paths.bars?.({ size: [0.8, 48], gap: 1 });
    const format = (v: number) => `${v.toLocaleString()}${unit ? ` ${unit}` : ""}`;
    const plot = new uPlot(
      {
        width: el.clientWidth || 800,
        height: 300,
        cursor: { points: { show: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] } },
        legend: { live: true },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => t.toLocaleString()), size: 70 }],
        series: [
          { label: "Time" },
          ...order.map((k) => {
            const s = series[k] as Series;
            return {
              label: s.label,
              stroke: s.color,
              fill: s.color,
              width: 0,
              paths: bars,
              points: { show: false },
              value: (_u: uPlot, _v: number | null, _si: number, i: number | null) =>
                i === null ? "–" : format(s.values[i] ?? 0),
            };
          }),
        ],
      },
      [times, ...order.map((k) => running[k] as number[])],
      el,
    );
    // The drawn data, for the end-to-end tests to compare with the API (running totals, tallest first).
    (el as HTMLDivElement & { plot?: uPlot }).plot = plot;
    const resize = () => plot.setSize({ width: el.clientWidth || 800, height: 300 });
    addEventListener("resize", resize);
    return () => {
      removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [times, series, unit]);
  return <div ref={box} class="chart" data-testid="stats-chart" />;
}
