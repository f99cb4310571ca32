/**
 * @module A setting of the demo's proxy process, read from its environment (Linux /proc): the demo prints its secrets
 * nowhere, so this is the one way a test can know what to look for.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The value of `name` in the environment of the process listening on `proxyUrl`'s port.
 *
 * @example
 * const key = proxySetting(sandbox.proxyUrl, 'OPERATIONS_API_KEYS');
 */
export function proxySetting(proxyUrl: string, name: string): string {
  const port = new URL(proxyUrl).port;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let vars: string[];
    try {
      vars = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!vars.includes(`PORT=${port}`)) continue;
    const value = vars.find((v) => v.startsWith(`${name}=`))?.slice(name.length + 1);
    if (value) return value;
  }
  throw new Error(`No process with PORT=${port} and ${name}`);
}
