/**
 * The page's MCP servers panel, for admin tokens: every configured server with its state, and
 * a switch that turns it ON or OFF through `PUT /api/v1/mcp-servers/<name>/enabled`. The list
 * is read once after `welcome` and then follows the `mcp.servers` frames Hearth sends on every
 * change (from any admin, any UI). Names and errors reach the page only through `textContent`.
 */
import { bindToggle, switchButton } from './panel.js';

const stateLabel = {
  off: 'off',
  idle: 'stopped (starts on use)',
  starting: 'starting…',
  ready: 'running',
  failed: 'failed',
};

export function createMcpServersPanel({ root, toggle, token, onError }) {
  let servers = [];
  let admin = false;
  const pending = new Set();

  bindToggle(toggle, root);

  function render() {
    toggle.hidden = !admin || servers.length === 0;
    if (toggle.hidden) root.hidden = true;
    root.replaceChildren();
    const heading = document.createElement('h2');
    heading.textContent = 'MCP servers';
    root.append(heading);
    for (const server of servers) root.append(row(server));
  }

  function row(server) {
    const item = document.createElement('div');
    item.className = 'device mcp-server';
    item.dataset.testid = 'mcp-server';
    item.dataset.server = server.name;
    item.dataset.state = server.state;
    const name = document.createElement('span');
    name.className = 'device-name';
    name.textContent = server.name;
    const detail = document.createElement('span');
    detail.className = 'device-state';
    detail.dataset.testid = 'mcp-server-state';
    const tools = server.tools === 1 ? '1 tool' : `${server.tools} tools`;
    detail.textContent =
      server.state === 'failed' && server.lastError
        ? `failed: ${server.lastError}`
        : `${stateLabel[server.state] ?? server.state} · ${tools}`;
    if (server.state === 'failed') detail.classList.add('failed');
    const button = switchButton({
      testid: 'mcp-server-switch',
      label: server.name,
      on: server.enabled,
      pending: pending.has(server.name),
      onClick: () => void flip(server),
    });
    item.append(name, detail, button);
    return item;
  }

  async function api(path, init = {}) {
    const response = await fetch(`/api/v1${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token()}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body?.error?.message ?? `Hearth answered ${response.status}`);
    return body;
  }

  async function flip(server) {
    pending.add(server.name);
    render();
    try {
      const updated = await api(`/mcp-servers/${encodeURIComponent(server.name)}/enabled`, {
        method: 'PUT',
        body: JSON.stringify({ enabled: !server.enabled }),
      });
      servers = servers.map((s) => (s.name === updated.name ? updated : s));
    } catch (error) {
      onError(`${server.name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      pending.delete(server.name);
      render();
    }
  }

  return {
    /** After every `welcome`: only admins see the panel; the list is read afresh. */
    async load(role) {
      admin = role === 'admin';
      if (!admin) return render();
      try {
        servers = (await api('/mcp-servers')).servers ?? [];
      } catch {
        servers = [];
      }
      render();
    },
    /** Takes `mcp.servers` frames; returns false for any other. */
    applyFrame(frame) {
      if (frame.type !== 'mcp.servers') return false;
      if (Array.isArray(frame.servers)) servers = frame.servers;
      render();
      return true;
    },
  };
}
