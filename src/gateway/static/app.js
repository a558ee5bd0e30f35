/**
 * Hearth's web page: one conversation at a time, streamed over `/ws` (protocol 1, see
 * docs/protocol.md). A plain ES module with no build step and no dependencies. Text from the
 * model or from other people only ever reaches the page through `textContent`/text nodes.
 *
 * Resume rule: the rendered messages and the seq they reflect are saved together (per tab, in
 * sessionStorage), so after a reload the page shows them again and subscribes with
 * `afterSeq` = that seq, getting exactly the events it missed. Without a saved view (a new
 * tab) it subscribes without `afterSeq` and starts from the server's snapshot.
 *
 * A reply is a list of parts in the order they happened: text, tool calls (each with its result
 * once it came) and images. Images live under `/media/`, which wants the token as a bearer
 * header, so the page fetches them and shows blob URLs.
 */

import { createConversationsPanel } from './conversations.js';
import { createDevicesPanel } from './devices.js';
import { createMcpServersPanel } from './mcp-servers.js';

const protocolVersion = 1;
const client = { name: 'hearth-web', kind: 'web' };

/** Close codes from src/gateway/close-codes.ts that change what the page does next. */
const closeCode = { unauthorized: 4003, unsupportedProtocol: 4004 };

const keys = {
  token: 'hearth.token',
  conversation: 'hearth.conversation',
  profile: 'hearth.profile',
};
/** sessionStorage: one conversation's messages as rendered, with the seq they reflect. */
const viewKey = (conversationId) => `hearth.view.${conversationId}`;
const viewVersion = 2;

const maxTextLength = 200_000;
const maxPromptLength = 32_000;
const heartbeatMs = 25_000;
const pongTimeoutMs = 10_000;
const saveDelayMs = 250;

const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  connection: byId('connection-state'),
  connectionLabel: byId('connection-label'),
  title: byId('conversation-title'),
  profile: /** @type {HTMLSelectElement} */ (byId('profile-select')),
  newConversation: /** @type {HTMLButtonElement} */ (byId('new-conversation')),
  forgetToken: /** @type {HTMLButtonElement} */ (byId('forget-token')),
  main: byId('main'),
  setup: byId('setup'),
  setupTitle: byId('setup-title'),
  setupText: byId('setup-text'),
  setupImages: byId('setup-images'),
  tokenForm: /** @type {HTMLFormElement} */ (byId('token-form')),
  tokenInput: /** @type {HTMLInputElement} */ (byId('token-input')),
  tokenReason: byId('token-reason'),
  messages: byId('messages'),
  earlier: /** @type {HTMLButtonElement} */ (byId('earlier')),
  empty: byId('empty'),
  notice: byId('notice'),
  noticeText: byId('notice-text'),
  noticeClose: byId('notice-close'),
  composerForm: /** @type {HTMLFormElement} */ (byId('composer-form')),
  composer: /** @type {HTMLTextAreaElement} */ (byId('composer')),
  send: /** @type {HTMLButtonElement} */ (byId('send')),
  stop: /** @type {HTMLButtonElement} */ (byId('stop')),
  hint: byId('hint'),
  devices: byId('devices'),
  devicesToggle: /** @type {HTMLButtonElement} */ (byId('devices-toggle')),
  conversations: byId('conversations'),
  conversationsToggle: /** @type {HTMLButtonElement} */ (byId('conversations-toggle')),
  mcpServers: byId('mcp-servers'),
  mcpServersToggle: /** @type {HTMLButtonElement} */ (byId('mcp-servers-toggle')),
};

// ---------------------------------------------------------------------------------------------
// Storage that never throws (private browsing, disabled storage, a full quota).

const storage = {
  get(area, key) {
    try {
      return window[area].getItem(key);
    } catch {
      return null;
    }
  },
  set(area, key, value) {
    try {
      window[area].setItem(key, value);
      return true;
    } catch {
      return false;
    }
  },
  remove(area, key) {
    try {
      window[area].removeItem(key);
    } catch {
      // Nothing to clean up when storage is unavailable.
    }
  },
};

// ---------------------------------------------------------------------------------------------
// State.

/**
 * One piece of a message, in order. A tool part holds a call and, once it came, its result;
 * `args` is the arguments as compact JSON (or the model's text when it was not JSON). An image
 * part is a preview while `preview` is set, and the final image once `image.done` came.
 *
 * @typedef {{ type: 'text', text: string }
 *   | { type: 'tool', callId: string, name: string, args: string | null,
 *       result: { content: string, isError: boolean } | null }
 *   | { type: 'image', url: string, mediaType: string | null, preview: boolean, index: number }
 * } Part
 */

/**
 * @typedef {{ id: string, turnId: string, role: 'user' | 'assistant', parts: Part[],
 *   kind: 'chat' | 'image', status: string, error: { code: string, message: string } | null,
 *   profile: string | null, model: string | null, note?: string }} Message
 */

const state = {
  /** @type {string | null} */ token: null,
  /** @type {WebSocket | null} */ socket: null,
  welcomed: false,
  configured: true,
  /** @type {Array<{ id: string, label: string, model: string, kind: 'chat' | 'image' }>} */
  profiles: [],
  /** @type {string | null} */ defaultProfile: null,
  /** @type {string | null} */ defaultImageProfile: null,
  /** @type {string | null} */ conversationId: null,
  conversationTitle: '',
  /** @type {string | null} */ conversationProfile: null,
  /** Seq of the last conversation event applied to `messages`. */
  lastSeq: 0,
  /** Whether `messages` reflect `lastSeq`, so that a subscribe may ask for `afterSeq`. */
  hasView: true,
  /** @type {Message[]} */ messages: [],
  /** Messages stored before the first of `messages`, not loaded yet (`history` loads them). */
  earlier: 0,
  /** The `history` request under way, if any (a new conversation drops it). */
  /** @type {object | null} */ earlierRequest: null,
  /** @type {string | null} */ runningTurnId: null,
  stopping: false,
  subscribing: false,
  sending: false,
  /** @type {Map<string, { resolve: (f: any) => void, reject: (e: Error) => void, timer: number }>} */
  pending: new Map(),
  nextRequestId: 1,
  reconnectAttempt: 0,
  reconnectAt: 0,
  reconnectTimer: 0,
  countdownTimer: 0,
  heartbeatTimer: 0,
  saveTimer: 0,
  /** Why the last hello failed, shown with the token form. */
  /** @type {string | null} */ helloError: null,
  /** Set when reconnecting would not help (the page must be reloaded). */
  halted: false,
};

/**
 * Rendered elements by message id; `parts[i]` shows the message's `parts[i]`.
 * @typedef {{ root: HTMLElement, meta: HTMLElement, body: HTMLElement, status: HTMLElement,
 *   parts: HTMLElement[] }} MessageView
 */
/** @type {Map<string, MessageView>} */
const views = new Map();

/**
 * Images fetched with the token, by their `/media/` URL: the blob URL once loaded. Entries no
 * message refers to any more are revoked (see `pruneMedia`).
 * @type {Map<string, { promise: Promise<string>, blobUrl: string | null, dropped: boolean }>}
 */
const media = new Map();

class RequestError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Boot.

function boot() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const fromHash = hash.get('token');
  if (fromHash) {
    storage.set('localStorage', keys.token, fromHash);
    history.replaceState(history.state, '', location.pathname + location.search);
  }
  state.token = fromHash || storage.get('localStorage', keys.token);

  const fromUrl = new URLSearchParams(location.search).get('c');
  const conversationId = fromUrl || storage.get('localStorage', keys.conversation);
  if (conversationId) {
    rememberConversation(conversationId);
    restoreView(conversationId);
  }
  renderAll();

  ui.composerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void sendMessage();
  });
  ui.composer.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      void sendMessage();
    }
  });
  ui.composer.addEventListener('input', () => {
    autosize();
    updateControls();
  });
  ui.stop.addEventListener('click', () => void stopTurn());
  ui.earlier.addEventListener('click', () => void loadEarlier());
  ui.newConversation.addEventListener('click', () => {
    startNewConversation();
    ui.composer.focus();
  });
  ui.forgetToken.addEventListener('click', signOut);
  ui.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = ui.tokenInput.value.trim();
    if (!token) return;
    ui.tokenInput.value = '';
    state.token = token;
    state.helloError = null;
    state.halted = false;
    storage.set('localStorage', keys.token, token);
    connectNow();
  });
  ui.profile.addEventListener('change', () => {
    storage.set('localStorage', keys.profile, ui.profile.value);
    updateControls();
  });
  ui.noticeClose.addEventListener('click', hideNotice);
  ui.connection.addEventListener('click', () => {
    if (!state.socket && state.token && !state.halted) connectNow();
  });

  // Phones and kiosks sleep: come back at once instead of waiting out the backoff.
  window.addEventListener('online', () => reconnectSoon());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reconnectSoon();
    else saveView();
  });
  window.addEventListener('pagehide', saveView);

  if (state.token) {
    connect();
  } else {
    setConnection('signed-out', 'Token needed');
    showTokenForm(null);
  }
  updateControls();
}

// ---------------------------------------------------------------------------------------------
// Connection.

function connect() {
  clearTimeout(state.reconnectTimer);
  clearInterval(state.countdownTimer);
  if (state.socket || !state.token || state.halted) return;
  const url = new URL('/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  url.search = '';
  setConnection('connecting', 'Connecting…');
  let socket;
  try {
    socket = new WebSocket(url);
  } catch {
    scheduleReconnect();
    return;
  }
  state.socket = socket;
  socket.addEventListener('open', () => {
    if (state.socket === socket) void hello();
  });
  socket.addEventListener('message', (event) => {
    if (state.socket === socket && typeof event.data === 'string') onFrame(event.data);
  });
  socket.addEventListener('close', (event) => {
    if (state.socket === socket) onClosed(event.code);
  });
}

function connectNow() {
  state.reconnectAttempt = 0;
  connect();
}

/** After sleep or a network change: reconnect now if a reconnect is waiting. */
function reconnectSoon() {
  if (!state.socket && state.token && !state.halted) connectNow();
}

async function hello() {
  const token = state.token;
  if (!token) return;
  try {
    const welcome = await request({ type: 'hello', protocol: protocolVersion, token, client });
    onWelcome(welcome);
  } catch (error) {
    // An unauthorized hello is followed by close 4003, handled in onClosed.
    if (!(error instanceof RequestError && error.code === 'disconnected')) {
      state.helloError = error instanceof Error ? error.message : String(error);
    }
  }
}

const devicesPanel = createDevicesPanel({
  root: ui.devices,
  toggle: ui.devicesToggle,
  request: (frame, timeoutMs) => request(frame, timeoutMs),
  onError: (message) => showNotice(message),
});

const conversationsPanel = createConversationsPanel({
  root: ui.conversations,
  toggle: ui.conversationsToggle,
  token: () => state.token,
  current: () => state.conversationId,
  onOpen: (conversationId) => openConversation(conversationId),
  onError: (message) => showNotice(message),
});

const mcpServersPanel = createMcpServersPanel({
  root: ui.mcpServers,
  toggle: ui.mcpServersToggle,
  token: () => state.token,
  onError: (message) => showNotice(message),
});

function onWelcome(welcome) {
  state.welcomed = true;
  state.reconnectAttempt = 0;
  state.helloError = null;
  setConnection('connected', welcome.user ? `Connected as ${welcome.user}` : 'Connected');
  applyProfileState(welcome);
  startHeartbeat();
  if (state.conversationId) void subscribe();
  void conversationsPanel.connected();
  void devicesPanel.subscribe();
  void mcpServersPanel.load(welcome.role);
  updateControls();
}

/** Profiles and setup, from `welcome` or a later `config.changed`. */
function applyProfileState(frame) {
  state.profiles = (Array.isArray(frame.profiles) ? frame.profiles : [])
    .filter((p) => p && typeof p.id === 'string')
    .map((p) => ({ ...p, kind: p.kind === 'image' ? 'image' : 'chat' }));
  state.defaultProfile = frame.defaultProfile ?? null;
  state.defaultImageProfile = frame.defaultImageProfile ?? null;
  state.configured = frame.setup ? frame.setup.configured !== false : true;
  renderProfiles();
  renderSetup(state.configured ? null : (frame.setup?.message ?? 'Hearth is not set up yet.'));
}

function onClosed(code) {
  state.socket = null;
  state.welcomed = false;
  state.subscribing = false;
  state.stopping = false;
  stopHeartbeat();
  const lost = new RequestError('disconnected', 'The connection to Hearth was lost.');
  for (const [id, entry] of state.pending) {
    clearTimeout(entry.timer);
    state.pending.delete(id);
    entry.reject(lost);
  }
  if (code === closeCode.unauthorized) {
    storage.remove('localStorage', keys.token);
    state.token = null;
    setConnection('unauthorized', 'Token needed');
    showTokenForm(state.helloError ?? 'That token was not accepted.');
  } else if (code === closeCode.unsupportedProtocol) {
    state.halted = true;
    setConnection('error', 'Update needed');
    showNotice('This page is older than Hearth. Reload the page to update it.');
  } else {
    scheduleReconnect();
  }
  updateControls();
}

function scheduleReconnect() {
  clearTimeout(state.reconnectTimer);
  clearInterval(state.countdownTimer);
  if (!state.token || state.halted) return;
  const base = Math.min(30_000, 500 * 2 ** state.reconnectAttempt);
  const delay = Math.round(base * (0.75 + Math.random() * 0.5));
  state.reconnectAttempt += 1;
  state.reconnectAt = Date.now() + delay;
  const tick = () => {
    const seconds = Math.max(1, Math.ceil((state.reconnectAt - Date.now()) / 1000));
    setConnection('offline', `Offline · retrying in ${seconds} s`);
  };
  tick();
  state.countdownTimer = window.setInterval(tick, 1000);
  state.reconnectTimer = window.setTimeout(connect, delay);
}

/** Drops the socket without waiting for a closing handshake that may never come. */
function dropSocket() {
  const socket = state.socket;
  if (!socket) return;
  try {
    socket.close();
  } catch {
    // Already closed.
  }
  onClosed(1006);
}

function startHeartbeat() {
  stopHeartbeat();
  state.heartbeatTimer = window.setInterval(() => {
    request({ type: 'ping' }, pongTimeoutMs).catch((error) => {
      if (error instanceof RequestError && error.code === 'timeout') dropSocket();
    });
  }, heartbeatMs);
}

function stopHeartbeat() {
  clearInterval(state.heartbeatTimer);
}

/** Sends a frame with a fresh id; resolves with its ack/welcome/pong, rejects with its error. */
function request(frame, timeoutMs = 0) {
  const socket = state.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    return Promise.reject(new RequestError('offline', 'Not connected to Hearth right now.'));
  }
  const id = `w${state.nextRequestId++}`;
  return new Promise((resolve, reject) => {
    const entry = { resolve, reject, timer: 0 };
    if (timeoutMs > 0) {
      entry.timer = window.setTimeout(() => {
        state.pending.delete(id);
        reject(new RequestError('timeout', 'Hearth did not answer in time.'));
      }, timeoutMs);
    }
    state.pending.set(id, entry);
    socket.send(JSON.stringify({ ...frame, id }));
  });
}

function onFrame(data) {
  let frame;
  try {
    frame = JSON.parse(data);
  } catch {
    return;
  }
  if (!frame || typeof frame !== 'object') return;
  const entry = frame.id === undefined ? undefined : state.pending.get(frame.id);
  if (entry && ['ack', 'welcome', 'pong', 'error'].includes(frame.type)) {
    state.pending.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.type === 'error') entry.reject(new RequestError(frame.code, frame.message));
    else entry.resolve(frame);
    return;
  }
  if (devicesPanel.applyFrame(frame) || mcpServersPanel.applyFrame(frame)) return;
  if (frame.type === 'snapshot') {
    applySnapshot(frame);
  } else if (frame.type === 'conversation.deleted') {
    onDeleted(frame.conversationId);
  } else if (frame.type === 'conversation.renamed') {
    onRenamed(frame.conversationId, frame.title);
  } else if (frame.type === 'config.changed') {
    if (frame.error) showNotice(`config.yaml was not applied: ${frame.error.message}`);
    else {
      applyProfileState(frame);
      updateControls();
    }
  } else if (frame.type === 'error') {
    showNotice(frame.message || 'Hearth reported an error.');
  } else if (typeof frame.conversationId === 'string' && Number.isInteger(frame.seq)) {
    applyEvent(frame);
  }
}

// ---------------------------------------------------------------------------------------------
// Conversation state: snapshots and seq-numbered events.

async function subscribe() {
  const conversationId = state.conversationId;
  if (!conversationId || !state.welcomed || state.subscribing) return;
  state.subscribing = true;
  updateControls();
  const frame = { type: 'subscribe', conversationId };
  if (state.hasView) frame.afterSeq = state.lastSeq;
  try {
    await request(frame);
  } catch (error) {
    if (state.conversationId !== conversationId) return;
    if (error instanceof RequestError && error.code === 'unknown_conversation') {
      startNewConversation();
      showNotice('That conversation is no longer on this Hearth, so a new one was started.');
    } else if (!(error instanceof RequestError && error.code === 'disconnected')) {
      showNotice(error instanceof Error ? error.message : String(error));
    }
  } finally {
    if (state.conversationId === conversationId) state.subscribing = false;
    updateControls();
  }
}

/** A snapshot replaces the view: its messages, and its seq as the last one seen. */
function applySnapshot(frame) {
  if (frame.conversationId !== state.conversationId || !Number.isInteger(frame.seq)) return;
  state.lastSeq = frame.seq;
  state.hasView = true;
  state.conversationTitle = frame.conversation?.title ?? state.conversationTitle;
  state.conversationProfile = frame.conversation?.profile ?? null;
  const messages = (Array.isArray(frame.messages) ? frame.messages : []).map(fromMessageView);
  // Pages loaded before stay when the snapshot joins them: older messages do not change.
  const joins = messages.length > 0 ? state.messages.findIndex((m) => m.id === messages[0].id) : -1;
  if (joins > 0) {
    state.messages = [...state.messages.slice(0, joins), ...messages];
  } else {
    state.messages = messages;
    state.earlier = Number.isInteger(frame.earlier) && frame.earlier > 0 ? frame.earlier : 0;
  }
  assignKinds(state.messages);
  const streaming = state.messages.findLast(
    (m) => m.role === 'assistant' && m.status === 'streaming',
  );
  state.runningTurnId = streaming ? streaming.turnId : null;
  state.stopping = false;
  if (state.conversationProfile) selectProfile(state.conversationProfile);
  renderAll();
  pruneMedia();
  scrollToEnd(true);
  saveSoon();
}

/** A question shows as its reply does (chat or image). */
function assignKinds(messages) {
  for (const message of messages) {
    if (message.role !== 'user') continue;
    const reply = messages.find((m) => m.turnId === message.turnId && m.role === 'assistant');
    if (reply) message.kind = reply.kind;
  }
}

/** Loads the page of messages before the first one shown, keeping the view where it was. */
async function loadEarlier() {
  const conversationId = state.conversationId;
  const first = state.messages[0];
  if (!conversationId || !first || state.earlier === 0 || state.earlierRequest) return;
  const ticket = {};
  state.earlierRequest = ticket;
  renderEarlier();
  try {
    const page = await request({ type: 'history', conversationId, before: first.id }, 15_000);
    // Older messages never change, so the page fits as long as the same message is first.
    if (state.earlierRequest !== ticket || state.messages[0]?.id !== first.id) return;
    state.earlierRequest = null;
    const older = (Array.isArray(page.messages) ? page.messages : []).map(fromMessageView);
    // Where the first message is from the bottom stays, while the button and pages above change.
    const fromBottom = ui.main.scrollHeight - ui.main.scrollTop;
    state.messages = [...older, ...state.messages];
    state.earlier = Number.isInteger(page.earlier) && page.earlier > 0 ? page.earlier : 0;
    assignKinds(state.messages);
    renderEarlier();
    const fragment = document.createDocumentFragment();
    for (const message of older) fragment.append(renderMessage(message));
    ui.empty.after(fragment);
    ui.main.scrollTop = ui.main.scrollHeight - fromBottom;
    saveSoon();
  } catch (error) {
    if (state.earlierRequest !== ticket) return;
    if (!(error instanceof RequestError && error.code === 'disconnected')) {
      showNotice(error instanceof Error ? error.message : String(error));
    }
  } finally {
    if (state.earlierRequest === ticket) {
      state.earlierRequest = null;
      renderEarlier();
    }
  }
}

function renderEarlier() {
  const loading = state.earlierRequest !== null;
  ui.earlier.hidden = state.earlier === 0 || state.messages.length === 0;
  ui.earlier.disabled = loading || !state.welcomed;
  ui.earlier.textContent = loading
    ? 'Loading earlier messages…'
    : `Show ${state.earlier === 1 ? 'the earlier message' : `${state.earlier} earlier messages`}`;
}

function fromMessageView(view) {
  const role = view.role === 'user' ? 'user' : 'assistant';
  const parts = partsOf(view.content);
  const profile = view.profile ?? null;
  return {
    id: String(view.id),
    turnId: String(view.turnId),
    role,
    parts,
    kind: parts.some((p) => p.type === 'image') || kindOf(profile) === 'image' ? 'image' : 'chat',
    status: typeof view.status === 'string' ? view.status : 'complete',
    error: view.error ?? null,
    profile,
    model: view.model ?? null,
  };
}

/** A stored message's content as parts: each tool result joins the call it answers. */
function partsOf(content) {
  /** @type {Part[]} */
  const parts = [];
  if (!Array.isArray(content)) return parts;
  for (const part of content) {
    if (!part || typeof part !== 'object') continue;
    if (part.type === 'text' && typeof part.text === 'string') {
      addText(parts, part.text);
    } else if (part.type === 'tool_call') {
      const args = argumentsText(part.arguments, true);
      parts.push({
        type: 'tool',
        callId: String(part.id),
        name: String(part.name),
        args,
        result: null,
      });
    } else if (part.type === 'tool_result') {
      const result = { content: String(part.content ?? ''), isError: part.isError === true };
      const index = findTool(parts, String(part.callId), 'result');
      const tool = parts[index];
      if (tool?.type === 'tool') tool.result = result;
      else
        parts.push({
          type: 'tool',
          callId: String(part.callId),
          name: String(part.name),
          args: null,
          result,
        });
    } else if (part.type === 'image' && typeof part.url === 'string') {
      parts.push(imagePart(part.url, part.mediaType, false, 0));
    }
  }
  return parts;
}

function addText(parts, text) {
  if (text === '') return;
  const last = parts.at(-1);
  if (last?.type === 'text') last.text += text;
  else parts.push({ type: 'text', text });
}

/**
 * The index of the tool part still waiting for a call's `result` (or, should a result have come
 * first, for its `args`), or -1. Ids are only unique within a round, so only a part still
 * missing that piece can be the one.
 */
function findTool(parts, callId, missing) {
  return parts.findLastIndex(
    (p) => p.type === 'tool' && p.callId === callId && p[missing] === null,
  );
}

/** @returns {Part & { type: 'image' }} */
function imagePart(url, mediaType, preview, index) {
  return {
    type: 'image',
    url,
    mediaType: typeof mediaType === 'string' ? mediaType : null,
    preview,
    index: Number.isInteger(index) ? index : 0,
  };
}

/**
 * Tool arguments as compact JSON, the same whether they came live (parsed when valid JSON) or
 * stored (the model's text): `raw` says the value is the model's text.
 */
function argumentsText(value, raw) {
  if (raw || typeof value === 'string') {
    const text = String(value ?? '');
    try {
      return JSON.stringify(JSON.parse(text));
    } catch {
      return text;
    }
  }
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

function textOf(content) {
  if (!Array.isArray(content)) return '';
  return content
    .filter((part) => part && part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}

/** A message's text parts, joined. */
function messageText(message) {
  return message.parts
    .filter((p) => p.type === 'text')
    .map((p) => p.text)
    .join('');
}

function kindOf(profileId) {
  return state.profiles.find((p) => p.id === profileId)?.kind ?? 'chat';
}

function applyEvent(event) {
  if (event.conversationId !== state.conversationId) return;
  // Exactly once: anything at or below the last seq was already applied.
  if (event.seq <= state.lastSeq) return;
  if (event.seq !== state.lastSeq + 1) {
    // A gap: ask for what is missing (a replay, or a snapshot); the events that follow are
    // dropped until the replay fills the gap.
    void subscribe();
    return;
  }
  state.lastSeq = event.seq;
  const stick = isNearEnd();
  switch (event.type) {
    case 'turn.started': {
      const kind = kindOf(event.profile ?? null);
      const text = textOf(event.content);
      upsertMessage({
        id: event.userMessageId,
        turnId: event.turnId,
        role: 'user',
        parts: text === '' ? [] : [{ type: 'text', text }],
        kind,
        status: 'complete',
        error: null,
        profile: event.profile ?? null,
        model: null,
      });
      upsertMessage({
        id: event.assistantMessageId,
        turnId: event.turnId,
        role: 'assistant',
        parts: [],
        kind,
        status: 'streaming',
        error: null,
        profile: event.profile ?? null,
        model: event.model ?? null,
        ...(event.omittedMessages > 0 && { note: omittedNote(event.omittedMessages) }),
      });
      state.runningTurnId = event.turnId;
      state.stopping = false;
      updateControls();
      if (!state.conversationTitle) {
        state.conversationTitle = text.slice(0, 80);
        renderTitle();
      }
      break;
    }
    case 'text.delta': {
      if (typeof event.text !== 'string' || event.text === '') break;
      const message = assistantOf(event.turnId);
      const last = message.parts.at(-1);
      if (last?.type === 'text') {
        last.text += event.text;
        const view = views.get(message.id);
        const element = view?.parts.at(-1);
        if (element) appendText(element, event.text);
      } else {
        addPart(message, { type: 'text', text: event.text });
      }
      break;
    }
    case 'tool.call': {
      const message = assistantOf(event.turnId);
      const args = argumentsText(event.arguments, false);
      const callId = String(event.callId);
      const index = findTool(message.parts, callId, 'args');
      if (index === -1) {
        addPart(message, { type: 'tool', callId, name: String(event.name), args, result: null });
      } else {
        const part = /** @type {Part & { type: 'tool' }} */ (message.parts[index]);
        part.args = args;
        updatePart(message, index);
      }
      break;
    }
    case 'tool.result': {
      const message = assistantOf(event.turnId);
      const callId = String(event.callId);
      const result = { content: String(event.content ?? ''), isError: event.isError === true };
      const index = findTool(message.parts, callId, 'result');
      if (index === -1) {
        addPart(message, { type: 'tool', callId, name: String(event.name), args: null, result });
      } else {
        const part = /** @type {Part & { type: 'tool' }} */ (message.parts[index]);
        part.result = result;
        updatePart(message, index);
      }
      break;
    }
    case 'image.partial': {
      if (typeof event.url !== 'string') break;
      const message = assistantOf(event.turnId);
      message.kind = 'image';
      // A preview never replaces the final image, nor a newer preview.
      if (message.parts.some((p) => p.type === 'image' && !p.preview)) break;
      const index = message.parts.findLastIndex((p) => p.type === 'image' && p.preview);
      const part = imagePart(event.url, null, true, event.index);
      if (index === -1) {
        addPart(message, part);
      } else {
        const old = /** @type {Part & { type: 'image' }} */ (message.parts[index]);
        if (part.index < old.index) break;
        message.parts[index] = part;
        updatePart(message, index);
      }
      break;
    }
    case 'image.done': {
      if (typeof event.url !== 'string') break;
      const message = assistantOf(event.turnId);
      message.kind = 'image';
      const part = imagePart(event.url, event.mediaType, false, 0);
      const index = message.parts.findLastIndex((p) => p.type === 'image' && p.preview);
      if (index === -1) {
        addPart(message, part);
      } else {
        // The final image takes the preview's place.
        message.parts[index] = part;
        updatePart(message, index);
      }
      break;
    }
    case 'turn.done': {
      const message = assistantOf(event.turnId);
      message.status =
        event.finishReason === 'cancelled'
          ? 'cancelled'
          : event.finishReason === 'interrupted'
            ? 'interrupted'
            : 'complete';
      const cut =
        event.finishReason === 'length'
          ? 'Cut short: the reply hit its length limit.'
          : event.finishReason === 'content_filter'
            ? 'Cut short by a content filter.'
            : undefined;
      if (cut) message.note = message.note ? `${cut} ${message.note}` : cut;
      updateMessageView(message);
      endTurn(event.turnId);
      break;
    }
    case 'turn.error': {
      const message = assistantOf(event.turnId);
      message.status = event.code === 'interrupted' ? 'interrupted' : 'failed';
      message.error = { code: String(event.code), message: String(event.message ?? '') };
      updateMessageView(message);
      endTurn(event.turnId);
      break;
    }
    default:
      // Events this page does not know still advance the seq.
      break;
  }
  scrollToEnd(stick);
  saveSoon();
}

/** Why the model did not see the whole conversation (`turn.started.omittedMessages`). */
function omittedNote(count) {
  const what = count === 1 ? 'The oldest message was' : `The ${count} oldest messages were`;
  return `${what} not sent to the model: the conversation no longer fits its context window.`;
}

function endTurn(turnId) {
  if (state.runningTurnId === turnId) {
    state.runningTurnId = null;
    state.stopping = false;
  }
  updateControls();
}

/** The assistant message of a turn, made if its `turn.started` was never seen. */
function assistantOf(turnId) {
  const found = state.messages.findLast((m) => m.turnId === turnId && m.role === 'assistant');
  if (found) return found;
  return upsertMessage({
    id: `turn-${turnId}`,
    turnId,
    role: 'assistant',
    parts: [],
    kind: 'chat',
    status: 'streaming',
    error: null,
    profile: null,
    model: null,
  });
}

function upsertMessage(message) {
  const existing = state.messages.find((m) => m.id === message.id);
  if (existing) return existing;
  state.messages.push(message);
  ui.messages.append(renderMessage(message));
  updateEmpty();
  return message;
}

// ---------------------------------------------------------------------------------------------
// Conversation identity, and the saved view for resume.

function rememberConversation(conversationId) {
  state.conversationId = conversationId;
  conversationsPanel.refreshCurrent();
  storage.set('localStorage', keys.conversation, conversationId);
  const url = new URL(location.href);
  url.searchParams.set('c', conversationId);
  history.replaceState(history.state, '', url.pathname + url.search);
}

function forgetConversation() {
  if (state.conversationId) storage.remove('sessionStorage', viewKey(state.conversationId));
  storage.remove('localStorage', keys.conversation);
  const url = new URL(location.href);
  url.searchParams.delete('c');
  history.replaceState(history.state, '', url.pathname + url.search);
}

function restoreView(conversationId) {
  state.hasView = false;
  const raw = storage.get('sessionStorage', viewKey(conversationId));
  if (!raw) return;
  try {
    const saved = JSON.parse(raw);
    if (
      saved?.v !== viewVersion ||
      !Number.isInteger(saved.seq) ||
      saved.seq < 0 ||
      !Array.isArray(saved.messages) ||
      !saved.messages.every((m) => m && Array.isArray(m.parts))
    ) {
      return;
    }
    state.messages = saved.messages;
    state.earlier = Number.isInteger(saved.earlier) && saved.earlier > 0 ? saved.earlier : 0;
    state.lastSeq = saved.seq;
    state.conversationTitle = typeof saved.title === 'string' ? saved.title : '';
    state.conversationProfile = saved.profile ?? null;
    const streaming = state.messages.findLast(
      (m) => m.role === 'assistant' && m.status === 'streaming',
    );
    state.runningTurnId = streaming ? streaming.turnId : null;
    state.hasView = true;
  } catch {
    storage.remove('sessionStorage', viewKey(conversationId));
  }
}

function saveSoon() {
  if (state.saveTimer) return;
  state.saveTimer = window.setTimeout(saveView, saveDelayMs);
}

/** Saves the messages and the seq they reflect in one write, so the two always agree. */
function saveView() {
  clearTimeout(state.saveTimer);
  state.saveTimer = 0;
  const conversationId = state.conversationId;
  if (!conversationId || !state.hasView) return;
  const saved = JSON.stringify({
    v: viewVersion,
    seq: state.lastSeq,
    title: state.conversationTitle,
    profile: state.conversationProfile,
    messages: state.messages,
    earlier: state.earlier,
  });
  // Too big for the tab's storage: drop it, and the next load starts from a snapshot.
  if (!storage.set('sessionStorage', viewKey(conversationId), saved)) {
    storage.remove('sessionStorage', viewKey(conversationId));
  }
}

/** A conversation got a new title (here or on another screen). */
function onRenamed(conversationId, title) {
  if (typeof conversationId !== 'string' || typeof title !== 'string') return;
  conversationsPanel.renamed(conversationId, title);
  if (conversationId !== state.conversationId) {
    retitleSavedView(conversationId, title);
    return;
  }
  state.conversationTitle = title;
  renderTitle();
  saveSoon();
}

/** A resume replays no rename: a saved view of another conversation takes the title now. */
function retitleSavedView(conversationId, title) {
  const raw = storage.get('sessionStorage', viewKey(conversationId));
  if (!raw) return;
  try {
    const saved = JSON.parse(raw);
    if (saved && typeof saved === 'object') {
      storage.set('sessionStorage', viewKey(conversationId), JSON.stringify({ ...saved, title }));
    }
  } catch {
    storage.remove('sessionStorage', viewKey(conversationId));
  }
}

/** A conversation was deleted (here or on another screen): nothing of it stays. */
function onDeleted(conversationId) {
  if (typeof conversationId !== 'string') return;
  conversationsPanel.removed(conversationId);
  if (conversationId !== state.conversationId) {
    storage.remove('sessionStorage', viewKey(conversationId));
    return;
  }
  startNewConversation();
  showNotice('This conversation was deleted.');
}

/** Shows another conversation: its saved view at once if this tab has one, then catches up. */
function openConversation(conversationId) {
  if (conversationId === state.conversationId) return;
  // A message on its way belongs to the conversation it was sent from.
  if (state.sending) {
    showNotice('Wait until the message is sent, then open the other conversation.');
    return;
  }
  saveView();
  leaveConversation();
  rememberConversation(conversationId);
  restoreView(conversationId);
  // A resume brings no snapshot to pick the conversation's profile: pick it from the view.
  const choice = profileChoice();
  if (choice) ui.profile.value = choice;
  renderAll();
  pruneMedia();
  scrollToEnd(true);
  ui.composer.focus();
  void subscribe();
}

function startNewConversation() {
  leaveConversation();
  forgetConversation();
  state.conversationId = null;
  conversationsPanel.refreshCurrent();
  state.hasView = true;
  renderAll();
  pruneMedia();
}

/** Stops following the open conversation and empties what the page holds of it. */
function leaveConversation() {
  if (state.conversationId && state.welcomed) {
    request({ type: 'unsubscribe', conversationId: state.conversationId }).catch(() => undefined);
  }
  state.conversationTitle = '';
  state.conversationProfile = null;
  state.lastSeq = 0;
  state.messages = [];
  state.earlier = 0;
  state.earlierRequest = null;
  state.runningTurnId = null;
  state.stopping = false;
  state.subscribing = false;
  hideNotice();
}

// ---------------------------------------------------------------------------------------------
// Actions.

/** The profile picked for the next message, and whether it chats or makes images. */
function chosenProfile() {
  return state.profiles.find((p) => p.id === ui.profile.value) ?? null;
}

function chosenKind() {
  return chosenProfile()?.kind ?? 'chat';
}

function hasImageProfiles() {
  return state.profiles.some((p) => p.kind === 'image');
}

/**
 * Whether the composer is offered: with a token, and something to send to (chat needs a chat
 * profile; without one, image profiles still work).
 */
function canCompose() {
  return Boolean(state.token) && (state.configured || hasImageProfiles());
}

function canSend() {
  return (
    state.welcomed &&
    canCompose() &&
    (state.configured || chosenKind() === 'image') &&
    !state.sending &&
    !state.subscribing &&
    state.runningTurnId === null &&
    ui.composer.value.trim() !== ''
  );
}

async function sendMessage() {
  if (!canSend()) return;
  const text = ui.composer.value.trim();
  const image = chosenKind() === 'image';
  const limit = image ? maxPromptLength : maxTextLength;
  if (text.length > limit) {
    const what = image ? 'image description' : 'message';
    showNotice(`That ${what} is too long (at most ${limit.toLocaleString()} characters).`);
    return;
  }
  const conversationId = state.conversationId;
  /** @type {Record<string, unknown>} */
  const frame = image
    ? { type: 'image.generate', prompt: text }
    : { type: 'chat.send', content: [{ type: 'text', text }] };
  if (conversationId) frame.conversationId = conversationId;
  if (ui.profile.value) frame.profile = ui.profile.value;
  state.sending = true;
  ui.composer.value = '';
  autosize();
  hideNotice();
  updateControls();
  try {
    const ack = await request(frame);
    // The ack comes before the turn's first event, so the page knows the new conversation
    // (its events start after seq 0) before they arrive.
    if (
      !conversationId &&
      state.conversationId === null &&
      typeof ack.conversationId === 'string'
    ) {
      rememberConversation(ack.conversationId);
      state.lastSeq = 0;
      state.hasView = true;
      saveSoon();
    }
  } catch (error) {
    if (ui.composer.value === '') {
      ui.composer.value = text;
      autosize();
    }
    const message = error instanceof Error ? error.message : String(error);
    showNotice(
      error instanceof RequestError && error.code === 'disconnected'
        ? 'The connection dropped before Hearth confirmed your message. Check the conversation, then send it again if needed.'
        : message,
    );
  } finally {
    state.sending = false;
    updateControls();
  }
}

async function stopTurn() {
  const turnId = state.runningTurnId;
  if (!turnId || state.stopping) return;
  state.stopping = true;
  updateControls();
  try {
    await request({ type: 'chat.cancel', turnId });
  } catch (error) {
    // unknown_turn: it finished on its own meanwhile, and its turn.done says so.
    if (!(error instanceof RequestError && error.code === 'unknown_turn')) {
      state.stopping = false;
      showNotice(error instanceof Error ? error.message : String(error));
      updateControls();
    }
  }
}

function signOut() {
  storage.remove('localStorage', keys.token);
  state.token = null;
  state.helloError = null;
  clearTimeout(state.reconnectTimer);
  clearInterval(state.countdownTimer);
  const socket = state.socket;
  state.socket = null;
  if (socket) socket.close(1000, 'signed out');
  onClosedQuietly();
  // A shared screen should not keep showing the conversation once signed out.
  startNewConversation();
  setConnection('signed-out', 'Signed out');
  showTokenForm(null);
  updateControls();
}

function onClosedQuietly() {
  state.welcomed = false;
  stopHeartbeat();
  for (const [id, entry] of state.pending) {
    clearTimeout(entry.timer);
    state.pending.delete(id);
    entry.reject(new RequestError('disconnected', 'Signed out.'));
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering.

function renderAll() {
  for (const view of views.values()) view.root.remove();
  views.clear();
  const fragment = document.createDocumentFragment();
  for (const message of state.messages) fragment.append(renderMessage(message));
  ui.messages.append(fragment);
  renderTitle();
  updateEmpty();
  updateControls();
}

function renderMessage(message) {
  const root = document.createElement('article');
  root.className = 'message';
  root.dataset.testid = 'message';
  root.dataset.role = message.role;
  root.dataset.messageId = message.id;
  root.dataset.turnId = message.turnId;

  const meta = document.createElement('div');
  meta.className = 'message-meta';
  const body = document.createElement('div');
  body.className = 'message-body';
  body.dataset.testid = 'message-body';
  const status = document.createElement('div');
  status.className = 'message-status';
  status.dataset.testid = 'message-status';

  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.append(body, status);
  root.append(meta, bubble);
  /** @type {MessageView} */
  const view = { root, meta, body, status, parts: [] };
  views.set(message.id, view);
  message.parts.forEach((part) => {
    const element = renderPart(message, part);
    view.parts.push(element);
    body.append(element);
  });
  fillMessageView(message, view);
  return root;
}

/** Adds a part at the end of a message, and shows it. */
function addPart(message, part) {
  message.parts.push(part);
  const view = views.get(message.id);
  if (!view) return;
  const element = renderPart(message, part);
  view.parts.push(element);
  view.body.append(element);
  setFlags(message, view);
}

/** Shows a changed part in place. */
function updatePart(message, index) {
  const view = views.get(message.id);
  const part = message.parts[index];
  const element = view?.parts[index];
  if (!view || !part || !element) return;
  if (part.type === 'tool' && element instanceof HTMLDetailsElement) {
    fillTool(element, part);
  } else if (part.type === 'image' && element.classList.contains('image')) {
    fillImage(element, message, part);
  } else {
    const fresh = renderPart(message, part);
    element.replaceWith(fresh);
    view.parts[index] = fresh;
  }
  setFlags(message, view);
}

/** @param {Message} message @param {Part} part */
function renderPart(message, part) {
  if (part.type === 'tool') {
    const element = document.createElement('details');
    element.className = 'tool';
    element.dataset.testid = 'tool-call';
    fillTool(element, part);
    return element;
  }
  if (part.type === 'image') {
    const figure = document.createElement('figure');
    figure.className = 'image';
    figure.dataset.testid = 'message-image';
    const img = document.createElement('img');
    img.decoding = 'async';
    img.alt = '';
    figure.append(img);
    fillImage(figure, message, part);
    return figure;
  }
  const text = document.createElement('div');
  text.className = 'message-text';
  text.dataset.testid = 'message-text';
  text.append(document.createTextNode(part.text));
  return text;
}

function updateMessageView(message) {
  const view = views.get(message.id);
  if (view) fillMessageView(message, view);
}

function fillMessageView(message, view) {
  view.root.dataset.status = message.status;
  if (message.role === 'user') {
    view.meta.textContent = 'You';
    if (message.kind === 'image') {
      const kind = document.createElement('span');
      kind.className = 'model';
      kind.textContent = ' · image';
      view.meta.append(kind);
    }
  } else {
    view.meta.textContent = assistantLabel(message);
    if (message.model) {
      const model = document.createElement('span');
      model.className = 'model';
      model.textContent = ` · ${message.model}`;
      view.meta.append(model);
    }
  }
  const marker = statusText(message);
  view.status.textContent = marker;
  view.status.hidden = marker === '';
  setFlags(message, view);
}

/**
 * `data-kind` and `data-waiting` steer the streaming cues in CSS: an image turn shows a
 * placeholder until its first picture, a chat turn shows dots while nothing is moving (before
 * its first word, and between a tool result and the next word).
 */
function setFlags(message, view) {
  view.root.dataset.kind = message.kind;
  const last = message.parts.at(-1);
  const moving =
    last !== undefined &&
    (last.type === 'text' ||
      (last.type === 'tool' && last.result === null) ||
      (last.type === 'image' && last.preview));
  const waiting =
    message.status === 'streaming' &&
    !moving &&
    !(message.kind === 'image' && message.parts.length === 0);
  view.root.dataset.waiting = String(waiting);
}

// ----- Tool calls: one compact line each, details on demand.

const svgNamespace = 'http://www.w3.org/2000/svg';

function toolIcon() {
  const svg = document.createElementNS(svgNamespace, 'svg');
  svg.setAttribute('class', 'tool-icon');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(svgNamespace, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute(
    'd',
    'M22.7 19.3 13.6 10.2c.9-2.3.4-5-1.5-6.9-2-2-5-2.4-7.4-1.3l4.3 4.3-3 3-4.4-4.3C.4 7.4.9 10.4 2.9 12.4c1.9 1.9 4.6 2.4 6.9 1.5l9.1 9.1c.4.4 1 .4 1.4 0l2.4-2.3c.4-.5.4-1.1 0-1.4Z',
  );
  svg.append(path);
  return svg;
}

/** @param {HTMLDetailsElement} element @param {Part & { type: 'tool' }} part */
function fillTool(element, part) {
  const state = part.result === null ? 'pending' : part.result.isError ? 'error' : 'ok';
  element.dataset.state = state;
  element.dataset.callId = part.callId;

  const summary = document.createElement('summary');
  summary.className = 'tool-summary';
  const call = document.createElement('span');
  call.className = 'tool-call';
  const name = document.createElement('span');
  name.className = 'tool-name';
  name.textContent = part.name;
  const args = document.createElement('span');
  args.className = 'tool-args';
  args.textContent = `(${argumentsSummary(part.args)})`;
  call.append(name, args);
  const result = document.createElement('span');
  result.className = 'tool-result';
  result.dataset.testid = 'tool-result';
  if (part.result !== null) {
    const line = oneLine(part.result.content, 80);
    // The leading space keeps the line readable as text; the layout spaces it anyway.
    result.textContent = part.result.isError ? ` → failed: ${line}` : ` → ${line}`;
  }
  summary.append(toolIcon(), call, result);
  summary.title = part.result?.isError ? `${part.name} failed` : part.name;

  const detail = document.createElement('div');
  detail.className = 'tool-detail';
  detail.append(detailBlock('Arguments', prettyArguments(part.args)));
  if (part.result !== null) {
    detail.append(detailBlock(part.result.isError ? 'Error' : 'Result', part.result.content));
  }
  element.replaceChildren(summary, detail);
}

function detailBlock(label, text) {
  const block = document.createElement('div');
  const title = document.createElement('div');
  title.className = 'tool-label';
  title.textContent = label;
  const pre = document.createElement('pre');
  pre.className = 'tool-pre';
  pre.textContent = text;
  block.append(title, pre);
  return block;
}

/** Arguments in a few characters: a lone value as itself, else `key: value` pairs. */
function argumentsSummary(args) {
  if (args === null || args === '') return '';
  let value;
  try {
    value = JSON.parse(args);
  } catch {
    return oneLine(args, 60);
  }
  const brief = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 1) return oneLine(brief(entries[0][1]), 60);
    return oneLine(entries.map(([key, v]) => `${key}: ${brief(v)}`).join(', '), 60);
  }
  return oneLine(brief(value), 60);
}

function prettyArguments(args) {
  if (args === null) return '(not known)';
  try {
    return JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    return args;
  }
}

function oneLine(text, max) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

// ----- Images: fetched with the token, shown as blob URLs.

/** @type {WeakMap<HTMLElement, { requested: number, shown: number, shownUrl: string | null }>} */
const figureStates = new WeakMap();
/** How many pictures are being decoded from each `/media/` URL's blob right now. */
/** @type {Map<string, number>} */
const decoding = new Map();

/** @param {HTMLElement} figure @param {Message} message @param {Part & { type: 'image' }} part */
function fillImage(figure, message, part) {
  figure.dataset.preview = String(part.preview);
  const img = /** @type {HTMLImageElement} */ (figure.querySelector('img'));
  const prompt = messageText(
    state.messages.find((m) => m.turnId === message.turnId && m.role === 'user') ?? {
      parts: [],
    },
  );
  const what = part.preview ? 'Preview of an image' : 'Image';
  img.alt = prompt ? `${what}: ${oneLine(prompt, 200)}` : what;
  showImage(figure, part.url);
}

/**
 * Shows `url` in the figure once fetched and decoded; a later request wins over an earlier one.
 * Each picture is decoded in an image of its own that then takes the old one's place, so the
 * page never swaps the source of an image still loading (which would abort its load).
 */
function showImage(figure, url) {
  let shown = figureStates.get(figure);
  if (!shown) {
    shown = { requested: 0, shown: 0, shownUrl: null };
    figureStates.set(figure, shown);
  }
  const figureState = shown;
  if (figure.dataset.url === url && figureState.shownUrl === url) return;
  const order = ++figureState.requested;
  figure.dataset.url = url;
  if (figureState.shownUrl === null) figure.dataset.state = 'loading';
  const failed = () => {
    if (order === figureState.requested && figureState.shownUrl === null) {
      figure.dataset.state = 'failed';
    }
  };
  loadMedia(url).then((blobUrl) => {
    if (order <= figureState.shown) return;
    const loader = new Image();
    loader.decoding = 'async';
    loader.src = blobUrl;
    decoding.set(url, (decoding.get(url) ?? 0) + 1);
    loader
      .decode()
      .then(() => {
        if (order <= figureState.shown) return;
        figureState.shown = order;
        figureState.shownUrl = url;
        const old = /** @type {HTMLImageElement} */ (figure.querySelector('img'));
        loader.alt = old.alt;
        const stick = isNearEnd();
        old.replaceWith(loader);
        figure.dataset.state = 'shown';
        scrollToEnd(stick);
      }, failed)
      .finally(() => {
        const left = (decoding.get(url) ?? 1) - 1;
        if (left > 0) decoding.set(url, left);
        else decoding.delete(url);
        pruneMedia();
      });
  }, failed);
}

/** The blob URL of a `/media/` image, fetched once with the token. */
function loadMedia(url) {
  const cached = media.get(url);
  if (cached) return cached.promise;
  /** @type {{ promise: Promise<string>, blobUrl: string | null, dropped: boolean }} */
  const entry = { promise: Promise.resolve(''), blobUrl: null, dropped: false };
  entry.promise = (async () => {
    const target = new URL(url, location.href);
    // The token only ever goes to this Hearth.
    if (target.origin !== location.origin || !target.pathname.startsWith('/media/')) {
      throw new Error('Not a Hearth image');
    }
    if (!state.token) throw new Error('Signed out');
    const response = await fetch(target, {
      headers: { Authorization: `Bearer ${state.token}` },
      credentials: 'omit',
    });
    if (!response.ok) throw new Error(`The image could not be loaded (${response.status}).`);
    const blob = await response.blob();
    const blobUrl = URL.createObjectURL(blob);
    if (entry.dropped) {
      URL.revokeObjectURL(blobUrl);
      throw new Error('No longer needed');
    }
    entry.blobUrl = blobUrl;
    return blobUrl;
  })();
  // A failure is not remembered: the next showing tries again.
  entry.promise.catch(() => {
    if (media.get(url) === entry) media.delete(url);
  });
  media.set(url, entry);
  return entry.promise;
}

/** Revokes the blob URLs of images that no message shows any more (replaced previews). */
function pruneMedia() {
  const used = new Set();
  for (const message of state.messages) {
    for (const part of message.parts) if (part.type === 'image') used.add(part.url);
  }
  for (const figure of ui.messages.querySelectorAll('figure.image')) {
    const element = /** @type {HTMLElement} */ (figure);
    const shownUrl = figureStates.get(element)?.shownUrl;
    if (shownUrl) used.add(shownUrl);
  }
  for (const [url, entry] of media) {
    if (used.has(url) || decoding.has(url)) continue;
    media.delete(url);
    entry.dropped = true;
    if (entry.blobUrl) URL.revokeObjectURL(entry.blobUrl);
  }
}

function assistantLabel(message) {
  const profile = state.profiles.find((p) => p.id === message.profile);
  return profile?.label || message.profile || 'Hearth';
}

function statusText(message) {
  const detail = message.error?.message ? `: ${message.error.message}` : '';
  switch (message.status) {
    case 'cancelled':
      return 'Stopped';
    case 'interrupted':
      return `Interrupted${detail}`;
    case 'failed':
      return `Failed${detail}`;
    case 'complete':
      return message.note ?? '';
    default:
      return '';
  }
}

/** Appends streamed text to a message's text node (cheap, unlike rewriting textContent). */
function appendText(element, text) {
  const node = element.lastChild;
  if (node && node.nodeType === Node.TEXT_NODE) /** @type {Text} */ (node).appendData(text);
  else element.append(document.createTextNode(text));
}

function renderTitle() {
  ui.title.textContent = state.conversationTitle;
  ui.title.hidden = state.conversationTitle === '';
  document.title = state.conversationTitle ? `${state.conversationTitle} · Hearth` : 'Hearth';
}

function updateEmpty() {
  ui.empty.hidden =
    state.messages.length > 0 || !state.configured || !state.token || !ui.tokenForm.hidden;
}

function renderProfiles() {
  ui.profile.replaceChildren();
  // Chat and image profiles in their own groups, once there are image profiles at all.
  const grouped = hasImageProfiles();
  for (const [kind, label] of [
    ['chat', 'Chat'],
    ['image', 'Image'],
  ]) {
    const profiles = state.profiles.filter((p) => p.kind === kind);
    if (profiles.length === 0) continue;
    /** @type {HTMLElement} */
    let parent = ui.profile;
    if (grouped) {
      const group = document.createElement('optgroup');
      group.label = label;
      ui.profile.append(group);
      parent = group;
    }
    for (const profile of profiles) {
      const option = document.createElement('option');
      option.value = profile.id;
      option.textContent = profile.label || profile.id;
      option.dataset.kind = kind;
      if (profile.model) option.title = profile.model;
      parent.append(option);
    }
  }
  const choice = profileChoice();
  if (choice) ui.profile.value = choice;
  for (const message of state.messages) updateMessageView(message);
  updateControls();
}

/** The conversation's profile, else the one last picked here, else the defaults. */
function profileChoice() {
  const stored = storage.get('localStorage', keys.profile);
  const known = (id) => id !== null && state.profiles.some((p) => p.id === id);
  return [
    state.conversationProfile,
    stored,
    state.defaultProfile,
    state.defaultImageProfile,
    state.profiles[0]?.id ?? null,
  ].find(known);
}

function selectProfile(profileId) {
  if (state.profiles.some((p) => p.id === profileId)) ui.profile.value = profileId;
}

function renderSetup(message) {
  ui.setup.hidden = message === null;
  // Without a chat provider, image profiles still work: say so, and keep the composer.
  const images = message !== null && hasImageProfiles();
  ui.setupTitle.textContent = images ? 'Chat needs one more step' : 'Hearth needs one more step';
  ui.setupImages.hidden = !images;
  ui.setupText.replaceChildren();
  if (message !== null) {
    // `backticks` in the hint become code spans; everything stays text.
    message.split('`').forEach((piece, index) => {
      if (index % 2 === 1) {
        const code = document.createElement('code');
        code.textContent = piece;
        ui.setupText.append(code);
      } else {
        ui.setupText.append(document.createTextNode(piece));
      }
    });
  }
  updateEmpty();
}

function showTokenForm(reason) {
  conversationsPanel.signedOut();
  ui.tokenForm.hidden = false;
  ui.tokenReason.textContent =
    reason ?? 'Enter the access token you were given. It stays on this device.';
  ui.tokenReason.classList.toggle('error-text', reason !== null);
  updateEmpty();
  updateControls();
  ui.tokenInput.focus();
}

function setConnection(kind, label) {
  ui.connection.dataset.state = kind;
  ui.connectionLabel.textContent = label;
  if (kind === 'connected' || kind === 'connecting') ui.tokenForm.hidden = true;
  updateEmpty();
}

function showNotice(message) {
  ui.noticeText.textContent = message;
  ui.notice.hidden = false;
}

function hideNotice() {
  ui.notice.hidden = true;
  ui.noticeText.textContent = '';
}

function updateControls() {
  renderEarlier();
  const running = state.runningTurnId !== null;
  const compose = canCompose();
  const image = chosenKind() === 'image';
  ui.composer.disabled = !compose;
  ui.composerForm.hidden = !compose;
  ui.composerForm.dataset.kind = image ? 'image' : 'chat';
  ui.hint.hidden = ui.composerForm.hidden;
  ui.hint.textContent = image
    ? 'Enter to create the image · Shift+Enter for a new line'
    : 'Enter to send · Shift+Enter for a new line';
  ui.composer.placeholder = image
    ? 'Describe an image…'
    : !state.configured
      ? 'Chat is off until an AI provider is set up'
      : 'Message Hearth…';
  ui.send.textContent = image ? 'Create' : 'Send';
  ui.send.disabled = !canSend();
  ui.send.hidden = running;
  ui.stop.hidden = !running;
  ui.stop.disabled = state.stopping || !state.welcomed;
  ui.stop.textContent = state.stopping ? 'Stopping…' : 'Stop';
  ui.newConversation.disabled =
    state.sending || (state.messages.length === 0 && !state.conversationId);
  ui.profile.disabled = !state.welcomed || state.profiles.length === 0;
  ui.forgetToken.hidden = !state.token;
  ui.newConversation.hidden = !state.token;
  ui.profile.hidden = !state.token || state.profiles.length === 0;
}

function autosize() {
  ui.composer.style.height = 'auto';
  ui.composer.style.height = `${Math.min(ui.composer.scrollHeight, 240)}px`;
}

function isNearEnd() {
  const { main } = ui;
  return main.scrollHeight - main.scrollTop - main.clientHeight < 80;
}

function scrollToEnd(stick) {
  if (stick) ui.main.scrollTop = ui.main.scrollHeight;
}

boot();
