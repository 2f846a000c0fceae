import { customerSyncV1 } from './customerSync.js';
import { invoiceSyncV1 } from './invoiceSync.js';
import { HandlerRegistry } from './registry.js';

export { HandlerRegistry } from './registry.js';
export type { Handler, HandlerContext, HandlerJob } from './registry.js';

/** The registry the service runs with. */
export function defaultHandlers(): HandlerRegistry {
  return new HandlerRegistry().register('customer_sync', 1, customerSyncV1).register('invoice_sync', 1, invoiceSyncV1);
}
