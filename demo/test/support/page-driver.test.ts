/**
 * The two `PageDriver`s keep one contract, checked on a small page in each engine: `>>>` enters shadow roots, text
 * filters, one match expected for actions and reads, clicks wait for an enabled control and arrive as trusted input
 * with user activation, fill types, waits fail with the selector in the message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchEngine } from './engines.js';
import { chosenEngines, type EngineBrowser, type PageDriver } from './page-driver.js';

const PAGE = `<!DOCTYPE html><html><body>
<p class="twin">one</p><p class="twin">two</p>
<div id="host"></div>
<input id="field">
<p id="later" hidden>later</p>
<script>
  const root = document.getElementById('host').attachShadow({ mode: 'open' });
  root.innerHTML = '<button id="go" disabled>Go</button><button id="other">Other</button>';
  const go = root.getElementById('go');
  root.getElementById('other').addEventListener('click', () => {
    setTimeout(() => { go.disabled = false; document.getElementById('later').hidden = false; }, 300);
  });
  go.addEventListener('click', (e) => {
    document.body.dataset.clicked = [e.isTrusted, navigator.userActivation ? navigator.userActivation.isActive : 'n/a'].join(' ');
  });
</script></body></html>`;
const PAGE_URL = `data:text/html;charset=utf-8,${encodeURIComponent(PAGE)}`;
/** Long enough for the page's 300 ms delay, short enough that the failing waits below cost little. */
const QUICK_STEP_MS = 1_000;

describe.each(chosenEngines())('the page driver in %s', (engine) => {
  let browser: EngineBrowser;
  let page: PageDriver;

  beforeAll(async () => {
    browser = await launchEngine(engine);
    page = await browser.newPage({ stepTimeoutMs: QUICK_STEP_MS });
    await page.open(PAGE_URL);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it(`finds, waits, clicks as a person would, types and reads [${engine}]`, async () => {
    expect(page.engine).toBe(engine);
    expect(await page.text('#host >>> button#other')).toBe('Other');
    expect(await page.text({ css: '#host >>> button', text: /^G/ })).toBe('Go');
    expect(await page.text('#nothing')).toBeNull();
    await expect(page.text('p.twin')).rejects.toThrow(/2 elements match/);
    expect(await page.text({ css: 'p.twin', text: 'two' })).toBe('two');

    // Other enables Go 300 ms later: the click on Go waits for it, and the page sees trusted input with user activation.
    await page.click('#host >>> button#other');
    expect(await page.evaluate("document.getElementById('host').shadowRoot.getElementById('go').disabled")).toBe(true);
    await page.click({ css: '#host >>> button', text: 'Go' });
    expect(await page.evaluate('document.body.dataset.clicked')).toBe('true true');
    await page.waitFor('#later');

    await page.fill('#field', '42');
    expect(await page.evaluate('document.getElementById("field").value')).toBe('42');
    await page.fill('#field', '7');
    expect(await page.evaluate('document.getElementById("field").value')).toBe('7');
  });

  it(`fails a wait with what it saw [${engine}]`, async () => {
    await expect(page.waitFor('#later', 'hidden')).rejects.toThrow(/"#later" to be hidden: 1 still visible/);
    await expect(page.click('p.twin')).rejects.toThrow(/2 elements match, one was expected/);
  });
});
