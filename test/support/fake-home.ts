import type {
  DeviceEvent,
  DeviceService,
  DeviceView,
  SetResult,
} from '../../src/common/devices.ts';
import type { HearthExtension } from '../../src/extension.ts';

/** An in-memory home behind the DeviceService interface: what the gateway sees of Zigbee. */
export class FakeHome implements DeviceService {
  readonly #listeners = new Set<(event: DeviceEvent) => void>();
  readonly devices: DeviceView[] = [
    {
      id: '0x0017880100000001',
      name: 'living_room/lamp',
      room: 'living_room',
      type: 'Router',
      supported: true,
      disabled: false,
      availability: 'online',
      state: { state: 'ON', brightness: 200 },
      settable: { type: 'object', properties: { state: { enum: ['ON', 'OFF', 'TOGGLE'] } } },
    },
  ];
  online = true;
  nextSet: SetResult | undefined;
  sets: unknown[] = [];

  list() {
    return this.devices;
  }
  get(idOrName: string) {
    return this.devices.find((d) => d.id === idOrName || d.name === idOrName);
  }
  groups() {
    return [];
  }
  bridge() {
    return { online: this.online, version: '2.14.0' };
  }
  onEvent(listener: (event: DeviceEvent) => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  emit(event: DeviceEvent) {
    for (const listener of this.#listeners) listener(event);
  }
  set(idOrName: string, state: Record<string, unknown>): Promise<SetResult> {
    this.sets.push({ idOrName, state });
    return Promise.resolve(this.nextSet ?? { ok: true, state: { ...state } });
  }
}

export function withHome(home: FakeHome): HearthExtension {
  return { name: 'fake-home', start: () => Promise.resolve({ devices: home }) };
}
