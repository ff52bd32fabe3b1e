import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Series {
  label: string;
  color: string;
  values: number[];
}

const HEIGHT = 300;

/**
 * A uPlot chart in a box as wide as the page, drawn again when `deps` change and resized with the
 * window. The plot hangs on the box as `plot`: the drawn data, for the end-to-end tests to compare
 * with the API.
 */
function usePlot(make: (width: number, el: HTMLDivElement) => uPlot, deps: unknown[]) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const plot = make(el.clientWidth || 800, el);
    (el as HTMLDivElement & { plot?: uPlot }).plot = plot;
    const resize = () => plot.setSize({ width: el.clientWidth || 800, height: HEIGHT });
    addEventListener("resize", resize);
    return () => {
      removeEventListener("resize", resize);
      plot.destroy();
    };
  }, deps);
  return box;
}

/**
 * Stacked bars over time with uPlot, which draws bars but does not stack: each series is drawn as
 * the running total up to it, tallest first, so each bar covers the part below it. The legend (and
 * so the hover readout) shows each series' own value, not the running total.
 */
export function StackedBars({ times, series, unit }: { times: number[]; series: Series[]; unit: string }) {
  const box = usePlot(
    (width, el) => {
      const running: number[][] = [];
      series.forEach((s, k) => {
        running.push(s.values.map((v, i) => v + (k > 0 ? (running[k - 1]?.[i] ?? 0) : 0)));
      });
      const order = series.map((_, k) => k).reverse();
      const bars = uPlot.paths.bars?.({ size: [0.8, 48], gap: 1 });
      const format = (v: number) => `${v.toLocaleString()}${unit ? ` ${unit}` : ""}`;
      return new uPlot(
        {
          width,
          height: HEIGHT,
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
    },
    [times, series, unit],
  );
  return <div ref={box} class="chart" data-testid="stats-chart" />;
}

export interface Line {
  label: string;
  color: string;
  /** null: no value in that interval (a gap in the line). */
  values: Array<number | null>;
  /** The name of its scale in `scales`. */
  scale: string;
}

/** A y axis: the first on the left, a second on the right; from 0 to `max`, or to the data's top. */
export interface Scale {
  name: string;
  /** A value as its ticks and the legend show it. */
  format: (value: number) => string;
  max?: number;
}

/** Lines over time on one or two y axes (durations and a rate, say). */
export function Lines({
  times,
  lines,
  scales,
  testId,
}: {
  times: number[];
  lines: Line[];
  scales: Scale[];
  testId: string;
}) {
  const box = usePlot(
    (width, el) => {
      return new uPlot(
        {
          width,
          height: HEIGHT,
          legend: { live: true },
          scales: {
            x: { time: true },
            ...Object.fromEntries(
              scales.map((s) => [
                s.name,
                { range: (_u: uPlot, _min: number, max: number) => [0, s.max ?? Math.max(1, max * 1.05)] },
              ]),
            ),
          },
          axes: [
            {},
            ...scales.map((s, i) => ({
              scale: s.name,
              side: i === 0 ? 3 : 1,
              grid: { show: i === 0 },
              size: 80,
              values: (_u: uPlot, ticks: number[]) => ticks.map(s.format),
            })),
          ],
          series: [
            { label: "Time" },
            ...lines.map((l) => {
              const format = scales.find((s) => s.name === l.scale)?.format ?? String;
              return {
                label: l.label,
                stroke: l.color,
                width: 2,
                scale: l.scale,
                value: (_u: uPlot, v: number | null) => (v === null ? "–" : format(v)),
              };
            }),
          ],
        },
        [times, ...lines.map((l) => l.values)] as uPlot.AlignedData,
        el,
      );
    },
    [times, lines, scales],
  );
  return <div ref={box} class="chart" data-testid={testId} />;
}
