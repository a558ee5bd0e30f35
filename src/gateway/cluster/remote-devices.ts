import type {
  BridgeView,
  DeviceEvent,
  DeviceService,
  DeviceView,
  GroupView,
  SetResult,
} from '../../common/devices.ts';
import type { SetFailureCode } from '../../common/devices.ts';
import { ErrorCode, HearthError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { CentralClient } from '../../mcp/service/client/central-client.ts';

interface DeviceList {
  configured: boolean;
  bridge: BridgeView | null;
  devices: DeviceView[];
  groups: GroupView[];
}

const setCodeOf: Partial<Record<string, SetFailureCode>> = {
  [ErrorCode.unknownDevice]: 'unknown_device',
  [ErrorCode.invalidState]: 'invalid_state',
  [ErrorCode.unavailable]: 'bridge_offline',
  [ErrorCode.deviceFailed]: 'device_failed',
  [ErrorCode.deviceTimeout]: 'device_timeout',
};

/**
 * On a split gateway, the devices of the central service's bridge: a copy of the list read
 * over REST, kept current by the device events the central service publishes on the bus
 * (states merged as they come, the list read again when it changed or after a reconnect),
 * and sets sent to the central service, which answers once the device confirms.
 */
export class RemoteDeviceService implements DeviceService {
  readonly #client: CentralClient;
  readonly #logger: Logger;
  readonly #listeners = new Set<(event: DeviceEvent) => void>();
  #list: DeviceList = { configured: false, bridge: null, devices: [], groups: [] };
  #reading: Promise<void> | undefined;

  constructor(options: { client: CentralClient; logger: Logger }) {
    this.#client = options.client;
    this.#logger = options.logger;
  }

  /** Whether the central service has a device bridge at all. */
  get configured(): boolean {
    return this.#list.configured;
  }

  /** Reads the whole list again; then tells listeners it may have changed. */
  refresh(): Promise<void> {
    this.#reading ??= this.#client
      .get<DeviceList>('/devices')
      .then((list) => {
        this.#list = list;
        this.#emit({ type: 'devices.changed' });
      })
      .catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'cannot read the devices of the central service');
      })
      .finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  /** An event from the bus. */
  apply(event: DeviceEvent): void {
    if (event.type !== 'device.state') {
      void this.refresh();
      return;
    }
    const device = this.#list.devices.find((d) => d.id === event.deviceId);
    if (device) {
      device.state = { ...device.state, ...event.state };
      device.availability = event.availability;
      device.stateAt = event.at;
    }
    this.#emit(event);
  }

  list(): DeviceView[] {
    return this.#list.devices;
  }

  get(idOrName: string): DeviceView | undefined {
    const lower = idOrName.toLowerCase();
    return this.#list.devices.find((d) => d.id === idOrName || d.name.toLowerCase() === lower);
  }

  groups(): GroupView[] {
    return this.#list.groups;
  }

  bridge(): BridgeView {
    return this.#list.bridge ?? { online: false };
  }

  onEvent(listener: (event: DeviceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async set(idOrName: string, state: Record<string, unknown>): Promise<SetResult> {
    try {
      const answer = await this.#client.put<{ state: Record<string, unknown> }>(
        `/devices/${encodeURIComponent(idOrName)}/state`,
        state,
      );
      return { ok: true, state: answer.state };
    } catch (error) {
      const code = error instanceof HearthError ? setCodeOf[error.code] : undefined;
      const message = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        code: code ?? 'device_failed',
        message,
      };
    }
  }

  #emit(event: DeviceEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
