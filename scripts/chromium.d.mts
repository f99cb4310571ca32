/** @module Types of chromium.mjs for the TypeScript that imports it. */
export declare const CHROMIUM: string;
export declare const CHROMIUM_ARGS: readonly string[];
