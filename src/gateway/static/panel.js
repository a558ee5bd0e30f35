/** What the page's side panels (devices, MCP servers) share. */

/** A top-bar button that shows and hides its panel. */
export function bindToggle(toggle, root) {
  toggle.addEventListener('click', () => {
    root.hidden = !root.hidden;
    toggle.setAttribute('aria-expanded', String(!root.hidden));
  });
}

/** An On/Off switch; "…" and disabled while a change waits for its confirmation. */
export function switchButton({ testid, label, on, pending, disabled = false, onClick }) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'device-switch';
  button.dataset.testid = testid;
  button.setAttribute('role', 'switch');
  button.setAttribute('aria-checked', String(on));
  button.setAttribute('aria-label', `${label} ${on ? 'on' : 'off'}`);
  button.textContent = pending ? '…' : on ? 'On' : 'Off';
  button.disabled = pending || disabled;
  button.addEventListener('click', onClick);
  return button;
}
