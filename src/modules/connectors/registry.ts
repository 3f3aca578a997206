import type { ConnectorFactory } from './connector.js';
import { carddavConnector } from './carddav/connector.js';
import { httpConnector } from './http/connector.js';
import type { ConnectorKind } from './schema.js';

/** Every connector kind and its implementation (one folder per kind). Adding a kind: one entry here and in CONNECTOR_KINDS. */
export const CONNECTOR_FACTORIES: Record<ConnectorKind, ConnectorFactory> = {
  http: httpConnector,
  carddav: carddavConnector,
};
