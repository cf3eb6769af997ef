/** The provider webhooks a test plays before opening a media stream (shared with the demo caller). */
export * from '../../src/tools/answer-call.ts';
