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
import { processSample } from './process-sample.ts';

let hearth: TestHearth | undefined;
let double: StampingDouble | undefined;

serve(
  {
    /**
     * `providerBaseURL`: profiles use that double. Otherwise they use a stamping double started
     * in this process, and with `externalBaseURL` a profile `external` uses that one.
     */
    async start(args: {
      providerBaseURL?: string;
      externalBaseURL?: string;
      config?: Record<string, unknown>;
    }) {
      let providerBaseURL = args.providerBaseURL;
      let config = args.config ?? {};
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
      if (!double) throw new Error('no in-process double');
      double.enqueue(plan);
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
