// Validates real API responses against the checked-in OpenAPI 3.1 document
// (operator/web/api/openapi.json) with a JSON Schema 2020-12 validator.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { OPENAPI_PATH } from '../../operator/web/server.ts';

type Json = Record<string, unknown>;
export const openapi = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as Json & { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Json }> }> }>> };

// strict: false — the document carries OpenAPI keywords (paths, info) that are not JSON Schema.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(openapi, 'openapi.json');

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

/** Throws with the validator's errors when `body` is not what the document says `template` answers. */
export function assertMatchesOpenApi(template: string, method: string, status: number, contentType: string, body: unknown): void {
  const op = openapi.paths[template]?.[method.toLowerCase()];
  if (!op) throw new Error(`openapi.json has no ${method} ${template}`);
  const response = op.responses[String(status)];
  if (!response) throw new Error(`openapi.json has no ${status} answer for ${method} ${template}`);
  const type = contentType.split(';')[0]!.trim();
  if (!response.content?.[type]) throw new Error(`openapi.json says ${method} ${template} ${status} is not ${type}`);
  const ref = `openapi.json#/${pointer('paths', template, method.toLowerCase(), 'responses', String(status), 'content', type, 'schema')}`;
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  if (!validate(body)) throw new Error(`${method} ${template} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 800)}`);
}
