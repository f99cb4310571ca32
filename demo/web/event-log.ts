/** @module The page's live event log. It survives the trip to the bank's 3-D Secure page (sessionStorage), so the story stays whole. */

/** What kind of line: an element event, the simulated wallet, or the page itself. */
export type LogKind = 'event' | 'sim' | 'page';

interface Entry {
  at: number;
  kind: LogKind;
  title: string;
  detail?: string;
  tone?: 'ok' | 'fail';
}

const STORAGE_KEY = 'epay-demo-log';
/** Enough for a long session; older lines fall off. */
const MAX_ENTRIES = 200;

/**
 * Binds the log to an `<ol>`; returns `add` and `clear`.
 *
 * @example
 * const log = eventLog(document.querySelector('#log')!);
 * log.add('event', 'epay-success', JSON.stringify(detail), 'ok');
 */
export function eventLog(list: HTMLOListElement) {
  let entries: Entry[] = [];
  try {
    entries = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]') as Entry[];
  } catch {
    entries = [];
  }
  const render = (e: Entry) => {
    const li = document.createElement('li');
    li.className = [e.kind, e.tone ?? ''].join(' ').trim();
    const time = document.createElement('time');
    time.textContent = new Date(e.at).toLocaleTimeString();
    const kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = e.title;
    li.append(time, kind);
    if (e.detail) {
      const pre = document.createElement('pre');
      pre.textContent = e.detail;
      li.append(pre);
    }
    list.prepend(li);
  };
  entries.forEach(render);
  const save = () => {
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(entries.slice(-MAX_ENTRIES)));
    } catch {
      // storage full or disabled: the log still shows on this page
    }
  };
  return {
    add(kind: LogKind, title: string, detail?: string, tone?: 'ok' | 'fail') {
      const entry: Entry = { at: Date.now(), kind, title, ...(detail ? { detail } : {}), ...(tone ? { tone } : {}) };
      entries.push(entry);
      render(entry);
      save();
    },
    clear() {
      entries = [];
      list.replaceChildren();
      save();
    },
  };
}
