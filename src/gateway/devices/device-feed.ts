import { setFailureError, type DeviceEvent, type DeviceService } from '../../common/devices.ts';
import { ErrorCode, HearthError } from '../../common/errors.ts';

/** What the feed needs of a session: the same surface the conversation hub uses. */
export interface DeviceSubscriber {
  readonly isClosed: boolean;
  send(frame: Record<string, unknown>): void;
  deliver(bytes: Buffer): void;
}

/**
 * The gateway's side of the home's devices: sessions that sent `devices.subscribe` get a
 * `devices.snapshot`, then every `device.state` (serialised once for all of them), and a new
 * snapshot when the list changes. Device services join after the gateway is built (they are
 * started by an extension), so a feed starts empty and is attached later.
 */
export class DeviceFeed {
  #service: DeviceService | undefined;
  #detach: (() => void) | undefined;
  readonly #subscribers = new Set<DeviceSubscriber>();

  /** The attached service, if any. */
  get service(): DeviceService | undefined {
    return this.#service;
  }

  get available(): boolean {
    return this.#service !== undefined;
  }

  attach(service: DeviceService): void {
    this.detach();
    this.#service = service;
    this.#detach = service.onEvent((event) => this.#fanOut(event));
  }

  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#service = undefined;
  }

  subscribe(subscriber: DeviceSubscriber): Record<string, unknown> {
    const service = this.#require();
    this.#subscribers.add(subscriber);
    return this.#snapshot(service);
  }

  unsubscribe(subscriber: DeviceSubscriber): void {
    this.#subscribers.delete(subscriber);
  }

  /** Sets a device's state; resolves with the confirmed state, or throws a coded error. */
  async set(deviceId: string, state: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = await this.#require().set(deviceId, state);
    if (result.ok) return result.state;
    throw setFailureError(result);
  }

  #require(): DeviceService {
    if (!this.#service) {
      throw new HearthError(
        ErrorCode.unsupported,
        'No devices on this Hearth: configure zigbee.mqttURL (or the embedded broker) to add Zigbee2MQTT',
      );
    }
    return this.#service;
  }

  #snapshot(service: DeviceService): Record<string, unknown> {
    return {
      type: 'devices.snapshot',
      bridge: service.bridge(),
      devices: service.list(),
      groups: service.groups(),
    };
  }

  #fanOut(event: DeviceEvent): void {
    if (this.#subscribers.size === 0 || !this.#service) return;
    const frame =
      event.type === 'devices.changed' || event.type === 'bridge.state'
        ? this.#snapshot(this.#service)
        : event;
    const bytes = Buffer.from(JSON.stringify(frame));
    for (const subscriber of this.#subscribers) {
      if (subscriber.isClosed) this.#subscribers.delete(subscriber);
      else subscriber.deliver(bytes);
    }
  }
}
