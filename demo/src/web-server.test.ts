import { describe, expect, it } from 'vitest';
import { SIMULATOR_SCRIPT, STAND_IN_SDK_URL, withSimulator, withStandInSdk } from './web-server.js';

describe('withSimulator', () => {
  it('puts the simulator first in <head>, before the page\u2019s own scripts', () => {
    const html = withSimulator(
      '<!DOCTYPE html><html><head lang="en"><script type="module" src="/a.js"></script></head></html>',
    );
    expect(html.indexOf(SIMULATOR_SCRIPT)).toBeLessThan(html.indexOf('/a.js'));
    expect(html).toContain(`<head lang="en">\n<script src="${SIMULATOR_SCRIPT}"></script>`);
  });
});

describe('withStandInSdk', () => {
  it('gives each element the stand-in SDK as its sdk, and puts nothing in front of the page', () => {
    const html = withStandInSdk(
      '<head><script type="module" src="/a.js"></script></head><epay-applepay-button id="pay" proxy="/pay"></epay-applepay-button>',
    );
    expect(html).toContain(`<epay-applepay-button sdk="${STAND_IN_SDK_URL}" id="pay" proxy="/pay">`);
    expect(html).not.toContain(`<script src="${SIMULATOR_SCRIPT}"`);
    expect(STAND_IN_SDK_URL).toBe(`${SIMULATOR_SCRIPT}?as=apple-pay-sdk`);
  });
});
