import { z } from 'zod';
import { setFailureError, type DeviceService, type DeviceView } from '../../../common/devices.ts';
import { ErrorCode, HearthError } from '../../../common/errors.ts';
import { defineRoute, type ApiRoute } from './route.ts';

const tag = 'devices';
const anyObject = z.record(z.string(), z.unknown());
const deviceId = z.object({ id: z.string().min(1).max(256) });

const deviceSchema = z.object({
  id: z.string(),
  name: z.string(),
  room: z.string().optional(),
  type: z.string(),
  model: z.string().optional(),
  vendor: z.string().optional(),
  description: z.string().optional(),
  supported: z.boolean(),
  disabled: z.boolean(),
  availability: z.enum(['online', 'offline', 'unknown']),
  state: anyObject,
  stateAt: z.string().optional(),
  settable: anyObject,
});

const groupSchema = z.object({
  id: z.number(),
  name: z.string(),
  members: z.array(z.string()),
  scenes: z.array(z.object({ id: z.number(), name: z.string() })),
});

const bridgeSchema = z.object({ online: z.boolean(), version: z.string().optional() }).nullable();

/**
 * The home's devices over REST: the list with each device's last known state, one device, and
 * setting its state (any token: a household). Without a device bridge configured the list is
 * empty and says so (`configured: false`).
 */
export function deviceRoutes(devices: () => DeviceService | undefined): ApiRoute[] {
  const find = (id: string): DeviceView => {
    const device = devices()?.get(id);
    if (!device) throw new HearthError(ErrorCode.unknownDevice, `No device "${id}"`);
    return device;
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/devices',
      operationId: 'listDevices',
      summary: 'Every device and group, with the last known state',
      tag,
      response: {
        status: 200,
        description: 'The devices',
        schema: z.object({
          configured: z.boolean(),
          bridge: bridgeSchema,
          devices: z.array(deviceSchema),
          groups: z.array(groupSchema),
        }),
      },
      handle: () => {
        const service = devices();
        return {
          configured: service !== undefined,
          bridge: service?.bridge() ?? null,
          devices: service?.list() ?? [],
          groups: service?.groups() ?? [],
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/devices/:id',
      operationId: 'getDevice',
      summary: 'One device, by id (IEEE address) or name',
      tag,
      params: deviceId,
      errors: [ErrorCode.unknownDevice],
      response: { status: 200, description: 'The device', schema: deviceSchema },
      handle: ({ params }) => find(params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/devices/:id/state',
      operationId: 'setDeviceState',
      summary: "Set a device's state; answers once the device confirms it",
      description:
        'The body is what to change, such as {"state":"OFF"} or {"brightness":128,"transition":2}; it is checked against the device\'s `settable` schema first. The answer is the state the device reported back; a set nobody confirms fails with `device_timeout`, one the bridge reports as failed with `device_failed`.',
      tag,
      params: deviceId,
      body: anyObject,
      errors: [
        ErrorCode.unknownDevice,
        ErrorCode.invalidState,
        ErrorCode.unavailable,
        ErrorCode.deviceFailed,
        ErrorCode.deviceTimeout,
      ],
      response: {
        status: 200,
        description: 'The confirmed state',
        schema: z.object({ id: z.string(), state: anyObject }),
      },
      handle: async ({ params, body }) => {
        const device = find(params.id);
        const result = await (devices() as DeviceService).set(device.id, body);
        if (!result.ok) throw setFailureError(result);
        return { id: device.id, state: result.state };
      },
    }),
  ];
}
