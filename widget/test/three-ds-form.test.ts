/**
 * @module The 3-D Secure form as the engine under test really posts it (no stubbed `submit()`):
 * into a same-origin frame, to the dev server's echo of what arrived (scripts/form-echo-middleware.mjs).
 */
import { postThreeDsForm } from '../src/three-ds.js';
import { deepEqual, equal, ok } from './helpers/assert.js';
import { waitFor } from './helpers/page.js';

const ECHO_PATH = '/__form-echo';
// Characters a urlencoded body must escape: the bank gets the values byte for byte.
const FIELDS = {
  PaReq: 'eJx+/9k=PaReq',
  MD: 'MjAx YmQ5&md=evil',
  TermUrl: 'https://pay.example.kz/3ds/callback?c=sealed&lang=kk',
};

let frame: HTMLIFrameElement | undefined;
afterEach(() => {
  frame?.remove();
  frame = undefined;
});

/** A same-origin frame whose document the form is posted from; resolves with what the server received. */
async function postFromFrame(detail: Parameters<typeof postThreeDsForm>[0]) {
  frame = document.createElement('iframe');
  document.body.append(frame);
  const doc = frame.contentDocument!;
  const form = postThreeDsForm(detail, doc);
  const win = frame.contentWindow!;
  await waitFor(
    () => win.location.pathname === ECHO_PATH && win.document.getElementById('echo'),
    'the posted page',
    6000,
  );
  return { form, doc, echo: JSON.parse(win.document.getElementById('echo')!.textContent!) };
}

describe('3-D Secure form, posted for real', () => {
  it('posts PaReq, MD and TermUrl urlencoded to the action, and nothing else', async () => {
    const { form, doc, echo } = await postFromFrame({ action: `${location.origin}${ECHO_PATH}`, fields: FIELDS });
    equal(form.ownerDocument, doc, 'built in the given document');
    equal(echo.method, 'POST');
    ok(
      String(echo.contentType).startsWith('application/x-www-form-urlencoded'),
      `urlencoded (got ${echo.contentType})`,
    );
    deepEqual(echo.fields, FIELDS);
  });

  it('keeps only the three fields the bank expects, whatever else the answer carries', async () => {
    const detail = {
      action: `${location.origin}${ECHO_PATH}?from=test`,
      fields: { ...FIELDS, extra: 'x', __proto__x: 'y' },
    };
    const { echo } = await postFromFrame(detail as unknown as Parameters<typeof postThreeDsForm>[0]);
    deepEqual(Object.keys(echo.fields).sort(), ['MD', 'PaReq', 'TermUrl']);
  });
});
