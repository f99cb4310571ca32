import { describe, expect, it } from 'vitest';
import { createSealer, SealError } from './seal.js';

const a = createSealer('a'.repeat(32), '3ds-context');

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SealError);
    return (err as SealError).reason;
  }
  return 'opened';
}

describe('sealed context', () => {
  it('opens what it sealed, on any instance with the same secret', () => {
    const sealed = a.seal({ id: 'x', amount: 1 }, 60_000);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(createSealer('a'.repeat(32), '3ds-context').unseal(sealed)).toEqual({ id: 'x', amount: 1 });
  });

  it('hides its content', () => {
    expect(Buffer.from(a.seal({ invoiceId: '000123456' }, 1000), 'base64url').toString('latin1')).not.toContain(
      '000123456',
    );
  });

  it('refuses tampered, foreign, other-purpose, malformed and expired values', () => {
    const sealed = a.seal({ id: 'x' }, 60_000);
    const raw = Buffer.from(sealed, 'base64url');
    raw[20] = (raw[20] ?? 0) ^ 1;
    expect(reason(() => a.unseal(raw.toString('base64url')))).toBe('tampered');
    expect(reason(() => createSealer('b'.repeat(32), '3ds-context').unseal(sealed))).toBe('tampered');
    expect(reason(() => createSealer('a'.repeat(32), 'other').unseal(sealed))).toBe('tampered');
    expect(reason(() => a.unseal('not base64!'))).toBe('malformed');
    expect(reason(() => a.unseal(''))).toBe('malformed');
    expect(reason(() => a.unseal(sealed.slice(0, 20)))).toBe('malformed');
    const old = a.seal({ id: 'y' }, 1000, Date.now() - 5000);
    expect(reason(() => a.unseal(old))).toBe('expired');
    try {
      a.unseal(old);
    } catch (err) {
      expect((err as SealError).expiredValue).toEqual({ id: 'y' });
    }
  });
});
