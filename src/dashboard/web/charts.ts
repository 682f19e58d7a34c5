// ECharts, tree-shaken: the core and only the charts and components the pages use, bundled at build
// time (no CDN). Every chart has a table beside it with the same numbers (for screen readers, and
// for a CSV); the chart's element says what it shows in its aria-label.
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import {
  AriaComponent,
  DataZoomSliderComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { h } from './ui.js';

echarts.use([
  BarChart,
  LineChart,
  HeatmapChart,
  AriaComponent,
  DataZoomSliderComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
]);

export type Option = echarts.EChartsCoreOption;

const charts = new Set<echarts.ECharts>();
window.addEventListener('resize', () => {
  for (const c of charts) c.resize();
});

/** forget the charts of the page left */
export function disposeCharts(): void {
  for (const c of charts) c.dispose();
  charts.clear();
}

export const palette = ['#2563a6', '#c2570c', '#1a7f37', '#8250df', '#b42318', '#0f766e', '#a16207', '#57606a', '#be185d', '#4d7c0f'];

/** a chart in a box of its own; `label` says what it shows (aria-label) */
export function chart(name: string, label: string, option: Option, height = 280): HTMLElement {
  const el = h('div', { class: 'chart', 'data-chart': name, role: 'img', 'aria-label': label, style: `height:${height}px` });
  // drawn once the element is in the page (it needs its width)
  requestAnimationFrame(() => {
    if (!el.isConnected) return;
    const c = echarts.init(el, null, { renderer: 'canvas' });
    c.setOption({ animation: false, color: palette, aria: { enabled: true }, textStyle: { fontFamily: 'system-ui, sans-serif' }, ...option });
    charts.add(c);
    // what was drawn, for the browser tests (they compare a chart's data with the CLI's JSON)
    (el as HTMLElement & { chartOption?: () => unknown }).chartOption = () => c.getOption();
    el.dataset.drawn = 'true';
  });
  return el;
}
