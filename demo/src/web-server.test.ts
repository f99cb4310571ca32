import { describe, expect, it } from 'vitest';
import { SIMULATOR_SCRIPT, withSimulator } from './web-server.js';

describe('withSimulator', () => {
  it('puts the simulator first in <head>, before the page\u2019s own scripts', () => {
    const html = withSimulator(
      '<!DOCTYPE html><html><head lang="en"><script type="module" src="/a.js"></script></head></html>',
    );
    expect(html.indexOf(SIMULATOR_SCRIPT)).toBeLessThan(html.indexOf('/a.js'));
    expect(html).toContain(`<head lang="en">\n<script src="${SIMULATOR_SCRIPT}"></script>`);
  });
});
