/**
 * The page's conversations panel: the household's conversations, newest first, a page at a
 * time (`GET /api/v1/conversations`), and a search over titles and message text
 * (`GET /api/v1/conversations/search`). Picking one opens it in the page. The list is read
 * afresh each time the panel opens, since any device may have started or renamed one.
 * Titles and snippets reach the page only through `textContent`.
 */
import { bindToggle } from './panel.js';

const pageSize = 30;
/** Search hits are matches, several per conversation at times: ask for the most there are. */
const searchHits = 100;
const searchDelayMs = 250;

export function createConversationsPanel({ root, toggle, token, current, onOpen, onError }) {
  /** @type {Array<{ id: string, title: string, when: string, snippet?: string }>} */
  let rows = [];
  /** @type {string | null} */
  let nextCursor = null;
  let query = '';
  let loading = false;
  let failed = false;
  /** The row asking "Delete?", and the one whose deletion is under way. */
  /** @type {string | null} */
  let confirming = null;
  /** @type {string | null} */
  let deleting = null;
  /** The row whose title is being edited, and whether its new title is on its way. */
  /** @type {string | null} */
  let renaming = null;
  /** What has been typed as the new title, kept across renders. */
  let draft = '';
  let saving = false;
  /** Bumped by every new read, so that a slower earlier answer is dropped. */
  let generation = 0;
  let searchTimer = 0;

  const heading = document.createElement('h2');
  heading.textContent = 'Conversations';
  const search = document.createElement('input');
  search.type = 'search';
  search.className = 'conversation-search';
  search.placeholder = 'Search titles and messages';
  search.setAttribute('aria-label', 'Search conversations');
  search.dataset.testid = 'conversation-search';
  search.maxLength = 200;
  const list = document.createElement('ul');
  list.className = 'conversation-list';
  const status = document.createElement('p');
  status.className = 'muted conversation-status';
  status.dataset.testid = 'conversation-status';
  status.setAttribute('role', 'status');
  const more = document.createElement('button');
  more.type = 'button';
  more.className = 'button secondary';
  more.dataset.testid = 'conversation-more';
  more.textContent = 'More';
  root.append(heading, search, list, status, more);

  bindToggle(toggle, root);
  toggle.addEventListener('click', () => {
    if (root.hidden) return;
    root.scrollIntoView({ block: 'nearest' });
    search.focus();
    void reload();
  });
  root.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    close();
    toggle.focus();
  });
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      query = search.value.trim();
      void reload();
    }, searchDelayMs);
  });
  more.addEventListener('click', () => void readPage(generation));

  function close() {
    root.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    stopEditing();
  }

  /** Leaves any "Delete?" and any title being edited, as they were. */
  function stopEditing() {
    confirming = null;
    renaming = null;
  }

  async function api(path, method = 'GET', payload = undefined) {
    if (!token()) throw new Error('Not signed in.');
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token()}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    if (response.status === 204) return {};
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body?.error?.message ?? `Hearth answered ${response.status}`);
    return body;
  }

  function reload() {
    generation += 1;
    stopEditing();
    rows = [];
    nextCursor = null;
    failed = false;
    return query ? readSearch(generation) : readPage(generation);
  }

  async function readPage(asked) {
    await read(asked, async () => {
      const cursor = nextCursor ? `&cursor=${encodeURIComponent(nextCursor)}` : '';
      const page = await api(`/conversations?limit=${pageSize}${cursor}`);
      const found = Array.isArray(page.conversations) ? page.conversations : [];
      return {
        rows: found.map((c) => ({ id: c.id, title: c.title, when: c.updatedAt })),
        next: typeof page.nextCursor === 'string' ? page.nextCursor : null,
      };
    });
  }

  async function readSearch(asked) {
    await read(asked, async () => {
      const answer = await api(
        `/conversations/search?q=${encodeURIComponent(query)}&limit=${searchHits}`,
      );
      // One row per conversation, where its first hit puts it (title matches come first), with
      // the text around its best message match that says more than the title.
      const byId = new Map();
      for (const hit of Array.isArray(answer.hits) ? answer.hits : []) {
        const row = byId.get(hit.conversationId) ?? {
          id: hit.conversationId,
          title: hit.title,
          when: hit.kind === 'title' ? hit.updatedAt : hit.createdAt,
        };
        if (hit.kind === 'message' && row.snippet === undefined && hit.snippet !== row.title)
          row.snippet = hit.snippet;
        byId.set(hit.conversationId, row);
      }
      return { rows: [...byId.values()], next: null };
    });
  }

  async function read(asked, fetchRows) {
    loading = true;
    render();
    try {
      const page = await fetchRows();
      if (asked !== generation) return;
      const seen = new Set(rows.map((row) => row.id));
      rows = [...rows, ...page.rows.filter((row) => !seen.has(row.id))];
      nextCursor = page.next;
    } catch (error) {
      if (asked !== generation) return;
      failed = true;
      onError(error instanceof Error ? error.message : String(error));
    } finally {
      if (asked === generation) {
        loading = false;
        render();
      }
    }
  }

  /** Deletes for the whole household, after the row's "Delete?" was confirmed. */
  async function remove(row) {
    deleting = row.id;
    render();
    try {
      await api(`/conversations/${encodeURIComponent(row.id)}`, 'DELETE');
      forget(row.id);
    } catch (error) {
      onError(
        `${row.title || 'Untitled'}: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      deleting = null;
      confirming = null;
      render();
    }
  }

  /** A new title for the whole household; every screen hears of it (`conversation.renamed`). */
  async function rename(row, title) {
    if (title === '' || title === row.title) {
      renaming = null;
      return render();
    }
    const name = row.title || 'Untitled';
    saving = true;
    render();
    try {
      const renamed = await api(`/conversations/${encodeURIComponent(row.id)}`, 'PATCH', {
        title,
      });
      retitle(row.id, renamed.title);
      if (renaming === row.id) renaming = null;
    } catch (error) {
      onError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      saving = false;
      render();
    }
  }

  function retitle(conversationId, title) {
    rows = rows.map((row) => (row.id === conversationId ? { ...row, title } : row));
  }

  function forget(conversationId) {
    rows = rows.filter((row) => row.id !== conversationId);
    if (confirming === conversationId) confirming = null;
  }

  function render() {
    const editing = list.querySelector('[data-testid="conversation-title-input"]');
    const typing = editing !== null && editing === document.activeElement;
    list.replaceChildren(...rows.map(item));
    if (typing) list.querySelector('[data-testid="conversation-title-input"]')?.focus();
    more.hidden = loading || nextCursor === null;
    status.hidden = !loading && rows.length > 0;
    status.textContent = loading
      ? 'Loading…'
      : failed
        ? 'The conversations could not be read.'
        : query
          ? 'Nothing matches.'
          : 'No conversations yet.';
  }

  /** The title being edited, with Save and Cancel; Enter saves, Escape cancels. */
  function editor(row) {
    const entry = document.createElement('li');
    const input = document.createElement('input');
    input.className = 'chat-rename';
    input.dataset.testid = 'conversation-title-input';
    input.setAttribute('aria-label', 'New title');
    input.maxLength = 200;
    input.value = draft;
    input.disabled = saving;
    input.addEventListener('input', () => {
      draft = input.value;
    });
    const save = () => void rename(row, input.value.trim());
    const cancel = () => {
      renaming = null;
      render();
      list
        .querySelector(`[data-conversation-id="${CSS.escape(row.id)}"]`)
        ?.parentElement?.querySelector('[data-testid="conversation-rename"]')
        ?.focus();
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') save();
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      cancel();
    });
    const button = (label, testid, className, onClick) =>
      actionButton({ label, testid, className, disabled: saving, onClick });
    entry.append(
      input,
      button('Save', 'conversation-title-save', 'primary', save),
      button('Cancel', 'conversation-title-cancel', 'secondary', cancel),
    );
    return entry;
  }

  function item(row) {
    if (renaming === row.id) return editor(row);
    const entry = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'conversation';
    button.dataset.testid = 'conversation';
    button.dataset.conversationId = row.id;
    if (row.id === current()) button.setAttribute('aria-current', 'true');
    const title = document.createElement('span');
    title.className = 'chat-title';
    title.textContent = row.title || 'Untitled';
    const when = document.createElement('time');
    when.className = 'chat-when';
    when.dateTime = row.when;
    when.textContent = formatWhen(row.when);
    button.append(title, when);
    if (row.snippet) {
      const snippet = document.createElement('span');
      snippet.className = 'chat-snippet';
      snippet.textContent = row.snippet;
      button.append(snippet);
    }
    button.addEventListener('click', () => {
      close();
      onOpen(row.id);
    });
    entry.append(button, ...actions(row));
    return entry;
  }

  /** "Delete", or while it is being confirmed, "Delete" for real and "Keep". */
  function actions(row) {
    const make = (label, testid, className, onClick) =>
      actionButton({ label, testid, className, disabled: deleting !== null, onClick });
    if (confirming !== row.id) {
      const edit = make('Rename', 'conversation-rename', 'ghost', () => {
        renaming = row.id;
        draft = row.title;
        confirming = null;
        render();
        const input = list.querySelector('[data-testid="conversation-title-input"]');
        input?.focus();
        input?.select();
      });
      edit.setAttribute('aria-label', `Rename ${row.title || 'Untitled'}`);
      const ask = make('Delete', 'conversation-delete', 'ghost', () => {
        confirming = row.id;
        render();
        list.querySelector('[data-testid="conversation-delete-confirm"]')?.focus();
      });
      ask.setAttribute('aria-label', `Delete ${row.title || 'Untitled'}`);
      return [edit, ask];
    }
    return [
      make('Delete for everyone', 'conversation-delete-confirm', 'danger', () => void remove(row)),
      make('Keep', 'conversation-delete-cancel', 'secondary', () => {
        confirming = null;
        render();
      }),
    ];
  }

  render();
  return {
    /**
     * After every `welcome`: the toggle shows once the conversation list answers (a gateway
     * of a split Hearth passes it on; an older one, or a central service that is down, does
     * not); an open panel reloads.
     */
    async connected() {
      try {
        await api('/conversations?limit=1');
        toggle.hidden = false;
        if (!root.hidden) void reload();
      } catch {
        toggle.hidden = true;
        close();
      }
    },
    /** On sign-out: nothing of the household's conversations stays on screen. */
    signedOut() {
      generation += 1;
      stopEditing();
      rows = [];
      nextCursor = null;
      query = '';
      search.value = '';
      loading = false;
      toggle.hidden = true;
      close();
      render();
    },
    /** A conversation renamed anywhere shows its new title. */
    renamed(conversationId, title) {
      retitle(conversationId, title);
      render();
    },
    /** A conversation deleted anywhere leaves the list. */
    removed(conversationId) {
      forget(conversationId);
      render();
    },
    /** When the open conversation changes, so that the list marks it. */
    refreshCurrent() {
      render();
    },
  };
}

/** A small button beside a row: Rename, Delete and their confirmations. */
function actionButton({ label, testid, className, disabled, onClick }) {
  const action = document.createElement('button');
  action.type = 'button';
  action.className = `button ${className} chat-action`;
  action.dataset.testid = testid;
  action.textContent = label;
  action.disabled = disabled;
  action.addEventListener('click', onClick);
  return action;
}

/** Today's conversations by time, older ones by date, in the browser's language. */
function formatWhen(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}
