/**
 * Whether a WebSocket upgrade's Origin may connect. Browsers always send Origin; desktop apps
 * and kiosk clients usually send none, and are judged by their token alone. A browser page may
 * connect only from the gateway's own origin (the Host it called) or a configured one, so a
 * web page elsewhere cannot drive Hearth through a visitor's browser.
 */
export function isOriginAllowed(options: {
  origin: string | undefined;
  host: string | undefined;
  allowed: readonly string[];
}): boolean {
  const { origin, host, allowed } = options;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
