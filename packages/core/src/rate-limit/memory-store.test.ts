import { describeRateLimitStore } from '../testing/store-conformance.ts';
import { createMemoryStore } from './memory-store.ts';

describeRateLimitStore({ name: 'memory store', createStore: () => createMemoryStore() });
