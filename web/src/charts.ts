// Charts with Apache ECharts (tree-shaken, SVG renderer). Colours come from the page's CSS variables so
// light and dark mode share one palette definition. Tooltips render as rich text, never HTML, because
// series and axis names (workflows, branches) come from providers.
import { BarChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
} from 'echarts/components';
import { type EChartsCoreOption, type EChartsType, init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { h } from './dom.js';
import { durationTicks, tickLabel } from './ticks.js';

use([
  BarChart,
  LineChart,
  PieChart,
  ScatterChart,
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  SVGRenderer,
]);

const live = new Set<EChartsType>();
const FONT = 'sans-serif';

/** The charts drawn now (a page drawn again disposes these once its new ones are up). */
export function shownCharts(): EChartsType[] {
  return [...live];
}

/** Disposes every chart of the page being left, or the given ones still shown. */
export function disposeCharts(charts: readonly EChartsType[] = [...live]): void {
  for (const chart of charts) {
    if (!live.delete(chart)) continue;
    chart.dispose();
  }
}

window.addEventListener('resize', () => {
  for (const chart of live) chart.resize();
});

export function color(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim() || '#888';
}

/** Colours of the run classes, the same in every chart and in the tables' badges. */
export const CLASS_COLORS = {
  success: 'c-success',
  failure: 'c-failure',
  infra_failure: 'c-infra',
  aborted: 'c-aborted',
  skipped: 'c-skipped',
  running: 'c-running',
} as const;

function base(): EChartsCoreOption {
  const text = color('fg');
  const muted = color('muted');
  return {
    backgroundColor: 'transparent',
    // ECharts measures text itself: it needs a concrete font to lay out legends without overlaps.
    textStyle: { color: text, fontFamily: FONT },
    aria: { enabled: true },
    animation: false,
    tooltip: {
      renderMode: 'richText',
      backgroundColor: color('surface'),
      borderColor: color('border'),
      textStyle: { color: text },
    },
    legend: {
      textStyle: { color: text, fontFamily: FONT },
      inactiveColor: muted,
      top: 0,
      type: 'scroll',
      itemWidth: 14,
      itemGap: 8,
    },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
  };
}

export const axisStyle = () => ({
  axisLine: { lineStyle: { color: color('border') } },
  axisLabel: { color: color('muted'), hideOverlap: true },
  splitLine: { lineStyle: { color: color('grid') } },
});

/** A value axis of seconds with ticks at human units (30 s, 1 m, 5 m, 10 m, 30 m, 1 h…). */
export function durationAxis(values: (number | null)[], extra: Record<string, unknown> = {}) {
  const ticks = durationTicks(Math.max(0, ...values.filter((v): v is number => v !== null)));
  return {
    type: 'value',
    min: 0,
    max: ticks.max,
    interval: ticks.interval,
    ...axisStyle(),
    axisLabel: { ...axisStyle().axisLabel, formatter: tickLabel },
    ...extra,
  };
}

/** What a click on a bar or a point names: its series and its place in the data. */
export interface ChartClick {
  seriesName: string;
  seriesIndex: number;
  dataIndex: number;
}

export interface FigureOptions {
  height?: number;
  emptyText?: string;
  className?: string;
  /** Follows a bar or point to the runs behind it; the figure also offers `link` for the keyboard. */
  onClick?: (click: ChartClick) => void;
  /** A line under the title, e.g. that the last bucket is partial. */
  note?: string | null;
  /** The runs behind the whole chart, as a link a keyboard reaches. */
  link?: { href: string; text: string };
}

/**
 * A chart in a figure with a visible title. `points` (how many data points the chart shows) is kept on
 * the element: the empty state is chosen from it, and tests read it.
 */
export function chartFigure(
  title: string,
  option: EChartsCoreOption,
  points: number,
  options: FigureOptions = {},
): HTMLElement {
  const box = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${title}: ${points} data points`,
    'data-points': points,
    'data-clickable': options.onClick ? 'true' : null,
  });
  // Through CSSOM, not a style attribute: the Content-Security-Policy allows no inline style attributes.
  box.style.height = `${options.height ?? 260}px`;
  const figure = h(
    'figure',
    { class: `card ${options.className ?? ''}` },
    h(
      'figcaption',
      {},
      title,
      options.note ? h('span', { class: 'sub chart-note' }, options.note) : null,
      options.link
        ? h('a', { class: 'sub', href: options.link.href, 'data-link': true }, options.link.text)
        : null,
    ),
    points > 0 ? box : h('p', { class: 'state empty' }, options.emptyText ?? 'No data in this range.'),
  );
  if (points > 0) {
    // ECharts needs the element in the document to measure it.
    requestAnimationFrame(() => {
      if (!box.isConnected) return;
      const chart = init(box, null, { renderer: 'svg' });
      chart.setOption({ ...base(), ...option, series: withoutEmphasis(option.series) });
      const { onClick } = options;
      if (onClick) {
        chart.on('click', (event) =>
          onClick({
            seriesName: String(event.seriesName ?? ''),
            seriesIndex: Number(event.seriesIndex ?? 0),
            dataIndex: Number(event.dataIndex ?? 0),
          }),
        );
      }
      live.add(chart);
    });
  }
  return figure;
}

/**
 * Hover emphasis off: in SVG, ECharts draws it with a `<style>` element of its own, which the
 * Content-Security-Policy (style-src 'self') refuses; the tooltip says what is under the pointer.
 */
function withoutEmphasis(series: unknown): unknown {
  if (!Array.isArray(series)) return series;
  return series.map((s) => ({ emphasis: { disabled: true }, ...(s as object) }));
}

/** A small line without axes for a table cell. */
export function sparkline(values: (number | null)[], label: string): HTMLElement {
  const points = values.filter((v) => v !== null).length;
  const box = h('div', { class: 'spark', role: 'img', 'aria-label': label, 'data-points': points });
  if (points === 0) return box;
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    const chart = init(box, null, { renderer: 'svg' });
    chart.setOption({
      animation: false,
      grid: { left: 2, right: 2, top: 2, bottom: 2 },
      xAxis: { type: 'category', show: false, boundaryGap: false },
      yAxis: { type: 'value', show: false, min: 0 },
      series: [
        {
          type: 'line',
          data: values,
          symbol: 'none',
          connectNulls: true,
          lineStyle: { width: 1.5, color: color('accent') },
          areaStyle: { color: color('accent-soft') },
        },
      ],
    });
    live.add(chart);
  });
  return box;
}
