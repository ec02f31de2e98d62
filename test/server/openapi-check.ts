// Checks answers against the server's own OpenAPI document, so the documented schemas are the real ones.
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance, InjectOptions } from 'fastify';

type Document = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
};

export interface Caller {
  /** Injects a request, checks the answer against the document, and returns status and parsed body. */
  call(
    method: 'GET' | 'POST' | 'PUT',
    template: string,
    options?: Omit<InjectOptions, 'method' | 'url'> & { url?: string },
  ): Promise<{ status: number; body: unknown; text: string; headers: Record<string, unknown> }>;
  /** Every body answered so far (for checks such as "no token anywhere"). */
  bodies: string[];
}

export async function openApiCaller(app: FastifyInstance): Promise<Caller> {
  const document = (await app.inject({ url: '/api/openapi.json' })).json() as Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const bodies: string[] = [];
  return {
    bodies,
    async call(method, template, options = {}) {
      const { url, ...rest } = options;
      const response = await app.inject({ method, url: url ?? template, ...rest });
      bodies.push(response.body);
      const operation = document.paths[template]?.[method.toLowerCase()];
      assert.ok(operation, `${method} ${template} is in the OpenAPI document`);
      const described = operation.responses[String(response.statusCode)] ?? operation.responses.default;
      const content = described?.content ?? {};
      const [media, entry] = Object.entries(content)[0] ?? [];
      assert.ok(entry, `${method} ${template} ${response.statusCode} has a documented schema`);
      const body = media?.startsWith('application/json') ? response.json() : response.body;
      const validate = ajv.compile(entry.schema);
      assert.ok(
        validate(body),
        `${method} ${template} ${response.statusCode}: ${ajv.errorsText(validate.errors)}`,
      );
      return { status: response.statusCode, body, text: response.body, headers: response.headers };
    },
  };
}
