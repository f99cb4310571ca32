import { beforeAll, describe, expect, it } from 'vitest';
import { createFakeEpayApp } from '../app.js';
import type { FakeEpayState } from '../state.js';
import { testKeyPem, tokenForm } from '../test-support.js';
import { TOKEN_SCOPE } from '../token-request.js';

let request: (path: string, init?: RequestInit) => Promise<Response>;
let state: FakeEpayState;

beforeAll(async () => {
  const created = await createFakeEpayApp({ privateKeyPem: testKeyPem() });
  request = async (path, init) => created.app.request(path, init);
  state = created.state;
});

const postForm = (form: Record<string, string> | URLSearchParams | FormData) =>
  request('/oauth2/token', {
    method: 'POST',
    body: form instanceof URLSearchParams || form instanceof FormData ? form : new URLSearchParams(form),
  });

describe('POST /oauth2/token', () => {
  it('issues a bearer token for a complete urlencoded form, with the bank’s answer shape', async () => {
    const res = await postForm(tokenForm('000000100001', '100'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(body).toMatchObject({ expires_in: 7200, scope: TOKEN_SCOPE, token_type: 'Bearer' });
    expect(body.access_token).toMatch(/^[A-Z0-9_-]{20,}$/);
    expect(state.calls.at(-1)).toMatchObject({
      method: 'POST',
      path: '/oauth2/token',
      invoiceId: '000000100001',
      status: 200,
    });
  });

  it('accepts multipart/form-data too', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries(tokenForm('000000100002', '10.5'))) form.append(name, value);
    expect((await postForm(form)).status).toBe(200);
  });

  it('answers expires_in as a string when asked to', async () => {
    const { app } = await createFakeEpayApp({ privateKeyPem: testKeyPem(), expiresInAsString: true });
    const res = await app.request('/oauth2/token', {
      method: 'POST',
      body: new URLSearchParams(tokenForm('000000100003', '1')),
    });
    expect(((await res.json()) as { expires_in: unknown }).expires_in).toBe('7200');
  });

  it('refuses wrong credentials with 401 invalid_client', async () => {
    const overrides: Array<Record<string, string>> = [{ client_id: 'other' }, { client_secret: 'wrong-secret' }];
    for (const override of overrides) {
      const res = await postForm({ ...tokenForm('000000100004', '100'), ...override });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    }
  });

  it('never quotes the secret it was given in its error', async () => {
    const res = await postForm({ ...tokenForm('000000100004', '100'), client_secret: 'my-wrong-secret-123' });
    expect(await res.text()).not.toContain('my-wrong-secret-123');
  });

  it.each(['grant_type', 'scope', 'client_id', 'client_secret', 'invoiceID', 'amount', 'currency', 'terminal'])(
    'refuses a form without %s (400)',
    async (field) => {
      const form = tokenForm('000000100005', '100');
      delete form[field];
      const res = await postForm(form);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    },
  );

  it.each([
    ['grant_type', 'password', 'unsupported_grant_type'],
    ['scope', 'webapi payment', 'invalid_scope'],
    ['scope', `${TOKEN_SCOPE} `, 'invalid_scope'],
    ['invoiceID', '12345', 'invalid_request'],
    ['invoiceID', '1234567890123456', 'invalid_request'],
    ['invoiceID', 'INV-000001', 'invalid_request'],
    ['amount', '0', 'invalid_request'],
    ['amount', '-5', 'invalid_request'],
    ['amount', '10.555', 'invalid_request'],
    ['amount', '1e2', 'invalid_request'],
    ['amount', '10,50', 'invalid_request'],
    ['amount', ' 10', 'invalid_request'],
    ['currency', 'kzt', 'invalid_request'],
    ['currency', 'XYZ', 'invalid_request'],
    ['terminal', '00000000-0000-0000-0000-000000000000', 'invalid_request'],
  ])('refuses %s = %j with 400 %s', async (field, value, error) => {
    const res = await postForm({ ...tokenForm('000000100006', '100'), [field]: value });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error });
  });

  it('refuses an unknown field and a repeated field', async () => {
    expect((await postForm({ ...tokenForm('000000100007', '100'), postLink: 'https://x.example' })).status).toBe(400);
    const repeated = new URLSearchParams(tokenForm('000000100007', '100'));
    repeated.append('amount', '200');
    expect((await postForm(repeated)).status).toBe(400);
  });

  it('is only a POST, and a wrong method or path is still recorded', async () => {
    const res = await request('/oauth2/token?client_secret=x');
    expect(res.status).toBe(404);
    expect(state.calls.at(-1)).toMatchObject({ method: 'GET', path: '/oauth2/token', status: 404 });
  });

  it('refuses a JSON body', async () => {
    const res = await request('/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(tokenForm('000000100008', '100')),
    });
    expect(res.status).toBe(400);
  });
});
