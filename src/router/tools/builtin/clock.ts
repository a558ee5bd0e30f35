import type { Tool } from '../tool.ts';

/** The current date and time, in the home's time zone or one the model names. */
export const clockTool: Tool = {
  name: 'hearth__clock',
  description:
    'Current date and time. Give an IANA time zone such as "Europe/Oslo" to get it there; without one, the home time zone is used.',
  inputSchema: {
    type: 'object',
    properties: { timeZone: { type: 'string', description: 'IANA time zone name' } },
    additionalProperties: false,
  },
  call(args) {
    const now = new Date();
    const timeZone =
      typeof args.timeZone === 'string'
        ? args.timeZone
        : Intl.DateTimeFormat().resolvedOptions().timeZone;
    try {
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        dateStyle: 'full',
        timeStyle: 'long',
      }).format(now);
      return Promise.resolve({
        content: JSON.stringify({ iso: now.toISOString(), timeZone, local }),
      });
    } catch {
      return Promise.resolve({ content: `Unknown time zone "${timeZone}"`, isError: true });
    }
  },
};
