/**
 * Zigbee devices as tools for the model: list them, read one, set one, and drive groups and
 * scenes. Every request is checked against the device's schema (from its exposes) before the
 * backend publishes anything, and a set that the backend does not confirm is an error for the
 * model, never a success. Results are compact JSON text: small local models read them too.
 */
import { getDeviceState, listDevices } from './device-tools-list.ts';
import { recallScene, setDeviceState, setGroupState } from './device-tools-set.ts';
import type { DeviceTool, DeviceToolsBackend } from './device-tools-types.ts';

export { roomOf } from './device-lookup.ts';
export type {
  DeviceEntry,
  DeviceSetResult,
  DeviceTool,
  DeviceToolResult,
  DeviceToolsBackend,
  GroupEntry,
} from './device-tools-types.ts';

/**
 * The tools for the devices (and, when the backend has groups and `setGroup`, for groups and
 * scenes). Cheap: call it on every turn so that the group tools follow the bridge.
 */
export function createDeviceTools(backend: DeviceToolsBackend): DeviceTool[] {
  const tools: DeviceTool[] = [
    {
      name: 'list_devices',
      description:
        'List the Zigbee devices of the home: name, room, what can be set and key state. ' +
        'Filter by room and/or words such as "lamp" or "thermostat".',
      inputSchema: objectSchema({
        query: { type: 'string', description: 'Words to look for in names and descriptions' },
        room: { type: 'string', description: 'Room name, such as "Living room"' },
      }),
      call: (args) => Promise.resolve(listDevices(backend.list(), args)),
    },
    {
      name: 'get_device_state',
      description:
        'Current state of one device and the values each of its settable properties accepts.',
      inputSchema: objectSchema({ device: deviceArg }, ['device']),
      call: (args) => Promise.resolve(getDeviceState(backend.list(), args)),
    },
    {
      name: 'set_device_state',
      description:
        'Change a device: e.g. {"device": "Living room/Lamp", "state": {"state": "OFF"}} or ' +
        '{"state": {"brightness": 128, "transition": 2}}. Use get_device_state to see what it accepts.',
      inputSchema: objectSchema({ device: deviceArg, state: stateArg }, ['device', 'state']),
      call: (args, { signal }) => setDeviceState(backend, args, signal),
    },
  ];
  const setGroup = backend.setGroup?.bind(backend);
  if (setGroup && backend.groups().length > 0) {
    tools.push(
      {
        name: 'set_group_state',
        description: 'Change every device of a Zigbee group at once, e.g. {"state": "OFF"}.',
        inputSchema: objectSchema({ group: groupArg, state: stateArg }, ['group', 'state']),
        call: (args, { signal }) => setGroupState(backend, setGroup, args, signal),
      },
      {
        name: 'recall_scene',
        description: 'Recall a scene stored in a Zigbee group.',
        inputSchema: objectSchema(
          { group: groupArg, scene: { type: 'string', description: 'Scene name or number' } },
          ['group', 'scene'],
        ),
        call: (args, { signal }) => recallScene(backend, setGroup, args, signal),
      },
    );
  }
  return tools;
}

const deviceArg = { type: 'string', description: 'Friendly name (e.g. "Kitchen/Lamp") or id' };
const groupArg = { type: 'string', description: 'Group name or id' };
const stateArg = {
  type: 'object',
  description: 'Properties to set and their values, e.g. {"state": "ON", "brightness": 200}',
};

function objectSchema(properties: Record<string, unknown>, required: string[] = []) {
  return { type: 'object', properties, required, additionalProperties: false };
}
