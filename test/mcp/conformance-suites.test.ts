/**
 * The official MCP conformance suites (0.1.x, and the alpha for 2025-11-25 and 2026-07-28)
 * against `/mcp/fixture`, whose source is the fixture server behind a client source. Asserted
 * per check: every check passes except those listed below with the reason, and every listed
 * one still fails (so the list cannot go stale). A token-adding proxy stands in front, since
 * the CLI sends no Authorization header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthProxy, type AuthProxy } from './support/auth-proxy.ts';
import { connectStdioSource, type ClientSource } from './support/client-source.ts';
import {
  conformanceBins,
  notPassing,
  runConformance,
  type ConformanceResults,
} from './support/conformance-run.ts';
import { startEndpointServer, testToken, type EndpointServer } from './support/endpoint-server.ts';
import {
  expected2025,
  expected2026,
  isExtensionScenario,
} from './support/conformance-expectations.ts';

let fixture: ClientSource;
let server: EndpointServer;
let proxy: AuthProxy;
const url = () => `${proxy.origin}/mcp/fixture`;

beforeAll(async () => {
  fixture = await connectStdioSource({
    command: process.execPath,
    args: ['test/fixtures/mcp-conformance/server.ts'],
  });
  server = await startEndpointServer({
    merged: fixture,
    servers: { fixture },
    extra: { allowedHosts: ['localhost', '127.0.0.1', '[::1]'] },
  });
  proxy = await startAuthProxy(server.origin, testToken);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
  await fixture.close();
});

function assertAgainst(results: ConformanceResults, expected: Record<string, string>): void {
  const failing = notPassing(results);
  const unexpected = [...failing.keys()].filter(
    (key) => !(key in expected) && !isExtensionScenario(key),
  );
  expect(unexpected, 'checks that fail without a recorded reason').toEqual([]);
  const stale = Object.keys(expected).filter((key) => !failing.has(key));
  expect(stale, 'recorded failures that now pass: update the list').toEqual([]);
  // A scenario with no checks at all would pass vacuously.
  const empty = [...results].filter(
    ([name, checks]) => checks.length === 0 && !isExtensionScenario(`${name}/`),
  );
  expect(empty.map(([name]) => name)).toEqual([]);
}

function passed(results: ConformanceResults, scenario: string): boolean {
  const checks = results.get(scenario) ?? [];
  return checks.length > 0 && checks.every((check) => check.status === 'SUCCESS');
}

describe('conformance', () => {
  it('0.1.x, every active server scenario', { timeout: 120_000 }, async () => {
    const run = await runConformance({ bin: conformanceBins.stable, url: url() });
    expect(run.results.size).toBeGreaterThanOrEqual(30);
    assertAgainst(run.results, expected2025);
    for (const scenario of ['server-initialize', 'tools-list', 'tools-call-error', 'ping'])
      expect(passed(run.results, scenario), scenario).toBe(true);
  });

  it('alpha, 2025-era scenarios (sessions)', { timeout: 120_000 }, async () => {
    const run = await runConformance({ bin: conformanceBins.alpha, url: url() });
    expect(run.results.size).toBeGreaterThanOrEqual(31);
    assertAgainst(run.results, expected2025);
    for (const scenario of [
      'server-session-lifecycle',
      'tools-call-with-progress',
      'dns-rebinding-protection',
    ])
      expect(passed(run.results, scenario), scenario).toBe(true);
  });

  it('alpha, what 2026-07-28 requires (stateless)', { timeout: 120_000 }, async () => {
    const run = await runConformance({
      bin: conformanceBins.alpha,
      url: url(),
      args: ['--requirements', '2026-07-28'],
    });
    expect(run.results.size).toBeGreaterThanOrEqual(40);
    assertAgainst(run.results, expected2026);
    for (const scenario of [
      'tools-call-with-progress',
      'sep-2164-resource-not-found',
      'http-header-validation',
      'caching',
      'json-schema-2020-12',
    ])
      expect(passed(run.results, scenario), scenario).toBe(true);
    // The list-change checks of server-stateless ride a real upstream list_changed.
    const stateless = run.results.get('server-stateless') ?? [];
    expect(stateless.filter((check) => check.status === 'SUCCESS').length).toBeGreaterThanOrEqual(
      27,
    );
  });
});
