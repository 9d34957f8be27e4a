/**
 * Stop words: very common words that carry no topic, left out of questions' keywords (the index keeps
 * them; BM25's IDF weighs the rest). Kept small on purpose. Compared after folding (lower case,
 * simplified Chinese).
 */
export const STOP_WORDS = new Set([
  // English
  'a', 'an', 'the', 'and', 'or', 'but', 'if', 'of', 'to', 'in', 'on', 'at', 'by', 'for', 'with', 'from', 'as',
  'is', 'are', 'was', 'were', 'be', 'been', 'being', 'am', 'do', 'does', 'did', 'doing', 'have', 'has', 'had',
  'i', 'me', 'my', 'we', 'our', 'you', 'your', 'he', 'she', 'it', 'its', 'they', 'them', 'their', 'this', 'that',
  'these', 'those', 'there', 'here', 'what', 'which', 'who', 'whom', 'when', 'where', 'why', 'how', 'can', 'could',
  'would', 'should', 'will', 'shall', 'may', 'might', 'must', 'about', 'into', 'than', 'then', 'so', 'not', 'no',
  'any', 'some', 'all', 'also', 'just', 'up', 'out', 'over', 'under', 'again', 'more', 'most', 'very', 'too',
  'there', 'please', 'tell', 'know', 'get', 'got', 'us', 'much', 'many', 'one', 'each', 'other', 'such', 'only',
  // Chinese function words and question words
  '的', '了', '是', '在', '和', '与', '或', '吗', '呢', '吧', '啊', '么', '什么', '怎么', '怎样', '如何', '哪些',
  '哪个', '为什么', '多少', '几', '我', '我们', '你', '你们', '他', '她', '它', '他们', '这', '那', '这个', '那个',
  '有', '没有', '要', '会', '能', '可以', '吗', '请问', '请', '一个', '一下', '就', '都', '也', '还', '被', '把',
  '对', '从', '到', '给', '让', '以', '及', '等', '之', '其', '中', '多久', '多长', '多长时间', '哪里', '哪儿', '是否',
  '能否', '能不能', '可不可以', '怎么办', '怎么样', '需要', '想', '想要', '请问下', '一般',
  // colloquial question words and particles
  '咋', '咋样', '咋办', '啥', '为啥', '干嘛', '嘛', '呀', '哦', '啦', '什么样', '什么时候', '多会儿',
]);
