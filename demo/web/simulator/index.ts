/**
 * @module The demo's simulated Apple Pay, loaded as a classic script before anything else on the page. It installs a
 * simulated `window.ApplePaySession` only where the browser has none: a real Apple Pay is never replaced.
 * `window.EpayDemoSimulator.installed` tells the page which one it has.
 */
import { SimulatedApplePaySession } from './simulated-session.js';

function install(): boolean {
  if ('ApplePaySession' in window) return false;
  Object.defineProperty(window, 'ApplePaySession', { value: SimulatedApplePaySession, configurable: true, writable: true });
  return true;
}

/** True when this page got the simulation (the browser had no ApplePaySession). */
export const installed = install();
