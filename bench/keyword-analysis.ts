/**
 * Keyword analysis on long Chinese text without punctuation: time and memory of segmentation
 * (`keywordText`) and character pairs (`bigramText`) at 1, 2, 5 and 10 MB, to show both stay linear
 * with bounded memory. Prints figures and the load average; asserts nothing.
 *
 *   node bench/keyword-analysis.ts [maxMegabytes]
 */
import { loadavg } from 'node:os';
import { createAnalyzer } from '../src/text/index.ts';

const maxMegabytes = Number(process.argv[2] ?? 10);
const analyzer = createAnalyzer();
analyzer.keywordText('预热');
const base = '收到商品后七天内可以申请退货退款到账时间一般为三个工作日花呗借呗余额宝的额度怎么提升';
console.log(`load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
console.log('MB    keywordText s   bigramText s   µs/char   peak RSS MB');
for (const megabytes of [1, 2, 5, 10].filter((value) => value <= maxMegabytes)) {
  // One Han character is 3 bytes of UTF-8.
  const characters = Math.round((megabytes * 1024 * 1024) / 3);
  const text = base.repeat(Math.ceil(characters / base.length)).slice(0, characters);
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  let started = performance.now();
  const words = analyzer.keywordText(text);
  const keywordSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const bigrams = analyzer.bigramText(text);
  const bigramSeconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const perCharacter = ((keywordSeconds + bigramSeconds) * 1e6) / characters;
  console.log(`${String(megabytes).padEnd(5)} ${keywordSeconds.toFixed(1).padStart(13)} ${bigramSeconds.toFixed(1).padStart(14)} ${perCharacter.toFixed(2).padStart(9)} ${(peak / 1e6).toFixed(0).padStart(13)}   (${words.length + bigrams.length} chars out)`);
}
console.log(`load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
