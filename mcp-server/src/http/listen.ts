import { ConfigError } from '../config.js';

/**
 * Why the server could not listen where `--host` and `--port` say, as a {@link ConfigError} that
 * names the flag and the fix (Node's own message, `listen EADDRINUSE: address already in use`,
 * names neither). Errors of other kinds are returned as they are.
 * @param error what `listen` failed with (a Node `ErrnoException`)
 * @param host the `--host` value, as given
 * @param port the `--port` value
 */
export function listenProblem(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `--port ${port}: ${address} is already in use by another process: stop it, or choose another port (--port 0 picks a free one).`,
      );
    case 'EACCES':
      return new ConfigError(
        `--port ${port}: permission denied on ${address}; ports below 1024 need root or the CAP_NET_BIND_SERVICE capability: use a higher port (e.g. --port 3000), behind a reverse proxy for 80 or 443.`,
      );
    case 'EADDRNOTAVAIL':
      return new ConfigError(
        `--host ${host} is not an address of this machine: give one of its own addresses, 127.0.0.1 (this machine only), or 0.0.0.0 or :: (every interface, with auth).`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConfigError(
        `--host ${host} is not a host name this machine can resolve: give an IP address such as 127.0.0.1, or a name in its hosts file or DNS.`,
      );
    case 'EAFNOSUPPORT':
      return new ConfigError(`--host ${host}: this machine has no IPv6: listen on 127.0.0.1 or 0.0.0.0.`);
    default:
      return error;
  }
}
