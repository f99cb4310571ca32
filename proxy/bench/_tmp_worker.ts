import { parentPort } from 'node:worker_threads';
import { loadConfig } from '/work/main/proxy/src/config.js';
const x: number = 1;
(globalThis as any).gc?.();
parentPort!.postMessage({ ok: typeof loadConfig, gc: typeof (globalThis as any).gc, x });
