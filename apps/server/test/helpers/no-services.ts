import type { ServiceFactory } from '../../src/calls/services.ts';

/** Services for servers that take no call: a call would fail loudly. */
export const noServices: ServiceFactory = () => {
  throw new Error('this test server takes no calls');
};
