/** @module Types for the test files: mocha's globals, as @web/test-runner provides them. */
/// <reference types="mocha" />
