import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KefuError } from '../errors/index.ts';
import { openSqliteRecords } from './index.ts';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'kefu-records-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('openSqliteRecords', () => {
  it('keeps a conversation with its messages, feedback and tickets across a reopen', async () => {
    const file = path.join(directory, 'nested', 'kefu.db');
    const records = openSqliteRecords({ path: file });
    const conversation = await records.createConversation();
    const [question, answer] = await records.appendMessages([
      { conversationId: conversation.id, role: 'user', text: '如何申请退款？' },
      {
        conversationId: conversation.id,
        role: 'assistant',
        text: 'Refunds take 5 days [1].',
        outcome: 'answered',
        confidence: 0.8,
        citations: [{ n: 1, chunkId: 'c-1', docPath: 'returns.pdf', title: 'Returns', page: 2, headingPath: 'Refunds', quote: 'Refunds take 5 days.' }],
        suggestions: ['How do I return an item?'],
        language: 'en',
      },
    ]);
    expect(question?.role).toBe('user');
    const feedback = await records.addFeedback({ messageId: answer?.id ?? '', rating: 'up', comment: 'clear' });
    const { ticket } = await records.openTicket({ conversationId: conversation.id, reason: 'customer-request', note: 'call me' });
    expect(ticket.number).toMatch(/^KF-0+1$/);
    await records.close();

    const reopened = openSqliteRecords({ path: file });
    const messages = await reopened.listMessages(conversation.id);
    expect(messages.map((message) => message.text)).toEqual(['如何申请退款？', 'Refunds take 5 days [1].']);
    expect(messages[1]?.citations[0]?.page).toBe(2);
    expect(messages[1]?.suggestions).toEqual(['How do I return an item?']);
    expect(await reopened.listFeedback(answer?.id ?? '')).toEqual([feedback]);
    const [open] = await reopened.listTickets({ status: 'open' });
    expect(open?.transcript.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(open?.note).toBe('call me');
    await reopened.close();
  });

  it('refuses feedback on a message that does not exist or is not an answer', async () => {
    const records = openSqliteRecords({ path: ':memory:' });
    const conversation = await records.createConversation();
    const [question] = await records.appendMessages([{ conversationId: conversation.id, role: 'user', text: 'hi' }]);
    await expect(records.addFeedback({ messageId: 'nope', rating: 'down' })).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    await expect(records.addFeedback({ messageId: question?.id ?? '', rating: 'down' })).rejects.toBeInstanceOf(KefuError);
    await records.close();
  });

  it('refuses messages and tickets for an unknown conversation and writes nothing of a failed batch', async () => {
    const records = openSqliteRecords({ path: ':memory:' });
    const conversation = await records.createConversation();
    await expect(
      records.appendMessages([
        { conversationId: conversation.id, role: 'user', text: 'first' },
        { conversationId: 'missing', role: 'user', text: 'second' },
      ]),
    ).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    expect(await records.listMessages(conversation.id)).toEqual([]);
    await expect(records.openTicket({ conversationId: 'missing', reason: 'no-answer' })).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    await records.close();
  });

  it('keeps one open ticket per conversation: asking again returns it, also from another connection', async () => {
    const file = path.join(directory, 'kefu.db');
    const records = openSqliteRecords({ path: file });
    const other = openSqliteRecords({ path: file });
    const conversation = await records.createConversation();
    const first = await records.openTicket({ conversationId: conversation.id, reason: 'customer-request' });
    const again = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 ? records : other).openTicket({ conversationId: conversation.id, reason: 'no-answer' })));
    expect(first.created).toBe(true);
    expect(again.every((opened) => !opened.created && opened.ticket.number === first.ticket.number)).toBe(true);
    expect(await records.listTickets({ status: 'open' })).toHaveLength(1);
    // Another conversation gets its own ticket.
    const second = await other.openTicket({ conversationId: (await other.createConversation()).id, reason: 'no-answer' });
    expect(second.created).toBe(true);
    expect(second.ticket.number).not.toBe(first.ticket.number);
    await other.close();
    await records.close();
  });

  it('loses no acknowledged message when the process is killed with SIGKILL', async () => {
    const file = path.join(directory, 'kefu.db');
    const moduleUrl = new URL('./index.ts', import.meta.url).href;
    const script = path.join(directory, 'writer.ts');
    // The writer acknowledges each message only after appendMessages resolved, then keeps writing until killed.
    await writeFile(
      script,
      `import { openSqliteRecords } from ${JSON.stringify(moduleUrl)};
const records = openSqliteRecords({ path: ${JSON.stringify(file)} });
const conversation = await records.createConversation();
process.stdout.write('conversation ' + conversation.id + '\\n');
for (let index = 0; ; index += 1) {
  await records.appendMessages([{ conversationId: conversation.id, role: 'user', text: 'message ' + index }]);
  process.stdout.write('ack ' + index + '\\n');
}
`,
    );
    const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    const child = spawn(path.join(projectRoot, 'node_modules', '.bin', 'node'), [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        if ((output.match(/^ack /gm) ?? []).length >= 200) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.on('exit', resolve));
    expect(child.signalCode).toBe('SIGKILL');
    // A line is only complete (and so counted) once its newline arrived.
    const conversationId = /^conversation (\S+)$/m.exec(output)?.[1] ?? '';
    const acknowledged = [...output.matchAll(/^ack (\d+)$/gm)].map((match) => Number(match[1]));
    const highest = Math.max(...acknowledged);

    const records = openSqliteRecords({ path: file });
    const texts = (await records.listMessages(conversationId)).map((message) => message.text);
    for (let index = 0; index <= highest; index += 1) expect(texts[index]).toBe(`message ${index}`);
    await records.close();
  });
});
