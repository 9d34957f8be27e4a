/**
 * Folding: the one normal form both the keyword index and questions are analysed in, so that the
 * way a customer happens to type a word never decides whether it matches.
 *
 * - Unicode NFKC: full-width letters, digits and punctuation become half-width (ＡＢＣ１２３ → ABC123),
 *   compatibility ideographs and ligatures become their ordinary characters.
 * - Case: lower case.
 * - Latin accents dropped (café → cafe), curly apostrophes made straight.
 * - Traditional Chinese → simplified (退貨多久到帳 → 退货多久到帐), with OpenCC's Taiwan-to-mainland
 *   conversion (opencc-js: characters and phrases, the tables OpenCC itself ships).
 *
 * Folding is for analysis only: the text shown and cited is never folded.
 *
 * @example
 *   foldText('退貨多久到帳？ＡＢＣ１２３')   // "退货多久到帐?abc123"
 */
import * as OpenCC from 'opencc-js/t2cn';

let toSimplified: ((text: string) => string) | undefined;

/** The converter builds its tables (~50 ms) on first use, not at import. */
function traditionalToSimplified(text: string): string {
  const convert = (toSimplified ??= OpenCC.Converter({ from: 'tw', to: 'cn' }));
  return convert(text);
}

const HAN = /\p{Script=Han}/u;
const COMBINING_MARK = /\p{M}/gu;
const LATIN_WITH_MARK = /[\u00C0-\u024F\u1E00-\u1EFF]/;
const APOSTROPHES = /[\u2018\u2019\u02BC\uFF07]/g;

/** The whole fold (see the module comment). Linear in the length of the text. */
export function foldText(text: string): string {
  let folded = text.normalize('NFKC').toLowerCase().replace(APOSTROPHES, "'");
  // Decompose and drop marks only where Latin letters carry them: other scripts (Devanagari, Thai)
  // need their marks to stay words.
  if (LATIN_WITH_MARK.test(folded)) {
    folded = folded.replace(/[\u00C0-\u024F\u1E00-\u1EFF]+/g, (run) => run.normalize('NFD').replace(COMBINING_MARK, '').normalize('NFC'));
  }
  return HAN.test(folded) ? traditionalToSimplified(folded) : folded;
}
