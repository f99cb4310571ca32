/** @module The longest wait Node's timers honour: a longer `setTimeout` fires at once, so the sandbox refuses it. */

/** 2^31 - 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2_147_483_647;
