/** @module Local stand-ins for Halyk ePay and Apple Pay, with the real cryptography. */
export * from './epay/index.js';
export * from './apple/index.js';
