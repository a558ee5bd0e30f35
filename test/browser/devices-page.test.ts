/**
 * The page's devices panel in a real Chromium against a real Hearth: once with the real Zigbee
 * stack (Mosquitto and the Zigbee2MQTT bridge simulator), and with an in-memory home behind the
 * DeviceService interface for the failure cases.
 */
import { describe, expect, it } from 'vitest';
import { openPage, useBrowser, waitConnected } from '../support/browser.ts';
import { FakeHome, withHome } from '../support/fake-home.ts';
import { adminToken, startTestHearth } from '../support/hearth-fixture.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { zigbeeExtension } from '../../src/extensions/zigbee.ts';
import { startBridgeSimulator } from '../../sim/zigbee/simulator.ts';

const newContext = useBrowser();
const lamp = '[data-testid="device"][data-device="living_room/lamp"]';

describe('devices panel', () => {
  it('shows the devices of Zigbee2MQTT live and switches a real (simulated) lamp', async () => {
    await using broker = await startMosquitto();
    const sim = await startBridgeSimulator({ url: broker.url });
    try {
      await using hearth = await startTestHearth({
        extensions: [zigbeeExtension()],
        config: { zigbee: { mqttURL: broker.url, getsPerSecond: 50 } },
      });
      await using context = await newContext();
      const { page, problems } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
      await waitConnected(page);
      await page.click('[data-testid="devices-toggle"]');
      const onSwitch = `${lamp} [data-testid="device-switch"][aria-checked="true"]`;
      await page.waitForSelector(onSwitch);
      expect(await page.locator('[data-testid="device"]').count()).toBeGreaterThan(5);

      await page.click(`${lamp} [data-testid="device-switch"]`);
      await page.waitForSelector(`${lamp} [data-testid="device-switch"][aria-checked="false"]`);
      expect(sim.device('living_room/lamp').state.state).toBe('OFF');

      // A change at the device (a wall switch) shows without a click.
      await sim.emitState('living_room/lamp', { state: 'ON' });
      await page.waitForSelector(onSwitch);
      expect(problems).toEqual([]);
    } finally {
      await sim.stop();
    }
  });

  it('shows devices live, switches one, and shows a failed switch as failed', async () => {
    const home = new FakeHome();
    await using hearth = await startTestHearth({ extensions: [withHome(home)] });
    await using context = await newContext();
    const { page, problems } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    await page.click('[data-testid="devices-toggle"]');
    await page.waitForSelector(lamp);
    expect(await page.textContent(`${lamp} [data-testid="device-state"]`)).toContain('ON');
    expect(await page.getAttribute(`${lamp} [data-testid="device-switch"]`, 'aria-checked')).toBe(
      'true',
    );

    // A state change from elsewhere (a wall switch) shows at once.
    home.devices[0]!.state = { state: 'OFF', brightness: 200 };
    home.emit({
      type: 'device.state',
      deviceId: home.devices[0]!.id,
      name: 'living_room/lamp',
      state: { state: 'OFF' },
      availability: 'online',
      at: new Date().toISOString(),
    });
    await page.waitForSelector(`${lamp} [data-testid="device-switch"][aria-checked="false"]`);

    // Switching it on sends device.set and shows the confirmed state.
    await page.click(`${lamp} [data-testid="device-switch"]`);
    await page.waitForSelector(`${lamp} [data-testid="device-switch"][aria-checked="true"]`);
    expect(home.sets.at(-1)).toEqual({ idOrName: home.devices[0]!.id, state: { state: 'ON' } });

    // A switch nobody confirms is shown as failed, not as done.
    home.nextSet = { ok: false, code: 'device_timeout', message: 'no confirmation in 5 s' };
    await page.click(`${lamp} [data-testid="device-switch"]`);
    await page.waitForSelector(`${lamp} .device-state.failed`);
    expect(await page.textContent(`${lamp} [data-testid="device-state"]`)).toContain(
      'no confirmation',
    );
    expect(await page.getAttribute(`${lamp} [data-testid="device-switch"]`, 'aria-checked')).toBe(
      'true',
    );
    expect(problems).toEqual([]);
  });

  it('hides the devices button when Hearth has no devices', async () => {
    await using hearth = await startTestHearth();
    await using context = await newContext();
    const { page, received } = await openPage(context, `${hearth.url}/#token=${adminToken}`);
    await waitConnected(page);
    await expect
      .poll(() => received.some((f) => f.type === 'error' && f.code === 'unsupported'))
      .toBe(true);
    expect(await page.isHidden('[data-testid="devices-toggle"]')).toBe(true);
  });
});
