import { connect } from 'node:net';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { startFunctionServer } from '../harness/index.js';

/** Sends raw bytes and returns everything the server wrote back. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      answer += chunk;
      // One answer is all these cases get; keep-alive would hold it open.
      if (/\r\n\r\n\{.*\}$/s.test(answer)) socket.end();
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function problemOf(answer: string): { status: number; type: string } {
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  expect(answer).toMatch(/content-type: application\/problem\+json/i);
  return JSON.parse(body);
}

describe('the local HTTP listener', () => {
  const app = new Hono().get('/', (c) => c.text('ok'));

  it.each([
    ['an unparseable Host', 'GET / HTTP/1.1\r\nHost: a b@c\r\n\r\n', 400],
    ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    [
      'Content-Length with chunked framing',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
      400,
    ],
    [
      'oversized headers',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
  ])('answers %s with a problem body', async (_, request, status) => {
    const server = await startFunctionServer(app);
    const answer = await rawExchange(server.port, request);
    expect(answer.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(problemOf(answer).status).toBe(status);
  });
});
