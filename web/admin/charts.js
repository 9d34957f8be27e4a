// Small charts for the KPI report as inline SVG, built with DOM APIs (createElementNS; labels are text nodes, never
// markup). The viewBox scales with the box, so a chart fits 1280 px and 375 px alike. No library, no CDN.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 360;
const HEIGHT = 170;
const PAD = { left: 34, right: 8, top: 10, bottom: 26 };

function svgElement(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function frame(title, height = HEIGHT) {
  const svg = svgElement('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': title, 'font-size': 9, 'font-family': 'system-ui, sans-serif' });
  svg.append(svgElement('title', {}, title));
  return svg;
}

/** Every n-th label, so at most ~8 fit under the axis. */
function labelStep(count) {
  return Math.max(1, Math.ceil(count / 8));
}

function axes(svg, { max, format }) {
  const bottom = HEIGHT - PAD.bottom;
  svg.append(svgElement('line', { x1: PAD.left, y1: bottom, x2: WIDTH - PAD.right, y2: bottom, stroke: '#d0d7de' }));
  for (const fraction of [0, 0.5, 1]) {
    const y = bottom - fraction * (bottom - PAD.top);
    svg.append(svgElement('line', { x1: PAD.left, y1: y, x2: WIDTH - PAD.right, y2: y, stroke: '#eef0f2' }));
    svg.append(svgElement('text', { x: PAD.left - 4, y: y + 3, 'text-anchor': 'end', fill: '#57606a' }, format(max * fraction)));
  }
}

function xLabels(svg, labels, xOf) {
  const step = labelStep(labels.length);
  labels.forEach((label, index) => {
    if (index % step !== 0) return;
    svg.append(svgElement('text', { x: xOf(index), y: HEIGHT - PAD.bottom + 12, 'text-anchor': 'middle', fill: '#57606a' }, label));
  });
}

/**
 * Vertical bars, one per label.
 *
 * @example
 *   chart.append(barChart({ labels: ['11-01', '11-02'], values: [4, 7], title: 'Conversations per day' }));
 */
export function barChart({ labels, values, title, colour = '#1f6feb' }) {
  const svg = frame(title);
  // An even top, so the middle grid line is a whole number too.
  const top = Math.max(2, ...values);
  const max = top % 2 === 0 ? top : top + 1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const slot = plotWidth / Math.max(1, values.length);
  const bottom = HEIGHT - PAD.bottom;
  axes(svg, { max, format: (value) => String(Math.round(value)) });
  values.forEach((value, index) => {
    const height = (value / max) * (bottom - PAD.top);
    const bar = svgElement('rect', { x: PAD.left + index * slot + slot * 0.15, y: bottom - height, width: Math.max(1, slot * 0.7), height, fill: colour, 'data-value': value });
    bar.append(svgElement('title', {}, `${labels[index]}: ${value}`));
    svg.append(bar);
  });
  xLabels(svg, labels, (index) => PAD.left + index * slot + slot / 2);
  return svg;
}

/**
 * Lines of rates (0–1) over the same labels; a missing value (null: no data that day) breaks the line.
 *
 * @example
 *   lineChart({ labels, series: [{ name: 'Refusal rate', values: [0.1, null, 0.2], colour: '#b42318' }], title: 'Rates' })
 */
export function lineChart({ labels, series, title }) {
  const svg = frame(title);
  const bottom = HEIGHT - PAD.bottom;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const xOf = (index) => PAD.left + (labels.length <= 1 ? plotWidth / 2 : (index / (labels.length - 1)) * plotWidth);
  const yOf = (value) => bottom - value * (bottom - PAD.top);
  axes(svg, { max: 1, format: (value) => `${Math.round(value * 100)}%` });
  for (const line of series) {
    let path = '';
    let open = false;
    line.values.forEach((value, index) => {
      if (value === null || value === undefined) {
        open = false;
        return;
      }
      path += `${open ? 'L' : 'M'}${xOf(index).toFixed(1)},${yOf(value).toFixed(1)} `;
      open = true;
      const dot = svgElement('circle', { cx: xOf(index).toFixed(1), cy: yOf(value).toFixed(1), r: 2, fill: line.colour });
      dot.append(svgElement('title', {}, `${line.name} ${labels[index]}: ${(value * 100).toFixed(1)}%`));
      svg.append(dot);
    });
    if (path) svg.append(svgElement('path', { d: path.trim(), fill: 'none', stroke: line.colour, 'stroke-width': 1.5, 'data-series': line.name }));
  }
  xLabels(svg, labels, xOf);
  // The legend inside the picture, so a copied chart keeps it.
  series.forEach((line, index) => {
    const x = PAD.left + index * 110;
    svg.append(svgElement('rect', { x, y: 1, width: 8, height: 6, fill: line.colour }));
    svg.append(svgElement('text', { x: x + 11, y: 7, fill: '#1c2128' }, line.name));
  });
  return svg;
}

/**
 * Horizontal bars with their labels and values (hand-over reasons, languages).
 *
 * @example
 *   horizontalBars({ items: [{ label: 'asked for a person', value: 3 }], title: 'Hand-overs by reason' })
 */
export function horizontalBars({ items, title, colour = '#9a6700' }) {
  const row = 22;
  const height = Math.max(40, items.length * row + 10);
  const svg = frame(title, height);
  const max = Math.max(1, ...items.map((item) => item.value));
  const labelWidth = 130;
  items.forEach((item, index) => {
    const y = 6 + index * row;
    svg.append(svgElement('text', { x: labelWidth - 6, y: y + 12, 'text-anchor': 'end', fill: '#1c2128' }, item.label));
    const width = (item.value / max) * (WIDTH - labelWidth - 40);
    svg.append(svgElement('rect', { x: labelWidth, y: y + 2, width: Math.max(item.value > 0 ? 2 : 0, width), height: 14, fill: colour, 'data-value': item.value }));
    svg.append(svgElement('text', { x: labelWidth + width + 4, y: y + 12, fill: '#57606a' }, item.value));
  });
  return svg;
}
