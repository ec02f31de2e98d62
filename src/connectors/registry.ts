// Picks the connector for a connection's provider.
import type { Connection, Provider } from '../domain/model.js';
import { createBitriseConnector } from './bitrise/connector.js';
import { BITRISE_RAW_READERS } from './bitrise/reread.js';
import { normalizeBuildSteps } from './bitrise/steps.js';
import { createBuildkiteConnector } from './buildkite/connector.js';
import { BUILDKITE_RAW_READERS } from './buildkite/reread.js';
import type { Connector, ConnectorOptions, RawRunReader, StepListReader } from './contract.js';

/** Readers of stored run payloads, by raw payload kind (a table: steps and other kinds join it). */
export const RAW_RUN_READERS: Readonly<Record<string, RawRunReader>> = {
  ...BITRISE_RAW_READERS,
  ...BUILDKITE_RAW_READERS,
};

/** Readers of stored step lists, by provider: those whose steps come apart from their runs (Bitrise). */
export const STEP_LIST_READERS: Readonly<Partial<Record<Provider, StepListReader>>> = {
  bitrise: normalizeBuildSteps,
};

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
