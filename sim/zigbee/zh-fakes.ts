/**
 * Stand-ins for the zigbee-herdsman objects (`Device`, `Endpoint`, `Group`) that the
 * zigbee-herdsman-converters `toZigbee` converters talk to. They accept every command, read and
 * write at once (the radio is simulated) and remember cluster attributes, so that converters
 * which consult them (colour temperature range, colour capabilities) behave as on real hardware.
 *
 * The class names matter: the converters tell endpoints from groups by `constructor.name`.
 */

type Attributes = Record<string, unknown>;

/** What a converter sent; the simulator uses it to let lock and cover "report" like hardware. */
export interface SentCommand {
  cluster: string;
  command: string;
  payload: Record<string, unknown>;
}

export class Endpoint {
  readonly ID: number;
  readonly deviceIeeeAddress: string;
  readonly inputClusters: string[];
  readonly outputClusters: string[];
  readonly binds: unknown[] = [];
  readonly configuredReportings: unknown[] = [];
  /** Commands and writes since the simulator last drained them. */
  sent: SentCommand[] = [];
  private readonly device: Device;
  private readonly attributes = new Map<string, Attributes>();

  constructor(options: { device: Device; id: number; inputClusters?: string[] }) {
    this.device = options.device;
    this.ID = options.id;
    this.deviceIeeeAddress = options.device.ieeeAddr;
    this.inputClusters = options.inputClusters ?? [];
    this.outputClusters = [];
  }

  getDevice(): Device {
    return this.device;
  }

  supportsInputCluster(name: string): boolean {
    return this.inputClusters.includes(name);
  }

  supportsOutputCluster(name: string): boolean {
    return this.outputClusters.includes(name);
  }

  getInputClusters(): Array<{ name: string }> {
    return this.inputClusters.map((name) => ({ name }));
  }

  getOutputClusters(): Array<{ name: string }> {
    return this.outputClusters.map((name) => ({ name }));
  }

  getClusterAttributeValue(cluster: string, attribute: string): unknown {
    return this.attributes.get(cluster)?.[attribute];
  }

  saveClusterAttributeKeyValue(cluster: string, values: Attributes): void {
    this.attributes.set(cluster, { ...this.attributes.get(cluster), ...values });
  }

  async command(cluster: string, command: string, payload: Record<string, unknown>): Promise<void> {
    this.sent.push({ cluster, command, payload });
    await Promise.resolve();
  }

  async write(cluster: string, values: Attributes): Promise<void> {
    this.saveClusterAttributeKeyValue(cluster, values);
    this.sent.push({ cluster, command: 'write', payload: values });
    await Promise.resolve();
  }

  async read(cluster: string, attributes: Array<string | number>): Promise<Attributes> {
    await Promise.resolve();
    const known = this.attributes.get(cluster) ?? {};
    return Object.fromEntries(attributes.map((name) => [name, known[String(name)]]));
  }

  async bind(): Promise<void> {}
  async unbind(): Promise<void> {}
  async configureReporting(): Promise<void> {}
  async defaultResponse(): Promise<void> {}
}

export interface DeviceIdentity {
  ieeeAddr: string;
  networkAddress: number;
  modelID: string;
  manufacturerName: string;
  type: 'Router' | 'EndDevice';
  powerSource: string;
}

export class Device {
  readonly ieeeAddr: string;
  readonly networkAddress: number;
  readonly modelID: string;
  readonly manufacturerName: string;
  readonly manufacturerID = 4107;
  readonly type: 'Router' | 'EndDevice';
  readonly powerSource: string;
  readonly interviewState = 'SUCCESSFUL';
  readonly interviewCompleted = true;
  readonly softwareBuildID = '1.0.0';
  readonly dateCode = '20240101';
  readonly meta: Record<string, unknown> = {};
  readonly customClusters = {};
  endpoints: Endpoint[] = [];

  constructor(identity: DeviceIdentity) {
    this.ieeeAddr = identity.ieeeAddr;
    this.networkAddress = identity.networkAddress;
    this.modelID = identity.modelID;
    this.manufacturerName = identity.manufacturerName;
    this.type = identity.type;
    this.powerSource = identity.powerSource;
  }

  getEndpoint(id: number): Endpoint | undefined {
    return this.endpoints.find((endpoint) => endpoint.ID === id);
  }

  async save(): Promise<void> {}
}

export class Group {
  readonly groupID: number;
  readonly members: Endpoint[];
  readonly meta: Record<string, unknown> = {};

  constructor(options: { groupID: number; members: Endpoint[] }) {
    this.groupID = options.groupID;
    this.members = options.members;
  }

  async command(cluster: string, command: string, payload: Record<string, unknown>): Promise<void> {
    for (const member of this.members) await member.command(cluster, command, payload);
  }

  async write(cluster: string, values: Attributes): Promise<void> {
    for (const member of this.members) await member.write(cluster, values);
  }

  async read(): Promise<void> {}
}
