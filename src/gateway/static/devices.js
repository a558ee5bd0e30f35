/**
 * The page's devices panel: after `welcome` it sends `devices.subscribe`, shows the
 * `devices.snapshot` grouped by room, applies every `device.state`, and switches a device
 * with `device.set`. A switch shows "…" until the device itself confirms the new state (the
 * ack carries the confirmed state); a failure is shown on the device, never as success.
 * Device names and states reach the page only through `textContent`.
 */
import { bindToggle, switchButton } from './panel.js';

/** A binary `state` the panel can switch: the values to send for on and off. */
function switchOf(device) {
  const state = device.settable?.properties?.state;
  const values = Array.isArray(state?.enum) ? state.enum : [];
  if (values.includes('ON') && values.includes('OFF')) return { on: 'ON', off: 'OFF' };
  return undefined;
}

function roomOf(device) {
  return device.room || 'Other';
}

function shortName(device) {
  const name = String(device.name);
  const slash = name.lastIndexOf('/');
  return (slash >= 0 ? name.slice(slash + 1) : name).replaceAll('_', ' ');
}

/** A few readable facts about the state, such as "ON · 78% · 21.5 °C". */
function summary(device) {
  const state = device.state || {};
  const parts = [];
  if (typeof state.state === 'string') parts.push(state.state);
  if (typeof state.brightness === 'number')
    parts.push(`${Math.round((state.brightness / 254) * 100)}%`);
  if (typeof state.position === 'number') parts.push(`${state.position}% open`);
  if (typeof state.temperature === 'number') parts.push(`${state.temperature} °C`);
  if (typeof state.humidity === 'number') parts.push(`${state.humidity}% RH`);
  if (typeof state.local_temperature === 'number') parts.push(`${state.local_temperature} °C`);
  if (typeof state.occupancy === 'boolean') parts.push(state.occupancy ? 'motion' : 'still');
  if (typeof state.contact === 'boolean') parts.push(state.contact ? 'closed' : 'open');
  if (typeof state.lock_state === 'string') parts.push(state.lock_state);
  if (typeof state.power === 'number') parts.push(`${state.power} W`);
  return parts.join(' · ');
}

export function createDevicesPanel({ root, toggle, request, onError }) {
  /** @type {Map<string, any>} */
  const devices = new Map();
  const pending = new Set();
  const failed = new Map();
  let bridge = null;
  let available = false;

  bindToggle(toggle, root);

  function render() {
    toggle.hidden = !available;
    if (!available) root.hidden = true;
    root.replaceChildren();
    const heading = document.createElement('h2');
    heading.textContent = 'Devices';
    root.append(heading);
    if (bridge && !bridge.online) {
      const offline = document.createElement('p');
      offline.className = 'devices-offline';
      offline.dataset.testid = 'bridge-offline';
      offline.textContent = 'Zigbee2MQTT is offline: devices cannot be reached.';
      root.append(offline);
    }
    const rooms = new Map();
    for (const device of devices.values()) {
      if (device.type === 'Coordinator' || device.disabled) continue;
      const room = roomOf(device);
      if (!rooms.has(room)) rooms.set(room, []);
      rooms.get(room).push(device);
    }
    for (const [room, list] of [...rooms].sort(([a], [b]) => a.localeCompare(b))) {
      const section = document.createElement('section');
      section.className = 'devices-room';
      const title = document.createElement('h3');
      title.textContent = room.replaceAll('_', ' ');
      section.append(title);
      list.sort((a, b) => String(a.name).localeCompare(String(b.name)));
      for (const device of list) section.append(row(device));
      root.append(section);
    }
  }

  function row(device) {
    const item = document.createElement('div');
    item.className = 'device';
    item.dataset.testid = 'device';
    item.dataset.device = device.name;
    item.dataset.availability = device.availability;
    const name = document.createElement('span');
    name.className = 'device-name';
    name.textContent = shortName(device);
    const detail = document.createElement('span');
    detail.className = 'device-state';
    detail.dataset.testid = 'device-state';
    detail.textContent =
      failed.get(device.id) ??
      (device.availability === 'offline' ? 'unavailable' : summary(device) || '—');
    if (failed.has(device.id)) detail.classList.add('failed');
    item.append(name, detail);
    const control = switchOf(device);
    if (control) {
      const on = device.state?.state === control.on;
      const button = switchButton({
        testid: 'device-switch',
        label: shortName(device),
        on,
        pending: pending.has(device.id),
        disabled: device.availability === 'offline',
        onClick: () => void flip(device, on ? control.off : control.on),
      });
      item.append(button);
    }
    return item;
  }

  async function flip(device, value) {
    pending.add(device.id);
    failed.delete(device.id);
    render();
    try {
      const ack = await request(
        { type: 'device.set', deviceId: device.id, state: { state: value } },
        15_000,
      );
      const known = devices.get(device.id);
      if (known) known.state = { ...known.state, ...ack.state };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failed.set(device.id, `failed: ${message}`);
      onError(`${shortName(device)}: ${message}`);
    } finally {
      pending.delete(device.id);
      render();
    }
  }

  return {
    /** After every `welcome`: (re)subscribe; the snapshot that follows replaces everything. */
    async subscribe() {
      try {
        await request({ type: 'devices.subscribe' }, 10_000);
        available = true;
      } catch {
        available = false;
        render();
      }
    },
    /** Takes the frames it knows; returns false for any other. */
    applyFrame(frame) {
      if (frame.type === 'devices.snapshot') {
        available = true;
        bridge = frame.bridge ?? null;
        devices.clear();
        for (const device of frame.devices || []) devices.set(device.id, device);
        render();
        return true;
      }
      if (frame.type === 'device.state') {
        const device = devices.get(frame.deviceId);
        if (device) {
          device.state = { ...device.state, ...frame.state };
          device.availability = frame.availability ?? device.availability;
          failed.delete(device.id);
          render();
        }
        return true;
      }
      return false;
    },
  };
}
