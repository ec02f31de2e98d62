// Picks the connector for a connection's provider.
import type { Connection } from '../domain/model.js';
import { createBitriseConnector } from './bitrise/connector.js';
import { createBuildkiteConnector } from './buildkite/connector.js';
import type { Connector, ConnectorOptions } from './contract.js';

export function createConnector(
  connection: Connection,
  token: string,
  options: Partial<ConnectorOptions> = {},
): Connector {
  const settings: ConnectorOptions = { ...options, baseUrl: connection.baseUrl, token, org: connection.org };
  switch (connection.provider) {
    case 'bitrise':
      return createBitriseConnector(settings);
    case 'buildkite':
      return createBuildkiteConnector(settings);
  }
}
