import { describe, expect, it } from 'vitest';
import { cardPan, walletCards } from './cards.js';

describe('the simulated wallet', () => {
  it('shows the page ids and labels, never a PAN', () => {
    const cards = walletCards();
    expect(cards.map((c) => c.id)).toEqual(['visa-0001', 'visa-0011', 'mc-0051']);
    expect(JSON.stringify(cards)).not.toMatch(/\d{12,19}/);
  });

  it('picks the sandbox scenario by the PAN\u2019s last two digits (paid, 3-D Secure, insufficient funds)', () => {
    expect(['visa-0001', 'visa-0011', 'mc-0051'].map((id) => cardPan(id)?.pan.slice(-2))).toEqual(['01', '11', '51']);
    expect(cardPan('nope')).toBeUndefined();
  });
});
