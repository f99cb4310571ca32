/** @module The fake Apple Pay gateway: HTTPS with mandatory client certificates, answering merchant session requests like Apple. */
import { createHash, createPrivateKey, randomBytes, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MERCHANT_ID_OID } from './certificates.js';

/** A running fake gateway. */
export interface FakeAppleGateway {
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`: the entry for APPLE_VALIDATION_HOSTS. */
  host: string;
  /** `url` + `/paymentservices/paymentSession`. */
  validationUrl: string;
  /** Every session handed out, oldest first. */
  sessions: Array<{ merchantIdentifier: string; initiativeContext: string; at: Date }>;
  close(): Promise<void>;
}

/** What the gateway is built from. */
export interface GatewayKeys {
  tlsServer: { certPem: string; keyPem: string };
  /** Client certificates must chain to this (the fake Apple root). */
  rootCaPem: string;
  /** Signs the session's `signature` field, as Apple's broker does. */
  leaf: { keyPem: string };
}

const SESSION_PATHS = new Set(['/paymentservices/paymentSession', '/paymentservices/startSession']);
/** Apple's merchant sessions expire after an hour. */
const SESSION_LIFETIME_MS = 3600_000;
/** A session request is a few hundred bytes. */
const MAX_REQUEST_BYTES = 16 * 1024;
/** Apple's rule: displayName at most 64 UTF-8 characters. */
const MAX_DISPLAY_NAME_LENGTH = 64;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Apple's error shape for a refused session request. */
function refuse(res: ServerResponse, status: number, message: string): void {
  answer(res, status, { statusMessage: message, statusCode: String(status) });
}

function merchantIdHashOfPeer(req: IncomingMessage): string | undefined {
  const peer = (req.socket as TLSSocket).getPeerCertificate();
  if (!peer?.raw) return undefined;
  const extension = pkijs.Certificate.fromBER(peer.raw).extensions?.find((e) => e.extnID === MERCHANT_ID_OID);
  if (!extension) return undefined;
  const value = (asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result.valueBlock as { value?: unknown })
    .value;
  return typeof value === 'string' ? value.toUpperCase() : undefined;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the gateway. It demands a client certificate chained to the fake Apple root (TLS refuses
 * anything else), checks that the body's merchant identifier is the one in that certificate, and answers
 * a merchant session shaped like Apple's.
 *
 * @example
 * const gateway = await startFakeAppleGateway(keys, { port: 0 });
 * gateway.validationUrl; // 'https://127.0.0.1:54321/paymentservices/paymentSession'
 */
export async function startFakeAppleGateway(
  keys: GatewayKeys,
  o: { host?: string; port?: number } = {},
): Promise<FakeAppleGateway> {
  const sessions: FakeAppleGateway['sessions'] = [];
  const signingKey = createPrivateKey(keys.leaf.keyPem);

  const server: Server = createServer(
    {
      cert: keys.tlsServer.certPem,
      key: keys.tlsServer.keyPem,
      ca: keys.rootCaPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      void handle(req, res).catch(() => {
        if (!res.headersSent) refuse(res, 500, 'Payment Services Exception');
        else res.destroy();
      });
    },
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!SESSION_PATHS.has(path)) return refuse(res, 404, 'Not Found');
    if (req.method !== 'POST') return refuse(res, 405, 'Method Not Allowed');
    const text = await readBody(req);
    if (text === undefined) return refuse(res, 413, 'Payload Too Large');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return refuse(res, 400, 'Payment Services Exception: the request body is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return refuse(res, 400, 'Payment Services Exception: bad request');
    const { merchantIdentifier, displayName, initiative, initiativeContext } = body as Record<string, unknown>;
    if (typeof merchantIdentifier !== 'string' || merchantIdentifier === '') {
      return refuse(res, 400, 'Payment Services Exception: merchantIdentifier is missing');
    }
    if (typeof displayName !== 'string' || displayName === '' || [...displayName].length > MAX_DISPLAY_NAME_LENGTH) {
      return refuse(res, 400, 'Payment Services Exception: displayName is missing or longer than 64 characters');
    }
    if (initiative !== 'web') return refuse(res, 400, 'Payment Services Exception: initiative must be web');
    if (typeof initiativeContext !== 'string' || !DOMAIN.test(initiativeContext)) {
      return refuse(res, 400, 'Payment Services Exception: initiativeContext is not a domain name');
    }
    const merchantIdHash = createHash('sha256').update(merchantIdentifier, 'utf8').digest('hex').toUpperCase();
    if (merchantIdHashOfPeer(req) !== merchantIdHash) {
      return refuse(res, 400, 'Payment Services Exception: merchantId does not match the client certificate');
    }

    const now = Date.now();
    const nonce = randomBytes(4).toString('hex');
    const merchantSessionIdentifier = `SSH${randomBytes(16).toString('hex').toUpperCase()}_${randomUUID().toUpperCase()}`;
    // Apple signs the session with its broker key; the browser only passes it back, so any signature over the fields will do.
    const signature = sign(
      'sha256',
      Buffer.from([merchantSessionIdentifier, nonce, merchantIdHash, initiativeContext, String(now)].join('|')),
      signingKey,
    ).toString('base64');
    sessions.push({ merchantIdentifier, initiativeContext, at: new Date(now) });
    answer(res, 200, {
      epochTimestamp: now,
      expiresAt: now + SESSION_LIFETIME_MS,
      merchantSessionIdentifier,
      nonce,
      merchantIdentifier: merchantIdHash,
      domainName: initiativeContext,
      displayName,
      signature,
      operationalAnalyticsIdentifier: `${displayName}:${merchantIdHash}`,
      retries: 0,
      pspId: merchantIdHash,
    });
  }

  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `https://${hostPort}`;
  return {
    url,
    host: hostPort,
    validationUrl: `${url}/paymentservices/paymentSession`,
    sessions,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
