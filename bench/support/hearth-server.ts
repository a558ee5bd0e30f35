/**
 * Child process: a whole Hearth (startTestHearth, as the integration tests run it) on a free
 * loopback port. Without `providerBaseURL` it also runs the stamping double in this process,
 * for the fan-out benchmark. Commands: start, plan, cpu, memory.
 */
import { startTestHearth, type TestHearth } from '../../test/support/hearth-fixture.ts';
import { writeHeapSnapshot } from 'node:v8';
import { serve } from './ipc.ts';
import { startProfile, stopProfile } from './profiler.ts';
import { startStampingDouble, type StampingDouble, type StreamPlan } from './stamping-double.ts';
import { StampingProvider } from './stamping-provider.ts';
import { processSample } from './process-sample.ts';

let hearth: TestHearth | undefined;
let double: StampingDouble | undefined;
let local: StampingProvider | undefined;

serve(
  {
    /**
     * `providerBaseURL`: profiles use that double. Otherwise they use a stamping double started
     * in this process, and with `externalBaseURL` a profile `external` uses that one. With
     * `inProcess`, the profiles' provider is a StampingProvider in this process (no HTTP).
     */
    async start(args: {
      providerBaseURL?: string;
      externalBaseURL?: string;
      inProcess?: boolean;
      config?: Record<string, unknown>;
    }) {
      let providerBaseURL = args.providerBaseURL;
      let config = args.config ?? {};
      if (args.inProcess) {
        local = new StampingProvider('double');
        hearth = await startTestHearth({
          // Declared so that profiles can name it; never contacted (the override serves it).
          providerBaseURL: 'http://127.0.0.1:9/v1',
          chatProviders: new Map([['double', local]]),
          config,
        });
        return { wsUrl: hearth.wsUrl, pid: process.pid };
      }
      if (providerBaseURL === undefined) {
        double = await startStampingDouble();
        providerBaseURL = double.baseURL;
        if (args.externalBaseURL !== undefined) {
          config = {
            providers: {
              double: { kind: 'openai-compatible', baseURL: providerBaseURL },
              external: { kind: 'openai-compatible', baseURL: args.externalBaseURL },
            },
            profiles: {
              default: { provider: 'double', model: 'test-model', system: 'You are a test.' },
              external: { provider: 'external', model: 'test-model', system: 'You are a test.' },
            },
            ...config,
          };
        }
      }
      hearth = await startTestHearth({ providerBaseURL, config });
      return { wsUrl: hearth.wsUrl, pid: process.pid };
    },
    plan(plan: StreamPlan) {
      const target = local ?? double;
      if (!target) throw new Error('no in-process double');
      target.enqueue(plan);
      return true;
    },
    cpu: () => process.cpuUsage(),
    startProfile,
    stopProfile: (args: { name: string }) => stopProfile(args.name),
    memory: (args: { gc?: boolean }) => processSample(args.gc ?? false),
    /** For analysis: writes a heap snapshot to `path`. */
    heapSnapshot: (args: { path: string }) => writeHeapSnapshot(args.path),
    sessions: () => hearth?.hearth.gateway.sessions.size ?? 0,
  },
  async () => {
    await hearth?.[Symbol.asyncDispose]();
    await double?.close();
  },
);
