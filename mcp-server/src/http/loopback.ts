/**
 * Whether a host name or address (as `--host`, a URL's `hostname` or a `Host` header's name
 * spell it, IPv6 with or without brackets) names this machine only: `localhost`, 127.0.0.0/8 or
 * `::1`. Plain HTTP to it is no exposure, and an endpoint only it reaches needs no auth.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
