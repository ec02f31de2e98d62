// The OpenAPI 3.1 document, built from the zod schemas the routes validate with, so it cannot drift.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';
import { errorBody } from './schema.js';

interface RouteSchema {
  summary?: string;
  tags?: string[];
  querystring?: z.ZodType;
  params?: z.ZodType;
  body?: z.ZodType;
  response?: Record<string, z.ZodType>;
  /** Media type of the 200 answer when it is not JSON (e.g. Prometheus text). */
  produces?: string;
}

type JsonSchema = Record<string, unknown>;

const toSchema = (type: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _, ...schema } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as JsonSchema;
  return schema;
};

/** Each property of an object schema becomes one `in: query|path` parameter. */
function parameters(type: z.ZodType | undefined, where: 'query' | 'path') {
  if (!type) return [];
  const schema = toSchema(type, 'input');
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
    ...(where === 'query' && JSON.stringify(property).includes('"array"') ? { explode: true } : {}),
  }));
}

function operation(route: RouteOptions) {
  const schema = (route.schema ?? {}) as RouteSchema;
  const responses: Record<string, unknown> = {};
  for (const [status, type] of Object.entries(schema.response ?? {})) {
    const media = status === '200' && schema.produces ? schema.produces : 'application/json';
    responses[status] = { description: status, content: { [media]: { schema: toSchema(type, 'output') } } };
  }
  responses.default = {
    description: 'error',
    content: { 'application/json': { schema: toSchema(errorBody, 'output') } },
  };
  return {
    summary: schema.summary,
    tags: schema.tags,
    // Who may call it (DESIGN.md "Server access"): open, webhook, viewer or admin; undeclared means admin.
    'x-buildlens-access': route.config?.access ?? 'admin',
    parameters: [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')],
    ...(schema.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: toSchema(schema.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/** Fastify's `/a/:name` as OpenAPI's `/a/{name}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function buildOpenApi(routes: readonly RouteOptions[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (!route.schema) continue;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      paths[openApiPath(route.url)] ??= {};
      (paths[openApiPath(route.url)] as Record<string, unknown>)[method.toLowerCase()] = operation(route);
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'buildlens API', version },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'a named token (buildlens token create) or BUILDLENS_SERVER_TOKEN',
        },
      },
    },
    security: [{}, { bearer: [] }],
    paths,
  };
}

/** Collects every route registered after it, and serves the document at /api/openapi.json. */
export function registerOpenApi(app: FastifyInstance, version: string): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  let document: ReturnType<typeof buildOpenApi> | null = null;
  app.get(
    '/api/openapi.json',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'This document',
        tags: ['meta'],
        response: { 200: z.object({ openapi: z.string() }).catchall(z.unknown()) },
      },
    },
    async () => {
      document ??= buildOpenApi(routes, version);
      return document;
    },
  );
}
