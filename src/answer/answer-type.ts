/**
 * What kind of answer a question asks for, and whether a piece of text has that kind of content.
 * "How long…" wants a duration, "how much…" an amount of money, "what are…" a list, "how do I…" steps.
 * The composer prefers units of the document that carry the asked-for kind (the sentence with
 * "3600 seconds" for "how long does a token last?"). The rules are the grammar of questions in English
 * and Chinese, not words of any dataset.
 */

export type AnswerType = 'money' | 'duration' | 'date' | 'number' | 'steps' | 'list' | 'yesno' | 'other';

const ENGLISH_RULES: Array<[AnswerType, RegExp]> = [
  ['money', /\bhow much\b|\b(cost|costs|price|prices|priced|fee|fees|charge|charges|charged|premium|premiums|deductible|copay|co-pay|coinsurance|rate|rates)\b/i],
  ['duration', /\bhow long\b|\bhow (soon|fast|quickly)\b|\bhow many (\w+ ){0,2}(seconds|minutes|hours|days|weeks|months|years)\b|\b(lifetime|expire|expires|expiry|expiration|validity|timeframe|time frame|waiting period|turnaround)\b/i],
  ['date', /^\s*when\b|\bwhen (is|are|do|does|did|will|can|should)\b|\bwhat (date|day|time)\b|\bdeadline\b|\bby when\b/i],
  ['number', /\bhow many\b|\bwhat (percentage|percent|number|share|proportion|limit|maximum|minimum|amount)\b|\bhow (often|old|far|big|large|high|low)\b/i],
  ['steps', /\bhow (do|can|should|would|could|may|might) (i|we|you|one|they|employees|customers|members)\b|\bhow to\b|\b(steps|procedure|process)\b|\bwhat (should|do) i do\b/i],
  ['list', /\bwhat (are|were)\b|\bwhich\b.*\b(are|include|includes)\b|\blist\b|\bwhat (kinds?|types?|sorts?)\b|\b(types|kinds) of\b|\bwhat .*\b(include|includes|included|cover|covers|covered)\b.*\?|\bwhat (benefits|options|services|documents|methods)\b/i],
  ['yesno', /^\s*(is|are|does|do|can|will|was|were|has|have|should|could|would|am|may|did)\b/i],
];

const CHINESE_RULES: Array<[AnswerType, RegExp]> = [
  ['money', /(多少钱|费用|价格|价钱|收费|运费|多少元|花多少|要钱|付多少|几块)/u],
  ['duration', /(多久|多长时间|多长|几天|几个工作日|多少天|几小时|几个小时|期限|有效期|时效)/u],
  ['date', /(什么时候|何时|哪天|几号|几月|哪一天|截止|哪一?年|何年|哪个?时期|什么时期|什么年代|哪个年代|哪个?世纪)/u],
  ['number', /(多少|几个|几次|几件|比例|百分之|上限|下限|最多|最少)/u],
  // "怎样的" / "怎么样" ask what something is like, not how to do it.
  ['steps', /(如何|怎么(?!样)|怎样(?!的)|咋|流程|步骤|办理|申请方式)/u],
  ['list', /(哪些|有哪几|包括什么|包含什么|什么类型|哪几种|有几种)/u],
  ['yesno', /(吗\s*[？?]?\s*$|是否|能否|可不可以|能不能|有没有|会不会|是不是)/u],
];

/**
 * The kind of answer a question asks for; the first matching rule wins, so "how much does it cost"
 * is money before yes/no.
 *
 * @example
 *   answerTypeOf('How long is an access token valid?') // 'duration'
 *   answerTypeOf('退款多久到账？') // 'duration'
 */
export function answerTypeOf(question: string): AnswerType {
  const rules = /\p{Script=Han}/u.test(question) ? CHINESE_RULES : ENGLISH_RULES;
  for (const [type, pattern] of rules) if (pattern.test(question)) return type;
  return 'other';
}

const NUMBER = /\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|thousand|half|once|twice)\b|[一二两三四五六七八九十百千万半]/iu;
const MONEY = /[$¥€£￥]\s?\d|\d[\d,.]*\s?(元|块|美元|人民币|dollars?|usd|cny|rmb|eur|euros?|pounds?|cents?)(?![a-z])|\b(free|no charge|no cost|at no|reimburs\w*|paid|pays?)\b|(免费|不收费|包邮|退还|报销|补贴)/iu;
const DURATION_UNIT = /(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|business days?|working days?|calendar days?|秒|分钟|小时|天|日|周|星期|个月|月|年|工作日)/iu;
const DATE = /\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monday|tuesday|wednesday|thursday|friday|saturday|sunday|annually|yearly|monthly|weekly|daily|before|after|by the end|deadline|each year|every year)\b|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\/\d{1,2}(\/\d{2,4})?|(\d+|[一二三四五六七八九十]+)(月|日|号)|(周[一二三四五六日末]|星期[一二三四五六日天]|每年|每月|之前|以前|之后|以后|截止)|\d{2,4}\s*年|[一二三四五六七八九十\d]+\s*(世纪|年代)/iu;
const STEP_WORDS = /\b(first|then|next|after that|finally|step \d|click|select|go to|open|sign in|log in|submit|fill (?:in|out)|contact)\b|(首先|然后|接着|最后|点击|选择|进入|登录|提交|填写|联系)/iu;

/**
 * How well a unit of text carries the asked-for kind of answer: 1 when it clearly does, 0 when it
 * does not (lists and steps are judged by the unit's shape, see the composer).
 *
 * @example
 *   answerTypeMatch('duration', 'Access tokens expire after 3600 seconds.') // 1
 */
export function answerTypeMatch(type: AnswerType, text: string): number {
  switch (type) {
    case 'money':
      return MONEY.test(text) ? 1 : 0;
    case 'duration':
      return NUMBER.test(text) && DURATION_UNIT.test(text) ? 1 : 0;
    case 'date':
      return DATE.test(text) ? 1 : NUMBER.test(text) && DURATION_UNIT.test(text) ? 0.5 : 0;
    case 'number':
      return NUMBER.test(text) ? 1 : 0;
    case 'steps':
      return STEP_WORDS.test(text) ? 0.5 : 0;
    default:
      return 0;
  }
}
