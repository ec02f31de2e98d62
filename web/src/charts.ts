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

/** Disposes every chart of the page being left. */
export function disposeCharts(): void {
  for (const chart of live) chart.dispose();
  live.clear();
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

/**
 * A chart in a figure with a visible title. `points` (how many data points the chart shows) is kept on
 * the element: the empty state is chosen from it, and tests read it.
 */
export function chartFigure(
  title: string,
  option: EChartsCoreOption,
  points: number,
  options: { height?: number; emptyText?: string; className?: string } = {},
): HTMLElement {
  const box = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${title}: ${points} data points`,
    'data-points': points,
  });
  // Through CSSOM, not a style attribute: the Content-Security-Policy allows no inline style attributes.
  box.style.height = `${options.height ?? 260}px`;
  const figure = h(
    'figure',
    { class: `card ${options.className ?? ''}` },
    h('figcaption', {}, title),
    points > 0 ? box : h('p', { class: 'state empty' }, options.emptyText ?? 'No data in this range.'),
  );
  if (points > 0) {
    // ECharts needs the element in the document to measure it.
    requestAnimationFrame(() => {
      if (!box.isConnected) return;
      const chart = init(box, null, { renderer: 'svg' });
      chart.setOption({ ...base(), ...option });
      live.add(chart);
    });
  }
  return figure;
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
