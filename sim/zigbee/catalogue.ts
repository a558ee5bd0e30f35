/**
 * The kinds of real devices the simulated home is made of: the Zigbee model ID and manufacturer
 * that zigbee-herdsman-converters looks the definition up by, the radio facts Zigbee2MQTT shows
 * in `bridge/devices`, cluster attributes the converters consult, and a plausible first state.
 */

export const deviceKinds = [
  'color_light',
  'color_light_ikea',
  'ct_light',
  'plug',
  'climate_sensor',
  'motion_sensor',
  'contact_sensor',
  'thermostat',
  'cover',
  'lock',
  'remote',
] as const;

export type DeviceKind = (typeof deviceKinds)[number];

export interface CatalogueEntry {
  modelID: string;
  manufacturerName: string;
  type: 'Router' | 'EndDevice';
  powerSource: string;
  endpoint: number;
  inputClusters: string[];
  /** Cluster attributes seeded on the endpoint (e.g. the colour temperature range). */
  attributes?: Record<string, Record<string, unknown>>;
  /** Overrides for the state generated from the exposes. */
  state?: Record<string, unknown>;
  /** Numeric properties that drift on `tick()`, with their bounds. */
  drift?: Record<string, [min: number, max: number]>;
}

const battery = 'Battery';
const mains = 'Mains (single phase)';
const lightClusters = ['genBasic', 'genOnOff', 'genLevelCtrl', 'lightingColorCtrl', 'genScenes'];

export const catalogue: Record<DeviceKind, CatalogueEntry> = {
  color_light: {
    modelID: 'LCT015',
    manufacturerName: 'Signify Netherlands B.V.',
    type: 'Router',
    powerSource: mains,
    endpoint: 11,
    inputClusters: lightClusters,
    attributes: {
      lightingColorCtrl: {
        colorTempPhysicalMin: 153,
        colorTempPhysicalMax: 500,
        colorCapabilities: 31,
      },
    },
    state: { state: 'ON', brightness: 180, color_mode: 'xy', color: { x: 0.4573, y: 0.41 } },
  },
  color_light_ikea: {
    modelID: 'TRADFRI bulb E27 CWS opal 600lm',
    manufacturerName: 'IKEA of Sweden',
    type: 'Router',
    powerSource: mains,
    endpoint: 1,
    inputClusters: lightClusters,
    attributes: {
      lightingColorCtrl: {
        colorTempPhysicalMin: 250,
        colorTempPhysicalMax: 454,
        colorCapabilities: 25,
      },
    },
    state: { state: 'OFF', brightness: 254, color_mode: 'xy', color: { x: 0.3227, y: 0.329 } },
  },
  ct_light: {
    modelID: 'TRADFRI bulb E27 WS opal 980lm',
    manufacturerName: 'IKEA of Sweden',
    type: 'Router',
    powerSource: mains,
    endpoint: 1,
    inputClusters: lightClusters,
    attributes: { lightingColorCtrl: { colorTempPhysicalMin: 250, colorTempPhysicalMax: 454 } },
    state: { state: 'ON', brightness: 120, color_mode: 'color_temp', color_temp: 370 },
  },
  plug: {
    modelID: 'SP 120',
    manufacturerName: 'innr',
    type: 'Router',
    powerSource: mains,
    endpoint: 1,
    inputClusters: ['genBasic', 'genOnOff', 'haElectricalMeasurement', 'seMetering'],
    state: { state: 'ON', power: 42, voltage: 230, current: 0.18, energy: 12.4 },
    drift: { power: [0, 2000], current: [0, 9] },
  },
  climate_sensor: {
    modelID: 'lumi.weather',
    manufacturerName: 'LUMI',
    type: 'EndDevice',
    powerSource: battery,
    endpoint: 1,
    inputClusters: [
      'genBasic',
      'msTemperatureMeasurement',
      'msRelativeHumidity',
      'msPressureMeasurement',
    ],
    state: { temperature: 21.4, humidity: 48.2, pressure: 1012, battery: 97, voltage: 3005 },
    drift: { temperature: [-10, 40], humidity: [10, 95], pressure: [950, 1050] },
  },
  motion_sensor: {
    modelID: 'SML001',
    manufacturerName: 'Signify Netherlands B.V.',
    type: 'EndDevice',
    powerSource: battery,
    endpoint: 2,
    inputClusters: [
      'genBasic',
      'msOccupancySensing',
      'msIlluminanceMeasurement',
      'msTemperatureMeasurement',
    ],
    state: { occupancy: false, illuminance: 120, temperature: 20.8, battery: 88 },
    drift: { illuminance: [0, 2000], temperature: [-10, 40] },
  },
  contact_sensor: {
    modelID: 'lumi.sensor_magnet.aq2',
    manufacturerName: 'LUMI',
    type: 'EndDevice',
    powerSource: battery,
    endpoint: 1,
    inputClusters: ['genBasic', 'genOnOff'],
    state: { contact: true, battery: 91, voltage: 3025 },
  },
  thermostat: {
    modelID: 'eTRV0100',
    manufacturerName: 'Danfoss',
    type: 'EndDevice',
    powerSource: battery,
    endpoint: 1,
    inputClusters: ['genBasic', 'hvacThermostat', 'genPowerCfg'],
    state: {
      occupied_heating_setpoint: 20,
      local_temperature: 19.5,
      system_mode: 'heat',
      battery: 76,
    },
    drift: { local_temperature: [5, 30] },
  },
  cover: {
    modelID: 'FYRTUR block-out roller blind',
    manufacturerName: 'IKEA of Sweden',
    type: 'EndDevice',
    powerSource: battery,
    endpoint: 1,
    inputClusters: ['genBasic', 'closuresWindowCovering', 'genPowerCfg'],
    state: { position: 100, state: 'OPEN', battery: 64 },
  },
  lock: {
    modelID: 'YRD226 TSDB',
    manufacturerName: 'Yale',
    type: 'EndDevice',
    powerSource: battery,
    endpoint: 1,
    inputClusters: ['genBasic', 'closuresDoorLock', 'genPowerCfg'],
    state: { state: 'LOCK', lock_state: 'locked', battery: 80 },
  },
  remote: {
    modelID: 'RWL021',
    manufacturerName: 'Signify Netherlands B.V.',
    type: 'EndDevice',
    powerSource: battery,
    endpoint: 1,
    inputClusters: ['genBasic', 'genPowerCfg'],
    state: { battery: 100 },
  },
};

/** The hand-made home: rooms and names as a person would give them. Names may contain '/'. */
export const namedHome: ReadonlyArray<{ name: string; kind: DeviceKind }> = [
  { name: 'living_room/lamp', kind: 'color_light' },
  { name: 'living_room/floor_lamp', kind: 'color_light_ikea' },
  { name: 'living_room/tv_plug', kind: 'plug' },
  { name: 'living_room/climate', kind: 'climate_sensor' },
  { name: 'living_room/blind', kind: 'cover' },
  { name: 'living_room/thermostat', kind: 'thermostat' },
  { name: 'kitchen/ceiling', kind: 'ct_light' },
  { name: 'kitchen/kettle_plug', kind: 'plug' },
  { name: 'hallway/motion', kind: 'motion_sensor' },
  { name: 'hallway/front_door', kind: 'contact_sensor' },
  { name: 'hallway/front_door_lock', kind: 'lock' },
  { name: 'bedroom/remote', kind: 'remote' },
];
