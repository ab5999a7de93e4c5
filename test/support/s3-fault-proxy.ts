// A real HTTP proxy in front of the real S3 server (moto) that injects the faults S3 clients meet
// in production: 503 SlowDown, connection resets (before the request reaches S3, or halfway
// through an upload so S3 sees a short body), slow response bodies, and 412 on conditional
// writes. Point a store at `proxy.url` (CONDASYNC_S3_ENDPOINT); faults are switched per test.
// Requests are forwarded byte for byte (the Host header included, so SigV4 signatures still hold).
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type S3FaultKind = 'slowdown' | 'reset' | 'reset-mid-upload' | 'slow-body' | 'precondition';

export interface S3FaultRule {
  /** 'precondition' applies only to PUTs with If-Match / If-None-Match, 'reset-mid-upload' only to PUTs. */
  kind: S3FaultKind;
  /** Only requests with this method (GET, PUT, HEAD, …); any method when unset. */
  method?: string;
  /** Only requests whose decoded path (`/bucket/key`) matches. */
  path?: RegExp;
  /** Apply to the next N matching requests only; unlimited when unset. */
  times?: number;
  /** Apply to each matching request with this probability (0–1); 1 when unset. */
  probability?: number;
  /** 'slow-body': response bytes per second. */
  bytesPerSecond?: number;
}

export interface S3FaultProxy {
  /** `http://127.0.0.1:PORT`: use as the S3 endpoint. */
  readonly url: string;
  /** Adds a rule; rules are tried in the order added, the first that applies wins. */
  inject(rule: S3FaultRule): void;
  clear(): void;
  /** Faults injected so far, by kind. */
  readonly injected: Readonly<Record<S3FaultKind, number>>;
  /** Requests forwarded (or refused) so far. */
  readonly requests: number;
  close(): Promise<void>;
}

interface ActiveRule {
  rule: S3FaultRule;
  remaining: number | undefined;
}

const SLOW_CHUNK_BYTES = 16 * 1024;

function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>condasync-fault-proxy</RequestId></Error>`;
}

function isConditionalPut(request: IncomingMessage): boolean {
  return (
    request.method === 'PUT' &&
    (request.headers['if-match'] !== undefined || request.headers['if-none-match'] !== undefined)
  );
}

/** Drains the request body, then answers with an S3 error document. */
async function answerError(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
): Promise<void> {
  for await (const _ of request) {
    // The client sends its body before it reads the answer; refusing to read it would stall it.
  }
  const body = s3ErrorXml(code, message);
  response.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

export async function startS3FaultProxy(target: string): Promise<S3FaultProxy> {
  const targetUrl = new URL(target);
  const rules: ActiveRule[] = [];
  const injected: Record<S3FaultKind, number> = {
    slowdown: 0,
    reset: 0,
    'reset-mid-upload': 0,
    'slow-body': 0,
    precondition: 0,
  };
  let requests = 0;

  function takeFault(request: IncomingMessage): S3FaultRule | undefined {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    for (const active of rules) {
      const { rule } = active;
      if (rule.method !== undefined && rule.method !== request.method) continue;
      if (rule.path !== undefined && !rule.path.test(path)) continue;
      if (rule.kind === 'precondition' && !isConditionalPut(request)) continue;
      if (rule.kind === 'reset-mid-upload' && request.method !== 'PUT') continue;
      if (active.remaining !== undefined && active.remaining <= 0) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      if (active.remaining !== undefined) active.remaining -= 1;
      injected[rule.kind] += 1;
      return rule;
    }
    return undefined;
  }

  function forward(request: IncomingMessage, response: ServerResponse, fault: S3FaultRule | undefined): void {
    const headers = { ...request.headers };
    // Node's server already answered `100 Continue` to the client; S3 must not wait for one.
    delete headers.expect;
    const upstream = httpRequest({
      host: targetUrl.hostname,
      port: targetUrl.port,
      method: request.method,
      path: request.url,
      headers,
    });
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.destroy();
    });
    upstream.on('response', async (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      if (fault?.kind !== 'slow-body') {
        answer.pipe(response);
        return;
      }
      const delayMs = (SLOW_CHUNK_BYTES / (fault.bytesPerSecond ?? 64 * 1024)) * 1000;
      try {
        for await (const chunk of answer) {
          for (let offset = 0; offset < (chunk as Buffer).length; offset += SLOW_CHUNK_BYTES) {
            if (response.destroyed) return;
            response.write((chunk as Buffer).subarray(offset, offset + SLOW_CHUNK_BYTES));
            await sleep(delayMs);
          }
        }
        response.end();
      } catch {
        response.destroy();
      }
    });
    if (fault?.kind !== 'reset-mid-upload') {
      request.pipe(upstream);
      return;
    }
    // Forward about half the announced body, then drop both connections: S3 sees a short upload.
    const half = Math.floor(Number(request.headers['content-length'] ?? 0) / 2);
    let sent = 0;
    request.on('data', (chunk: Buffer) => {
      if (sent >= half) return;
      const part = chunk.subarray(0, half - sent);
      sent += part.length;
      upstream.write(part);
      if (sent >= half) {
        upstream.destroy();
        request.socket.destroy();
      }
    });
    request.on('end', () => {
      upstream.destroy();
      request.socket.destroy();
    });
  }

  const server = createServer((request, response) => {
    requests += 1;
    const fault = takeFault(request);
    switch (fault?.kind) {
      case 'slowdown':
        void answerError(request, response, 503, 'SlowDown', 'Please reduce your request rate.');
        return;
      case 'precondition':
        void answerError(
          request,
          response,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
        return;
      case 'reset':
        request.socket.destroy();
        return;
      default:
        forward(request, response, fault);
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    inject(rule) {
      rules.push({ rule, remaining: rule.times });
    },
    clear() {
      rules.length = 0;
    },
    injected,
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
