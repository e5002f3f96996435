import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server speaking the OpenAI chat completions protocol (and /v1/embeddings), so tests run the REAL
 * `openai` client end to end: status codes, retry-after, tool calls, malformed answers and timeouts are produced
 * here, by a reply function the test supplies.
 */
export interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content?: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string } }>;
  response_format?: unknown;
}

export type FakeReply =
  | { content: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { toolCalls: Array<{ name: string; arguments: unknown }> }
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { hang: true };

export interface FakeOpenAi {
  url: string;
  /** Every request received (chat and embeddings), in order. */
  requests: Array<{ path: string; body: ChatRequestBody & { input?: string[] }; authorization: string | undefined }>;
  chatRequests(): ChatRequestBody[];
  close(): Promise<void>;
}

export async function startFakeOpenAi(
  reply: (body: ChatRequestBody, index: number) => FakeReply | Promise<FakeReply>,
  embed?: (input: string[]) => number[][],
): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  const hanging = new Set<http.ServerResponse>();
  let chatIndex = 0;
  let callId = 0;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', async () => {
      const body = JSON.parse(data || '{}');
      requests.push({ path: req.url ?? '', body, authorization: req.headers.authorization });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      if (req.url?.endsWith('/embeddings')) {
        const input: string[] = Array.isArray(body.input) ? body.input : [body.input];
        const vectors = (embed ?? ((xs) => xs.map(() => [1, 0])))(input);
        send(200, { object: 'list', model: body.model, data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })), usage: { prompt_tokens: 1, total_tokens: 1 } });
        return;
      }
      if (!req.url?.endsWith('/chat/completions')) return send(404, { error: { message: 'not found' } });
      const r = await reply(body, chatIndex++);
      if ('hang' in r) {
        hanging.add(res);
        return;
      }
      if ('status' in r) return send(r.status, r.body ?? { error: { message: `status ${r.status}`, type: 'test' } }, r.headers);
      const message =
        'toolCalls' in r
          ? { role: 'assistant', content: null, tool_calls: r.toolCalls.map((t) => ({ id: `call_${++callId}`, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.arguments) } })) }
          : { role: 'assistant', content: r.content };
      const usage = 'usage' in r && r.usage ? r.usage : { prompt_tokens: 100, completion_tokens: 20 };
      send(200, {
        id: `chatcmpl-${chatIndex}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, finish_reason: 'toolCalls' in r ? 'tool_calls' : 'stop' }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
