import ipaddr from 'ipaddr.js';

export type AddressCheck = (address: string | undefined) => boolean;

/**
 * A check that an address lies in one of the given CIDR networks. IPv4-mapped IPv6 addresses
 * (`::ffff:192.168.1.5`) are judged as the IPv4 address they carry.
 */
export function createAddressCheck(networks: readonly string[]): AddressCheck {
  const ranges = networks.map((cidr) => ipaddr.parseCIDR(cidr));
  return (address) => {
    if (address === undefined || !ipaddr.isValid(address)) return false;
    let parsed = ipaddr.parse(address);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
      parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    }
    return ranges.some(
      ([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits),
    );
  };
}
