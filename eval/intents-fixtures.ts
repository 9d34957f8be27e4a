/**
 * Small intent datasets in the published banking77 and clinc150 layouts, written to a temporary folder,
 * so the intent evaluation is tested without ../shared. A few intents of a shop's customer service,
 * a dozen training phrases each, held-out test phrases worded differently, and (clinc150) messages that
 * belong to no intent.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const INTENTS: Record<string, { train: string[]; validation: string[]; test: string[] }> = {
  card_arrival: {
    train: ['when will my card arrive', 'my new card has not come yet', 'how long does card delivery take', 'I am still waiting for my card', 'where is the card you sent me', 'has my card been posted', 'my card should have arrived by now', 'card still not delivered', 'when do I get my new card', 'how many days until my card comes', 'is my card on its way', 'still no card in the mail'],
    validation: ['the card I ordered has not shown up', 'when can I expect my card'],
    test: ["it's been two weeks and no card", 'how soon will the card get here', 'my debit card never arrived'],
  },
  lost_card: {
    train: ['I lost my card', 'my card was stolen', 'I cannot find my card anywhere', 'someone took my wallet with my card', 'please block my lost card', 'I think I dropped my card', 'my card is missing', 'report a stolen card', 'freeze my card, it is gone', 'what do I do if my card is lost', 'I left my card at a shop and it is gone', 'my purse with the card was stolen'],
    validation: ['my card got stolen yesterday', 'I misplaced my bank card'],
    test: ['somebody stole my credit card', 'I have lost my bank card, help', 'card missing, please cancel it'],
  },
  exchange_rate: {
    train: ['what exchange rate do you use', 'how much is a dollar in euros', 'what is the rate for pounds', 'do you give a good exchange rate', 'how are currencies converted', 'what rate will I get abroad', 'exchange rate for yen', 'how is the conversion rate calculated', 'is the exchange rate fixed', 'current rate from euro to dollar', 'where can I see exchange rates', 'what is today’s currency rate'],
    validation: ['which rate do you apply for currency exchange', 'how much will 100 euros be in dollars'],
    test: ['what conversion rate applies to my payment in dollars', 'tell me the euro to pound rate', 'do you use the market exchange rate'],
  },
  top_up: {
    train: ['how do I top up my account', 'add money to my balance', 'I want to put money in my account', 'how can I load funds', 'top up with a bank transfer', 'can I top up by card', 'how to add cash to the app', 'ways to fund my account', 'my top up failed', 'what is the top up limit', 'top up my balance please', 'load money onto my account'],
    validation: ['how do I add funds', 'put some money on my account'],
    test: ['I need to add money to my wallet', 'can I deposit money with my card', 'how to top-up my balance'],
  },
};

const OUT_OF_SCOPE = {
  train: ['what is the weather tomorrow', 'tell me a joke', 'who won the game last night', 'play some jazz music', 'how tall is mount everest', 'what is the capital of italy', 'recommend a good movie', 'how do I bake bread'],
  validation: ['will it snow this weekend', 'sing me a song'],
  test: ['what is the population of canada', 'how many legs does a spider have', 'book me a table for dinner', 'what time is the football match'],
};

/**
 * Writes `<folder>/banking77/{train,test}.csv` and `<folder>/clinc150/data_full.json`.
 *
 * @example
 *   await writeIntentFixtures(temp); // then loadIntentDataset({ name: 'clinc150', sharedDataDir: temp })
 */
export async function writeIntentFixtures(folder: string): Promise<void> {
  await mkdir(path.join(folder, 'banking77'), { recursive: true });
  await mkdir(path.join(folder, 'clinc150'), { recursive: true });
  const csv = (part: 'train' | 'test', extra: 'validation' | undefined) =>
    ['text,category', ...Object.entries(INTENTS).flatMap(([intent, parts]) => [...parts[part], ...(extra ? parts[extra] : [])].map((text) => `"${text.replace(/"/g, '""')}",${intent}`))].join('\n') + '\n';
  await writeFile(path.join(folder, 'banking77', 'train.csv'), csv('train', 'validation'));
  await writeFile(path.join(folder, 'banking77', 'test.csv'), csv('test', undefined));
  const pairs = (part: 'train' | 'validation' | 'test') => Object.entries(INTENTS).flatMap(([intent, parts]) => parts[part].map((text) => [text, intent]));
  const oos = (part: 'train' | 'validation' | 'test') => OUT_OF_SCOPE[part].map((text) => [text, 'oos']);
  await writeFile(
    path.join(folder, 'clinc150', 'data_full.json'),
    JSON.stringify({ train: pairs('train'), val: pairs('validation'), test: pairs('test'), oos_train: oos('train'), oos_val: oos('validation'), oos_test: oos('test') }),
  );
}
