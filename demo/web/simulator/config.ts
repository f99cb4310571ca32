/** @module What the simulated wallet asks the demo server for: the wallet's cards and the validation URL, and a token for the chosen card. */

/** A card of the simulated wallet (no PAN: the server keeps those). */
export interface WalletCard {
  id: string;
  label: string;
  network: string;
  outcome: string;
}

/** A delivery address of the simulated wallet. */
export interface WalletAddress {
  id: string;
  label: string;
  /** Apple's `ApplePayPaymentContact` address fields (`addressLines`, `locality`, `postalCode`, `countryCode`, …). */
  address: Record<string, string | string[]>;
}

/** The simulator's settings, from `GET /demo-api/simulator`. */
export interface SimulatorConfig {
  /** The sandbox Apple gateway's URL: what Safari passes to `onvalidatemerchant`. */
  validationURL: string;
  cards: WalletCard[];
  contact: { billingContact: Record<string, string>; shippingContact: Record<string, string> };
  addresses: WalletAddress[];
}

let config: Promise<SimulatorConfig> | undefined;

/** Fetched once per page; a failure is retried on the next sheet. */
export function simulatorConfig(): Promise<SimulatorConfig> {
  config ??= fetch('/demo-api/simulator', { cache: 'no-store' }).then(async (res) => {
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as SimulatorConfig;
  });
  config.catch(() => (config = undefined));
  return config;
}

/**
 * A payment token minted by the sandbox Apple for the chosen card and the sheet's total, encrypted for the sandbox
 * merchant's Payment Processing key, as Apple's servers make it.
 */
export async function mintToken(card: string, amount: string, currencyCode: string): Promise<unknown> {
  const res = await fetch('/demo-api/apple-pay-token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ card, amount, currencyCode }),
    cache: 'no-store',
  });
  if (!res.ok) throw new Error(`The sandbox Apple refused to mint a token (HTTP ${res.status})`);
  return res.json();
}
