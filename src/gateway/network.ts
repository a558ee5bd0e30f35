import ipaddr from 'ipaddr.js';

export type AddressCheck = (address: string | undefined) => boolean;

/**
 * A check that an address lies in one of the given CIDR networks. IPv4-mapped IPv6 addresses
 * (`::ffff:192.168.1.5`) are judged as the IPv4 address they carry.
 */
export function createAddressCheck(networks: readonly string[]): AddressCheck {
  const ranges = networks.map((cidr) => ipaddr.parseCIDR(cidr));
  // A home has few addresses and asks again for each request: remember the verdicts (the
  // networks are fixed for the check's life), forgetting all of them past a bound.
  const verdicts = new Map<string, boolean>();
  return (address) => {
    if (address === undefined) return false;
    let verdict = verdicts.get(address);
    if (verdict === undefined) {
      if (verdicts.size >= 4096) verdicts.clear();
      verdict = judge(address);
      verdicts.set(address, verdict);
    }
    return verdict;
  };

  function judge(address: string): boolean {
    if (!ipaddr.isValid(address)) return false;
    let parsed = ipaddr.parse(address);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
      parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    }
    return ranges.some(
      ([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits),
    );
  }
}
