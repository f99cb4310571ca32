/** @module Starts the demo by its own command (`pnpm --filter @epay-applepay/demo start`) on free ports, as a person would, and stops it with Ctrl-C. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Keeps the sandbox bank's RSA-4096 key between runs (git-ignored). */
export const TEST_SANDBOX_DIR = join(REPO_ROOT, 'demo', '.cache', 'test-sandbox');
/** Building the widget on a fresh clone, the pages, and a first bank key take a while on two cores. */
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;

/** The sandbox pieces' loopback addresses, from the demo's `/demo-api/sandbox`. */
export interface SandboxUrls {
  bankUrl: string;
  appleGatewayUrl: string;
  proxyUrl: string;
}

export interface RunningDemo {
  url: string;
  child: ChildProcess;
  stdout(): string;
  sandbox: SandboxUrls;
  /** Ctrl-C: SIGINT to the command's whole process group, as a terminal sends it. Resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/**
 * Spawns the demo's start command with DEMO_PORT=0 (and any extra settings, e.g. `DEMO_SINGLE_STAGE: '1'`) and waits for
 * the URL it prints.
 *
 * @example
 * const demo = await startDemoCommand();
 * await fetch(demo.url);
 * await demo.interrupt();
 */
export async function startDemoCommand(extraEnv: Record<string, string> = {}): Promise<RunningDemo> {
  const child = spawn('pnpm', ['--filter', '@epay-applepay/demo', 'start'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DEMO_PORT: '0',
      DEMO_SANDBOX_DIR: TEST_SANDBOX_DIR,
      PUPPETEER_SKIP_DOWNLOAD: '1',
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so the test can send it a terminal's Ctrl-C
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL within ${START_TIMEOUT_MS} ms:\n${out}\n${err}`)),
      START_TIMEOUT_MS,
    );
    const check = () => {
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${String(code)}) before printing its URL:\n${out}\n${err}`));
    });
  });
  const sandbox = (await (await fetch(`${url}demo-api/sandbox`)).json()) as SandboxUrls;

  return {
    url,
    child,
    sandbox,
    stdout: () => out,
    async interrupt() {
      if (child.exitCode !== null) return child.exitCode;
      process.kill(-child.pid!, 'SIGINT');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
