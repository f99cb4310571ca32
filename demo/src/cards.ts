/**
 * @module The cards in the simulated Apple Pay wallet. Their device PANs stay on the server: the page knows only an id
 * and a label, and gets back a token in which the PAN is encrypted for the merchant, as Apple's is.
 */

/** A card the simulated sheet offers. */
export interface WalletCard {
  id: string;
  /** What the sheet shows, e.g. "Visa •••• 0001". */
  label: string;
  network: 'Visa' | 'MasterCard';
  /** What the sandbox bank does with it (docs/sandbox.md: the PAN's last two digits pick the scenario). */
  outcome: string;
}

/** A wallet card with the device PAN the sandbox Apple puts in its token. */
interface ServerCard extends WalletCard {
  pan: string;
}

const CARDS: readonly ServerCard[] = [
  { id: 'visa-0001', label: 'Visa •••• 0001', network: 'Visa', outcome: 'pays', pan: '4400430100000001' },
  {
    id: 'visa-0011',
    label: 'Visa •••• 0011',
    network: 'Visa',
    outcome: 'asks for 3-D Secure',
    pan: '4400430100000011',
  },
  {
    id: 'mc-0051',
    label: 'Mastercard •••• 0051',
    network: 'MasterCard',
    outcome: 'declined: insufficient funds',
    pan: '5169490100000051',
  },
];

/**
 * The wallet as the page may see it: no PANs.
 *
 * @example
 * walletCards()[0]; // { id: 'visa-0001', label: 'Visa •••• 0001', network: 'Visa', outcome: 'pays' }
 */
export function walletCards(): WalletCard[] {
  return CARDS.map(({ pan: _pan, ...card }) => card);
}

/**
 * The device PAN of a wallet card, for minting its token on the server.
 *
 * @example
 * cardPan('visa-0011'); // '4400430100000011'
 */
export function cardPan(id: unknown): { pan: string; network: string; label: string } | undefined {
  const card = CARDS.find((c) => c.id === id);
  return card && { pan: card.pan, network: card.network, label: card.label };
}
