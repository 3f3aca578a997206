import type { FastifyInstance } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** A response that does not match what the OpenAPI document says of its operation. */
export interface ResponseMismatch {
  method: string;
  route: string;
  status: number;
  problem: string;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * For tests (BuildOptions.onResponseMismatch): checks every response of a
 * documented route against the document — a success status must be one the
 * route documents and its JSON body must match the documented schema; an error
 * must be problem+json. Mismatches are reported, not changed.
 */
export function registerResponseCheck(app: FastifyInstance, report: (m: ResponseMismatch) => void): void {
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: false });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  app.addHook('onSend', async (request, reply, payload) => {
    const schema = request.routeOptions.schema as { hide?: boolean; response?: Record<string, unknown> } | undefined;
    const route = request.routeOptions.url ?? request.url;
    if (!schema?.response || schema.hide || !route.startsWith('/api/')) return payload;
    const status = reply.statusCode;
    const type = String(reply.getHeader('content-type') ?? '');
    const m = (problem: string) => report({ method: request.method, route, status, problem });
    if (status >= 400) {
      if (!type.startsWith('application/problem+json')) m(`an error answered as ${type || 'no content type'}`);
      return payload;
    }
    const key = String(status);
    const doc = schema.response[key] ?? schema.response[`${key[0]}XX`] ?? schema.response.default;
    if (!doc) {
      m(`status ${status} is not documented (documented: ${Object.keys(schema.response).join(', ')})`);
      return payload;
    }
    if (status === 204 || !type.startsWith('application/json') || typeof payload !== 'string') return payload;
    const id = `${request.method} ${route} ${key}`;
    let validate = compiled.get(id);
    if (!validate) {
      validate = ajv.compile(doc as object);
      compiled.set(id, validate);
    }
    if (!validate(JSON.parse(payload))) m(`body does not match the schema: ${ajv.errorsText(validate.errors)}`);
    return payload;
  });
}
