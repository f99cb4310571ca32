/** @module A fake proxy: replaces `fetch` and answers `/applepay/session` and `/applepay/payments` as each test tells it. */

/** One answer: a Response, a network failure, silence until the caller gives up, or a function of the request. */
export type Reply = Response | 'network-error' | 'hang' | ((request: RecordedRequest) => Reply | Promise<Reply>);

/** A request the element sent, with its JSON body parsed. */
export interface RecordedRequest {
  url: string;
  path: string;
  method: string;
  headers: Headers;
  body: any;
  signal: AbortSignal | undefined;
  /** Set when the element gave up on the call (timeout or the customer's cancel). */
  aborted: boolean;
}

export interface FakeProxy {
  requests: RecordedRequest[];
  session: Reply;
  payments: Reply;
  uninstall(): void;
}

/** A JSON answer. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A text answer (an HTML error page, garbage). */
export function text(status: number, body: string, type = 'text/html'): Response {
  return new Response(body, { status, headers: { 'content-type': type } });
}

/** The proxy's JSON error shape. */
export function proxyError(status: number, code: string, message = `${code} happened`): Response {
  return json(status, { status: 'error', error: { code, message } });
}

/** Apple's merchant session object, as the proxy passes it on unchanged. */
export const MERCHANT_SESSION = {
  epochTimestamp: 1_700_000_000_000,
  expiresAt: 1_700_003_600_000,
  merchantSessionIdentifier: 'SSH0123456789',
  nonce: 'abc123',
  merchantIdentifier: 'ABCDEF',
  domainName: 'localhost',
  displayName: 'Example Shop',
  signature: 'c2lnbmF0dXJl',
};

/** The proxy's paid answer. */
export const PAID = {
  status: 'paid',
  payment: {
    id: '7943816b-58a8-47f6-a11e-67b63c4228c7',
    invoiceId: '000123456',
    amount: 1500,
    currency: 'KZT',
    reference: '114537489258',
  },
};

/** The proxy's answer when the bank asks for 3-D Secure. */
export const THREE_DS = {
  status: '3ds',
  form: {
    action: 'https://epay-proxy.homebank.kz/3ds',
    fields: { PaReq: 'eyJwYXJlcSI6MX0', MD: 'MjAxYmQ5', TermUrl: 'https://pay.example.kz/3ds/callback?c=sealed' },
  },
};

/**
 * Replaces `window.fetch` until `uninstall()`. Defaults: a merchant session, then `paid`.
 *
 * @example
 * const proxy = installFakeProxy({ payments: json(402, { status: 'declined', error: {…} }) });
 */
export function installFakeProxy(replies: { session?: Reply; payments?: Reply } = {}): FakeProxy {
  const original = window.fetch;
  const proxy: FakeProxy = {
    requests: [],
    session: replies.session ?? (() => json(200, MERCHANT_SESSION)),
    payments: replies.payments ?? (() => json(200, PAID)),
    uninstall() {
      window.fetch = original;
    },
  };
  window.fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input instanceof Request ? input.url : input), location.href);
    const request: RecordedRequest = {
      url: url.href,
      path: url.pathname,
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
      signal: init.signal ?? undefined,
      aborted: false,
    };
    proxy.requests.push(request);
    init.signal?.addEventListener('abort', () => (request.aborted = true));
    const route = url.pathname.endsWith('/applepay/session')
      ? proxy.session
      : url.pathname.endsWith('/applepay/payments')
        ? proxy.payments
        : text(404, 'Not Found');
    return answer(route, request);
  };
  return proxy;
}

async function answer(reply: Reply, request: RecordedRequest): Promise<Response> {
  const abortError = () => new DOMException('The operation was aborted.', 'AbortError');
  if (request.signal?.aborted) throw abortError();
  if (typeof reply === 'function') return answer(await reply(request), request);
  if (reply === 'network-error') throw new TypeError('Failed to fetch');
  if (reply === 'hang') {
    // Like fetch: nothing arrives, and the caller's abort rejects the call.
    return new Promise((_, reject) => request.signal?.addEventListener('abort', () => reject(abortError())));
  }
  return reply.clone();
}

/** Waits `ms` milliseconds; for replies that answer late. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
