/**
 * @module The demo checkout: a basket priced and signed by the shop's backend, the real `<epay-applepay-button>` from
 * the widget's ES module, a live log of everything that happens, the sandbox bank's ledger, and the events the shop's
 * backend received from the proxy.
 */
import '@epay-applepay/widget';
import type { EpayApplePayButton } from '@epay-applepay/widget';
import { money, renderBasket, requestOrder, type Product } from './basket.js';
import { eventLog } from './event-log.js';
import { listenForOutcomes } from './outcomes.js';
import { watchShopEvents } from './events-panel.js';
import { refreshLedger, refreshLedgerIfStale, showTerminalMode } from './ledger-panel.js';

/** Quantities settle before the shop signs a new order. */
const REORDER_DEBOUNCE_MS = 250;

declare global {
  interface Window {
    EpayDemoSimulator?: { installed: boolean; role: 'sdk' | 'page' };
  }
  interface WindowEventMap {
    'epay-demo-simulator': CustomEvent<{ message: string }>;
  }
}

const $ = <T extends Element>(selector: string) => document.querySelector<T>(selector)!;
const button = $<EpayApplePayButton>('#pay');
const outcome = $<HTMLDivElement>('#outcome');
const ledger = $<HTMLTableSectionElement>('#ledger');
const log = eventLog($<HTMLOListElement>('#log'));

// The switch: the simulation in front of the page (`/`), or the element loading a stand-in of Apple's SDK through its
// `sdk` attribute (`/?mode=apple-sdk`, which the demo server renders into the element). Where Apple Pay really exists
// neither is installed (simulator/index.ts) and this says why the demo cannot pay.
const sdkMode = button.hasAttribute('sdk');
$(sdkMode ? '#mode-sdk' : '#mode-simulated').setAttribute('aria-current', 'page');
const afterTheBrowser =
  'Everything after the browser is real: the proxy validates the merchant over mutual TLS with the sandbox Apple, ' +
  'verifies and decrypts the token, and pays through the sandbox bank.';
const mode = $<HTMLParagraphElement>('#mode');
if (sdkMode && !('ApplePaySession' in window)) {
  mode.textContent =
    `Chrome with Apple's SDK: nothing is simulated in front of this page. The element (sdk="${button.getAttribute('sdk')}") ` +
    "loads a stand-in of Apple's Apple Pay JS SDK, which defines ApplePaySession and Apple's <apple-pay-button> a " +
    "moment later; where Apple's real SDK would show a code to scan with an iPhone, the stand-in draws its sheet in " +
    `this page. ${afterTheBrowser}`;
} else if (window.EpayDemoSimulator?.installed) {
  mode.textContent =
    "This browser has no Apple Pay, so the demo installed a simulated ApplePaySession and a stand-in of Apple's " +
    `<apple-pay-button>, as a page that loads Apple's SDK itself would have them: its sheet is drawn in this page. ${afterTheBrowser}`;
} else {
  mode.classList.add('real');
  mode.textContent =
    'This browser has Apple Pay, so the demo leaves it alone (no simulation). The sandbox cannot validate a real Apple Pay ' +
    'merchant: to watch the whole flow, open this page in a browser without Apple Pay (Chrome, Firefox, Edge).';
}

// The simulated wallet's own steps, in the same log.
window.addEventListener('epay-demo-simulator', (e) => log.add('sim', 'simulated Apple Pay', e.detail.message));

let products: Product[] = [];
let quantities = new Map<string, number>();
let reorderTimer: ReturnType<typeof setTimeout> | undefined;

async function newOrder(reason: string): Promise<void> {
  button.disabled = true;
  try {
    const signed = await requestOrder([...quantities].map(([sku, qty]) => ({ sku, qty })));
    button.order = signed.order;
    $('#total').textContent = money(signed.amount, signed.currency);
    $('#invoice').textContent = signed.invoiceId;
    button.disabled = false;
    log.add(
      'page',
      `order ${signed.invoiceId} signed`,
      `${reason}: ${signed.description} = ${money(signed.amount, signed.currency)}`,
    );
  } catch (err) {
    $('#total').textContent = '—';
    $('#invoice').textContent = '—';
    log.add('page', 'no order', err instanceof Error ? err.message : String(err), 'fail');
  }
}

function onBasketChange(): void {
  clearTimeout(reorderTimer);
  button.disabled = true;
  reorderTimer = setTimeout(() => void newOrder('basket changed'), REORDER_DEBOUNCE_MS);
}

listenForOutcomes(button, {
  log,
  outcome,
  unavailable: $<HTMLParagraphElement>('#unavailable'),
  ledger,
  newOrder,
});

$('#clear-log').addEventListener('click', () => log.clear());
$('#refresh-ledger').addEventListener('click', () => void refreshLedger(ledger));

async function start(): Promise<void> {
  const res = await fetch('/shop/catalog');
  const catalog = (await res.json()) as {
    products: Product[];
    basket: Array<{ sku: string; qty: number }>;
    maxQty: number;
  };
  products = catalog.products;
  quantities = new Map(catalog.basket.map((l) => [l.sku, l.qty]));
  renderBasket($('#basket'), products, quantities, catalog.maxQty, onBasketChange);
  // An event about a payment this page's ledger does not show as it is now (a 3-D Secure payment settled by the bank
  // after the customer left, say) reloads the ledger.
  watchShopEvents(
    $<HTMLTableSectionElement>('#shop-events'),
    $<HTMLParagraphElement>('#shop-events-counts'),
    (payments) => void refreshLedgerIfStale(ledger, payments),
  );
  await Promise.all([
    newOrder('page loaded'),
    refreshLedger(ledger),
    showTerminalMode($<HTMLParagraphElement>('#terminal-mode')),
  ]);
}
void start();
