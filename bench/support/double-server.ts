/**
 * Child process: an OpenAI-compatible double on its own, for benchmarks where the provider
 * lives outside Hearth's process. `kind: 'echo'` is the tests' double (test/doubles), which
 * echoes the last user message one word per chunk; `kind: 'stamping'` is the fan-out double.
 */
import { startOpenAIDouble, type OpenAIDouble } from '../../test/doubles/openai-double.ts';
import { serve } from './ipc.ts';
import { startStampingDouble, type StampingDouble, type StreamPlan } from './stamping-double.ts';

let echo: OpenAIDouble | undefined;
let stamping: StampingDouble | undefined;

serve(
  {
    async start(args: { kind: 'echo' | 'stamping' }) {
      if (args.kind === 'echo') {
        echo = await startOpenAIDouble();
        return { baseURL: echo.baseURL };
      }
      stamping = await startStampingDouble();
      return { baseURL: stamping.baseURL };
    },
    plan(plan: StreamPlan) {
      if (!stamping) throw new Error('no stamping double');
      stamping.enqueue(plan);
      return true;
    },
    cpu: () => process.cpuUsage(),
  },
  async () => {
    await echo?.close();
    await stamping?.close();
  },
);
