import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/** One line of a {@link LineChart}: its label and its points (x ascending). */
export interface Series {
  label: string;
  points: Array<[number, number | null]>;
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

/** Joins the series on the union of their x values (uPlot takes one x array for all lines). */
function aligned(series: Series[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: Array<number | null> = new Array(xs.length).fill(null);
    for (const [x, v] of s.points) y[index.get(x) as number] = v;
    return y;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

/** A line chart drawn on canvas by uPlot; `time` when x is in milliseconds since the epoch. */
export function LineChart(props: { title: string; series: Series[]; time?: boolean; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const key = JSON.stringify(props.series.map((s) => [s.label, s.points.length, s.points[s.points.length - 1]]));
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const data = aligned(props.series);
    if (props.time) data[0] = (data[0] as number[]).map((x) => x / 1000);
    const plot = new uPlot(
      {
        title: props.title,
        width: Math.max(320, el.clientWidth || 600),
        height: props.height ?? 220,
        scales: { x: { time: props.time ?? false } },
        series: [
          { label: props.time ? "time" : "step" },
          ...props.series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            spanGaps: true,
          })),
        ],
      },
      data,
      el,
    );
    return () => plot.destroy();
  }, [key, props.title]);
  return html`<div class="chart" ref=${ref} data-testid="chart"></div>`;
}
