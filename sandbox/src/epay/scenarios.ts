/** @module The test-data-driven outcomes of a cryptopay call (documented in docs/sandbox.md). */
import { toMinorUnits } from './amount.js';

/** What the bank does with a valid cryptopay call. */
export type ScenarioOutcome =
  | { kind: 'paid' }
  | { kind: '3ds' }
  | { kind: 'declined'; code: number; message: string }
  /** Answers a not-final code; `charged` says whether the money was actually taken. */
  | { kind: 'not_final'; code: number; message: string; charged: boolean }
  /**
   * Refuses with a code that is not a final decline; `charged`: the payment went through all the same (a public mock
   * of the bank answers 477 "operation already exists" so); otherwise nothing is recorded (the status call finds no
   * transaction).
   */
  | { kind: 'refused'; code: number; message: string; charged: boolean; terminalNotFound?: boolean }
  | { kind: 'slow' }
  | { kind: 'garbage' }
  /**
   * The bank's own 500 error shape. `charged`: the money was taken all the same; `terminalNotFound`: the status call
   * of the invoice then answers 104 "Terminal not found".
   */
  | { kind: 'server_error'; charged?: boolean; terminalNotFound?: boolean }
  | { kind: 'dropped'; charged: boolean };

/** The scenario table, keyed by two digits. Anything unlisted is `paid`. */
export const SCENARIOS: Readonly<Record<string, ScenarioOutcome>> = {
  '00': { kind: 'paid' },
  '11': { kind: '3ds' },
  '05': { kind: 'declined', code: 5, message: 'Do not honor' },
  '51': { kind: 'declined', code: 51, message: 'Insufficient funds' },
  '87': { kind: 'declined', code: 487, message: 'Not permitted to merchant' },
  '54': { kind: 'not_final', code: 454, message: 'Transaction status is not final, check the status', charged: true },
  '55': { kind: 'not_final', code: 454, message: 'Transaction status is not final, check the status', charged: false },
  '59': { kind: 'not_final', code: 459, message: 'Authorization result is not final, check the status', charged: true },
  '61': { kind: 'slow' },
  '71': { kind: 'garbage' },
  '72': { kind: 'server_error' },
  '75': { kind: 'server_error', charged: true, terminalNotFound: true },
  '77': { kind: 'refused', code: 477, message: 'Operation already exists', charged: true },
  '58': { kind: 'refused', code: 458, message: 'Payment system timeout', charged: false },
  '57': {
    kind: 'refused',
    code: 57,
    message: 'Transaction not permitted to cardholder',
    charged: false,
    terminalNotFound: true,
  },
  '76': { kind: 'refused', code: 476, message: 'Payment system unavailable', charged: false, terminalNotFound: true },
  '73': { kind: 'dropped', charged: true },
  '74': { kind: 'dropped', charged: false },
};

/** The decline a customer gets for failing (or declining) the 3-D Secure check. */
export const THREE_DS_FAILED = { code: 455, message: '3-D Secure authentication failed' } as const;

/**
 * The two-digit scenario of a payment: the amount's minor units when not `00`, else the device
 * PAN's last two digits when there is a PAN, else `00`.
 *
 * @example
 * ```ts
 * scenarioKey(100.05, undefined); // '05'
 * scenarioKey(100, '4400430000000011'); // '11'
 * ```
 */
export function scenarioKey(amount: number, pan: string | undefined): string {
  const minor = String(toMinorUnits(amount) % 100).padStart(2, '0');
  if (minor !== '00') return minor;
  return pan ? pan.slice(-2) : '00';
}

/**
 * The outcome for a payment.
 *
 * @example
 * ```ts
 * pickScenario(100.87, undefined); // { kind: 'declined', code: 487, … }
 * ```
 */
export function pickScenario(amount: number, pan: string | undefined): ScenarioOutcome {
  return SCENARIOS[scenarioKey(amount, pan)] ?? { kind: 'paid' };
}
