/**
 * A stand-in order system for the business-action tests: a real HTTP server on a free port that answers like an
 * order API would, and misbehaves on purpose for some order numbers (500, HTML, a 50 MB body, no answer at all,
 * invalid JSON). It checks the bearer token and records every request as it arrived on the wire.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const ORDER_API_TOKEN = 'test-secret-token-7f3a9c';

/** Order numbers and what the stand-in does for them. */
export const ORDERS = {
  shipped: 'KF20260001',
  serverError: 'KF20260500',
  html: 'KF20260200',
  huge: 'KF20265000',
  silent: 'KF20260999',
  badJson: 'KF20260777',
  missing: 'KF20260404',
} as const;

export interface RecordedRequest {
  method: string;
  /** The path and query exactly as sent. */
  url: string;
  authorization: string | undefined;
  body: string;
}

export interface OrderApi {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 and a free port. */
export async function startOrderApi(): Promise<OrderApi> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization, body });
      if (request.headers.authorization !== `Bearer ${ORDER_API_TOKEN}`) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
        return;
      }
      const id = decodeURIComponent((request.url ?? '').split('?')[0]?.split('/').pop() ?? '');
      const json = (status: number, value: unknown) => response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
      if ((request.url ?? '').startsWith('/api/lookup')) return json(200, { found: false, echo: id });
      switch (id) {
        case ORDERS.shipped:
          return json(200, { order: { id, status: 'shipped', statusZh: '已发货', carrier: 'SF Express', eta: '2026-12-03' } });
        case ORDERS.serverError:
          return json(500, { error: 'database down' });
        case ORDERS.html:
          return response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Login</body></html>');
        case ORDERS.badJson:
          return response.writeHead(200, { 'content-type': 'application/json' }).end('{"order": {"status": ');
        case ORDERS.missing:
          return json(404, { error: 'no such order' });
        case ORDERS.silent:
          return; // never answers: the caller's deadline must end it
        case ORDERS.huge: {
          // 50 MB of JSON, streamed without a length: the caller must stop reading past its limit.
          response.writeHead(200, { 'content-type': 'application/json' });
          response.write('{"order":{"status":"shipped","padding":"');
          const piece = 'x'.repeat(1024 * 1024);
          let sent = 0;
          const pump = () => {
            while (sent < 50) {
              sent += 1;
              if (!response.write(piece)) return void response.once('drain', pump);
            }
            response.end('"}}');
          };
          response.on('error', () => undefined);
          return pump();
        }
        default:
          return json(404, { error: 'no such order' });
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An actions.yaml for the stand-in: order status by number (en and zh), and a loose lookup for injection tests. */
export function orderActionsYaml(baseUrl: string, options: { timeoutMs?: number } = {}): string {
  return `actions:
  - name: order-status
    trigger:
      intent: order_status
      pattern: '(where|track).*\\b(order|parcel|package)\\b|订单.*(到哪|状态|物流)|查.*订单'
    slots:
      - name: order
        type: pattern
        pattern: '\\bKF\\d{8}\\b'
        flags: i
        ask:
          en: What is your order number? It starts with KF, for example KF20260001.
          zh: 请提供您的订单号（以 KF 开头，例如 KF20260001）。
    request:
      method: GET
      url: '${baseUrl}/api/orders/{order}'
      headers:
        Authorization: 'Bearer {env.ORDER_API_TOKEN}'
      timeoutMs: ${options.timeoutMs ?? 1500}
    reply:
      en: 'Order {order} has status "{response.order.status}" with {response.order.carrier}; expected delivery {response.order.eta}.'
      zh: '订单 {order} 当前状态：{response.order.statusZh}（{response.order.carrier}），预计 {response.order.eta} 送达。'
    notFound:
      en: 'I could not find order {order}. Please check the number.'
      zh: '没有找到订单 {order}，请核对订单号。'
    failure:
      en: Sorry, I cannot reach the order system right now. I am passing you to a colleague who will check your order.
      zh: 抱歉，订单系统暂时无法访问，正在为您转接人工客服查询。
      priority: high
  - name: code-lookup
    trigger:
      pattern: '^lookup\\b'
    slots:
      - name: code
        type: pattern
        pattern: '^lookup\\s+(.+)$'
        maxLength: 1000
        ask: Which code?
    request:
      method: POST
      url: '${baseUrl}/api/lookup/{code}?q={code}'
      headers:
        Authorization: 'Bearer {env.ORDER_API_TOKEN}'
      body:
        code: '{code}'
        note: 'asked for {code}'
    reply: 'Code {code}: found {response.found}.'
`;
}

/** An intents file for a shop: order status (the action), complaints (a person, high priority), gift cards (an FAQ entry), returns (retrieval) and out-of-scope examples. */
export const intentsCsv = `intent,example,language,route
order_status,where is my order,en,action:order-status
order_status,has my parcel been dispatched yet,en,
order_status,when will my package arrive,en,
order_status,I want to know the status of my delivery,en,
order_status,track my shipment,en,
order_status,is my order on its way,en,
order_status,my order has not arrived,en,
order_status,我的订单到哪了,zh,
order_status,查一下我的快递,zh,
order_status,包裹什么时候到,zh,
complaint,I want to make a complaint,en,person:high
complaint,this service is terrible and I am very unhappy,en,
complaint,I would like to file a formal complaint,en,
complaint,your staff was rude to me,en,
complaint,I am not satisfied with how I was treated,en,
complaint,我要投诉,zh,
complaint,你们的服务太差了,zh,
gift_cards,do you sell gift cards,en,faq:gift-1
gift_cards,can I buy a gift voucher,en,
gift_cards,gift card for a friend,en,
gift_cards,how much are your gift certificates,en,
gift_cards,I want to give a present card,en,
gift_cards,有礼品卡吗,zh,
returns,how do I return an item,en,retrieval
returns,can I send this back for a refund,en,
returns,what is your return policy,en,
returns,how long do refunds take,en,
returns,I want my money back,en,
returns,退货政策是什么,zh,
returns,退款多久到账,zh,
out_of_scope,what is the weather like today,en,
out_of_scope,tell me a joke,en,
out_of_scope,who won the football match,en,
out_of_scope,what is the capital of France,en,
out_of_scope,play some music,en,
`;
