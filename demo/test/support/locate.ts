/**
 * @module Finding a `Selector` inside the page, the same way in both engines: one script, sent as source text (never a
 * compiled function, whose transpiled form could name helpers the page lacks), that walks CSS steps through open shadow
 * roots and filters by text; and the polling both drivers use to wait on what it reports.
 */
import type { Selector, WaitState } from './page-driver.js';

/** How often a wait looks at the page again. */
const POLL_INTERVAL_MS = 50;

/** A selector as the page script takes it (a RegExp does not survive JSON). */
interface PageQuery {
  steps: string[];
  text?: { includes: string } | { source: string; flags: string };
}

/** What the page script reports about a selector now. */
export interface MatchState {
  /** Elements that match. */
  count: number;
  /** Of those, how many are rendered. */
  visible: number;
  /** For a single match: whether a person could click or type into it now (rendered and not disabled). */
  actionable: boolean;
  /** For a single match: its `textContent`. */
  text: string | null;
}

// Runs in the page. Plain ES2017, no helpers: the same text goes through Playwright and WebDriver.
const PAGE_SCRIPT = `function (query, want) {
  var scopes = [document];
  for (var i = 0; i < query.steps.length; i++) {
    var next = [];
    for (var j = 0; j < scopes.length; j++) {
      var root = i === 0 ? scopes[j] : scopes[j].shadowRoot;
      if (root) next.push.apply(next, Array.prototype.slice.call(root.querySelectorAll(query.steps[i])));
    }
    scopes = next;
  }
  var squash = function (s) { return (s || '').replace(/\\s+/g, ' ').trim(); };
  var t = query.text;
  var found = !t ? scopes : scopes.filter(function (el) {
    var text = squash(el.textContent);
    return 'includes' in t ? text.indexOf(t.includes) >= 0 : new RegExp(t.source, t.flags).test(text);
  });
  var shown = function (el) {
    return el.isConnected && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  if (want === 'element') return found.length === 1 ? found[0] : null;
  var one = found.length === 1 ? found[0] : null;
  return {
    count: found.length,
    visible: found.filter(shown).length,
    actionable: !!one && shown(one) && !(one.matches(':disabled')),
    text: one ? one.textContent : null
  };
}`;

function toQuery(selector: Selector): PageQuery {
  const { css, text } = typeof selector === 'string' ? { css: selector, text: undefined } : selector;
  const steps = css.split('>>>').map((s) => s.trim());
  if (steps.some((s) => s === '')) throw new Error(`Selector "${css}": an empty step around >>>`);
  if (text === undefined) return { steps };
  return { steps, text: typeof text === 'string' ? { includes: text } : { source: text.source, flags: text.flags } };
}

/**
 * A JavaScript expression whose value is the locate script's answer for the selector.
 *
 * @example
 * await page.evaluate<MatchState>(locateExpression('#total', 'state'));
 */
export function locateExpression(selector: Selector, want: 'state' | 'element'): string {
  return `(${PAGE_SCRIPT})(${JSON.stringify(toQuery(selector))}, ${JSON.stringify(want)})`;
}

/** How a selector reads in an error message. */
export function describeSelector(selector: Selector): string {
  if (typeof selector === 'string') return `"${selector}"`;
  return `"${selector.css}"${selector.text === undefined ? '' : ` with text ${String(selector.text)}`}`;
}

/** The condition a wait holds out for, over the page script's report. */
export function satisfied(state: MatchState, goal: WaitState | 'actionable'): boolean {
  if (goal === 'hidden') return state.visible === 0;
  if (goal === 'visible') return state.visible > 0;
  return state.count === 1 && state.actionable;
}

/** Why a wait has not succeeded yet, for the timeout's message. */
export function explain(state: MatchState | undefined, goal: WaitState | 'actionable'): string {
  if (!state) return 'the page never answered';
  if (goal === 'hidden') return `${state.visible} still visible`;
  if (state.count === 0) return 'nothing matches';
  if (goal === 'actionable' && state.count > 1) return `${state.count} elements match, one was expected`;
  return goal === 'visible' ? `${state.count} match, none visible` : 'it is hidden or disabled';
}

/**
 * Asks the page for a selector's state until the goal holds, or fails after `timeoutMs` saying what it saw last.
 * Errors of the page script (a navigation in between) count as "not yet".
 *
 * @example
 * await waitForState((expr) => page.evaluate(expr), '#total', 'visible', 10_000);
 */
export async function waitForState(
  evaluate: (expression: string) => Promise<MatchState>,
  selector: Selector,
  goal: WaitState | 'actionable',
  timeoutMs: number,
): Promise<void> {
  const expression = locateExpression(selector, 'state');
  const end = Date.now() + timeoutMs;
  let last: MatchState | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await evaluate(expression);
      error = undefined;
      if (satisfied(last, goal)) return;
    } catch (e) {
      error = e;
    }
    if (Date.now() > end) {
      const why = error instanceof Error && !last ? error.message : explain(last, goal);
      throw new Error(`Waited ${timeoutMs} ms for ${describeSelector(selector)} to be ${goal}: ${why}`);
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}

/**
 * The text of the one element a selector matches now; null when none does; an error when several do.
 *
 * @example
 * const total = await readText((expr) => page.evaluate(expr), '#total');
 */
export async function readText(
  evaluate: (expression: string) => Promise<MatchState>,
  selector: Selector,
): Promise<string | null> {
  const state = await evaluate(locateExpression(selector, 'state'));
  if (state.count > 1)
    throw new Error(`${describeSelector(selector)}: ${state.count} elements match, one was expected`);
  return state.text;
}
