// Every Bitrise endpoint the sandbox serves, validated against the definitions of the Bitrise OpenAPI
// 2.0 spec, read as the wire really is (ci-apis.md §1.5).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { bitriseClient, walk } from './bitrise-client.js';

const SPEC_PATH = process.env.BITRISE_OPENAPI ?? '/work/shared/reference/bitrise-openapi.json';
type Schema = Record<string, unknown>;

/**
 * Fields the wire may omit: the next-page anchor on the last page, local-build config, standalone ids. Where
 * the spec and live answers (real-payloads/bitrise-2026-04, and the 2017 examples) disagree, reality wins:
 * older builds have no machine_type_id, credit_cost, is_processed, is_status_sent or log_format; the pipelines
 * list has no build_tool_invocations; a DAG pipeline show has no stages.
 */
const OPTIONAL = new Set([
  'next',
  'local_config',
  'pipeline_workflow_id',
  'machine_type_id',
  'credit_cost',
  'is_processed',
  'is_status_sent',
  'log_format',
  'build_tool_invocations',
  'stages',
]);

/** Fields live answers have that the spec does not list (reality wins). */
const REAL_EXTRAS: Record<string, unknown> = {
  // Builds, pipelines and pipeline list items.
  rebuildable: { type: 'boolean' },
  // Older builds name their machine here (2017 examples).
  stack_config_type: { type: ['string', 'null'] },
  // Pipeline show: "dag" pipelines list their workflows at the top level, each with depends_on.
  type: { type: 'string' },
  workflows: { type: 'array', items: { $ref: 'bitrise#/definitions/v0.PipelineShowWorkflowResponseModel' } },
  depends_on: { type: 'array', items: { type: 'string' } },
  // Trigger parameters: every key, set or not.
  base_repository_url: { type: 'string' },
  commit_messages: {},
  commit_paths: { type: ['array', 'null'] },
  head_repository_url: { type: 'string' },
  machine_type_id: { type: 'string' },
  priority: { type: 'integer' },
  pull_request_comment: { type: 'string' },
  pull_request_comment_id: { type: 'string' },
  pull_request_labels: {},
  pull_request_labels_added: {},
  pull_request_ready_state: { type: 'string' },
  skip_git_status_report: { type: 'boolean' },
  stack: { type: 'string' },
};
/** Spec arrays that live answers send as null when empty. */
const NULL_ARRAYS = new Set(['artifacts', 'environments']);

/**
 * Swagger definitions as JSON Schema for the real wire: Go `nulls.*` wrappers are a plain value or null,
 * `json.RawMessage` (spec: array<integer>) and untyped `{}` are any JSON, time fields (`*_at`) are null
 * until the event happens. Every object is closed (no unknown fields) and every field required.
 */
function wireSchema(name: string, schema: unknown): unknown {
  if (/nulls\.String$/.test(name)) return { type: ['string', 'null'] };
  if (/nulls\.Int64$/.test(name)) return { type: ['integer', 'null'] };
  return convert(schema);
}

function convert(schema: unknown, key = ''): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Schema;
  if (s.type === 'array' && (s.items as Schema | undefined)?.type === 'integer') return {};
  if (s.type === 'string' && key.endsWith('_at')) return { ...s, type: ['string', 'null'] };
  if (s.type === 'array' && NULL_ARRAYS.has(key))
    return { anyOf: [{ ...s, items: convert(s.items) }, { type: 'null' }] };
  const out: Schema = { ...s };
  if (s.properties) {
    const props = s.properties as Record<string, unknown>;
    out.properties = {
      ...REAL_EXTRAS,
      ...Object.fromEntries(Object.entries(props).map(([k, v]) => [k, convert(v, k)])),
    };
    out.additionalProperties = false;
    out.required = Object.keys(props).filter((k) => !OPTIONAL.has(k));
  }
  if (s.items) out.items = convert(s.items);
  if (Array.isArray(s.allOf)) out.allOf = s.allOf.map((x) => convert(x));
  return out;
}

const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as { definitions: Record<string, unknown> };
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema({
  $id: 'bitrise',
  definitions: Object.fromEntries(Object.entries(spec.definitions).map(([k, v]) => [k, wireSchema(k, v)])),
});
const validators = new Map<string, ValidateFunction>();
function validatorFor(definition: string): ValidateFunction {
  let v = validators.get(definition);
  if (!v) {
    v = ajv.compile({ $ref: `bitrise#/definitions/${definition}` });
    validators.set(definition, v);
  }
  return v;
}

let checked = 0;
function assertValid(definition: string, body: unknown, what: string) {
  const validate = validatorFor(definition);
  const ok = validate(body);
  assert.ok(ok, `${what} does not match ${definition}: ${ajv.errorsText(validate.errors)}`);
  checked++;
}

let sandbox: Sandbox;
let call: ReturnType<typeof bitriseClient>;

before(async () => {
  sandbox = await startSandbox({ seed: 7, now: '2025-03-12T15:00:00Z', clock: 'manual' });
  call = bitriseClient(sandbox);
});
after(() => sandbox.close());

test('the validator itself rejects a wrong type, an unknown field and a missing field', async () => {
  const app = sandbox.bitrise.world.apps()[0];
  const build = sandbox.bitrise.world.builds(app?.slug)[0];
  assert.ok(build);
  assertValid('v0.BuildShowResponseModel', { data: build }, 'a world build');
  const invalid = [
    { ...build, build_number: String(build.build_number) },
    { ...build, branch: 42 },
    { ...build, credit_cost: 'free' },
    { ...build, finished_at: 1741791600 },
    { ...build, surprise: true },
    Object.fromEntries(Object.entries(build).filter(([k]) => k !== 'status')),
  ];
  for (const body of invalid) assert.equal(validatorFor('v0.BuildShowResponseModel')({ data: body }), false);
});

test('account endpoints match the spec', async () => {
  assertValid('v0.UserProfileRespModel', (await call('/me')).body, '/me');
  const apps = await call('/apps?limit=2');
  assertValid('v0.AppListResponseModel', apps.body, '/apps');
  assertValid('v0.AppListResponseModel', (await call('/me/apps')).body, '/me/apps');
  const slug = apps.body.data[0].slug;
  assertValid('v0.AppShowResponseModel', (await call(`/apps/${slug}`)).body, '/apps/{slug}');
  assertValid(
    'v0.BuildWorkflowListResponseModel',
    (await call(`/apps/${slug}/build-workflows`)).body,
    'workflows',
  );
  const orgs = await call('/organizations');
  assertValid('v0.OrganizationListRespModel', orgs.body, '/organizations');
  const org = orgs.body.data[0].slug;
  assertValid(
    'v0.OrganizationRespModel',
    (await call(`/organizations/${org}`)).body,
    '/organizations/{slug}',
  );
  assertValid('v0.AppListResponseModel', (await call(`/organizations/${org}/apps`)).body, 'org apps');
  const me = (await call('/me')).body.data.slug;
  assertValid('v0.AppListResponseModel', (await call(`/users/${me}/apps`)).body, 'user apps');
});

test('builds, artifacts and abort match the spec', async () => {
  const apps = sandbox.bitrise.world.apps();
  for (const app of apps) {
    const { pages, items } = await walk(call, `/apps/${app.slug}/builds?limit=50`);
    for (const page of pages.slice(0, 3)) assertValid('v0.BuildListResponseModel', page.body, 'builds page');
    assertValid('v0.BuildListResponseModel', pages[pages.length - 1]?.body, 'last builds page');
    // One build of each status (on hold, running, each end) and a pipeline and a standalone one.
    const samples = new Map<string, (typeof items)[number]>();
    for (const b of items) samples.set(`${b.status}:${b.is_on_hold}:${b.pipeline_workflow_id === ''}`, b);
    for (const b of samples.values()) {
      const show = await call(`/apps/${app.slug}/builds/${b.slug}`);
      assertValid('v0.BuildShowResponseModel', show.body, `build ${b.slug}`);
      const artifacts = await call(`/apps/${app.slug}/builds/${b.slug}/artifacts`);
      assertValid('v0.ArtifactListResponseModel', artifacts.body, 'artifacts');
      for (const a of artifacts.body.data) {
        const one = await call(`/apps/${app.slug}/builds/${b.slug}/artifacts/${a.slug}`);
        assertValid('v0.ArtifactShowResponseModel', one.body, 'artifact');
        const patched = await call(`/apps/${app.slug}/builds/${b.slug}/artifacts/${a.slug}`, {
          method: 'PATCH',
          body: { is_public_page_enabled: true },
        });
        assertValid('v0.ArtifactShowResponseModel', patched.body, 'patched artifact');
      }
    }
  }
  let next = '';
  for (let page = 0; page < 3; page++) {
    const reply = await call(`/builds?limit=50${next ? `&next=${next}` : ''}`);
    assertValid('v0.BuildListAllResponseModel', reply.body, '/builds page');
    next = reply.body.paging.next;
  }
  const running = sandbox.bitrise.world.builds().find((b) => b.status === 0);
  assert.ok(running, 'a running build to abort');
  const app = apps.find((a) => sandbox.bitrise.world.builds(a.slug).some((b) => b.slug === running.slug));
  const abort = await call(`/apps/${app?.slug}/builds/${running.slug}/abort`, {
    method: 'POST',
    body: { abort_reason: 'schema check', abort_with_success: false, skip_notifications: true },
  });
  assertValid('v0.BuildAbortResponseModel', abort.body, 'abort');
});

test('pipelines lists and pipeline show match the spec', async () => {
  for (const app of sandbox.bitrise.world.apps()) {
    const first = await call(`/apps/${app.slug}/pipelines`);
    assertValid('v0.PipelineListResponseModel', first.body, 'pipelines page');
    const second = await call(`/apps/${app.slug}/pipelines?before=${first.body.paging.next}`);
    assertValid('v0.PipelineListResponseModel', second.body, 'second pipelines page');
  }
  const pipelines = sandbox.bitrise.world.pipelines();
  assert.ok(pipelines.length > 0);
  const statuses = new Map(pipelines.map((p) => [p.status, p]));
  for (const p of statuses.values()) {
    const show = await call(`/apps/${p.app.slug}/pipelines/${p.id}`);
    assertValid('v0.PipelineShowResponseModel', show.body, `pipeline ${p.id} (${p.status})`);
  }
  assertValid('v0.PipelineListAllResponseModel', (await call('/pipelines?limit=20')).body, '/pipelines');
});

test('errors use the standard error body', async () => {
  const app = sandbox.bitrise.world.apps()[0]?.slug;
  const errors = [
    await call('/apps', { auth: null }),
    await call('/apps', { auth: 'token nope' }),
    await call('/apps/0000000000000000'),
    await call(`/apps/${app}/builds?next=garbage`),
    await call(`/apps/${app}/builds?status=9`),
    await call(`/apps/${app}/pipelines?before=yesterday`),
  ];
  for (const e of errors) {
    assert.ok(e.status >= 400, `${e.status} ${e.text}`);
    assertValid('service.StandardErrorRespModel', e.body, `error ${e.status}`);
  }
  assert.ok(checked > 40, `validated ${checked} bodies`);
});
