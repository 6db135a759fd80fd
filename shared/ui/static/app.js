/*
 * Autosync — the Sync page (served by shared/ui; no build step, no dependencies).
 *
 * It calls only the public HTTP API (shared/httpapi), relative to the page's own URL,
 * with "Authorization: Bearer <token>":
 *   GET  v1/sync               the Sync modal and the channel list
 *   PUT  v1/sync               Update Autosync Settings (one request for every tickable task)
 *   POST v1/sync/runs          Sync once / Sync all once
 *   GET  v1/sync/runs?limit=20 Activity (polled every second while a run is queued or running)
 *   GET  v1/sync/runs/{id}     a run this page started that the list does not show yet
 *   GET  v1/channels/{id}/inventory-preview?limit=1
 *                              what the first Write Inventory Back on a channel would change
 *   GET  v1/carts              the carts Add channel offers, with the fields each asks for
 *   POST v1/channels/connect   Add channel: the cart's authorization URL, where the browser goes
 *                              (with cookies: a cart whose callback carries no state gets it in one)
 *   PATCH v1/channels/{id}     Rename;  DELETE v1/channels/{id}  Remove
 *
 * The token comes from the URL fragment (#token=..., removed from the address bar at once),
 * else from sessionStorage ("autosync.token"); a frontend that embeds the page can call
 * window.Autosync.setToken(token). Without one, when GET v1/config names a hosted sign-in
 * page (sign_in), the page goes there (OAuth 2.0 code grant with PKCE S256; state and
 * verifier in sessionStorage "autosync.signin") and, back with ?code=&state=, posts the code
 * and verifier to sign_in.token_url and keeps the access token as above.
 *
 * Stable hooks for browser tests (data-testid):
 *   sync-button                     the blue Sync button, top right; opens the Sync modal
 *   sync-modal                      the Sync modal (<dialog>, role="dialog", aria-modal="true")
 *   close-modal, cancel-settings    close the modal without saving
 *   save-settings                   Update Autosync Settings
 *   modal-error                     a modal-wide error (load or save failed, problems not tied to a task)
 *   task-<channel_id>-<task>        a task's checkbox (disabled when the task is unavailable;
 *                                   absent for "once only" tasks, which offer only Sync once)
 *   indicator-<channel_id>-<task>   the icon beside a task, present only when its saved state is on;
 *                                   data-kind="autosync" (circular arrow), "instasync" (lightning bolt) or
 *                                   "paused" (a ticked autosync task whose schedule is paused; the row says why)
 *   sync-once-<channel_id>-<task>   a task's Sync once button (available autosync-mode tasks; instasync
 *                                   tasks run from webhooks); disabled while the channel needs_reauth
 *                                   or is disconnected
 *   sync-all-once-<channel_id>      a channel's Sync all once button (disabled likewise)
 *   once-status-<channel_id>-<task> what became of the last Sync once of that task (text)
 *   problem-<channel_id>-<task>     a rejected save's problem, beside its task
 *   reauth-banner-<channel_id>      page banner for a channel whose status is needs_reauth or disconnected
 *   reauth-<channel_id>             its Re-authorize button (to the cart's own authorization)
 *   reauth-note-<channel_id>        the same notice inside the channel's modal section
 *   channel-<channel_id>            a channel's row in the page's channel list
 *   activity                        the Activity panel
 *   run-<run_id>                    one run; data-status = queued|running|succeeded|partial|failed|skipped|interrupted,
 *                                   also data-channel, data-task, data-trigger
 *   progress-<run_id>               a running run's <progress> (no value attribute = indeterminate)
 *   activity-error, activity-refresh
 *   notice                          page-wide message (no token, session expired, load failed)
 *   live                            the aria-live region that announces status changes
 *   save-status                     "Autosync settings saved." after a save
 *   preview-confirm                 the first-tick Write Inventory Back preview laid over the modal;
 *                                   preview-count, preview-largest (its table), preview-yes, preview-no
 *   discard-confirm                 "Discard changes?" when the modal is closed with unsaved changes;
 *                                   discard-yes, discard-keep
 *   channel-section-<channel_id>    a channel's section in the modal; collapse-<channel_id> folds it
 *   channel-tools                   with many channels: channel-filter, channel-jump, collapse-all,
 *                                   expand-all, channel-count
 *   channel-list                    the page's channel list; channels-expired once the session expired
 *   add-channel                     Add channel (card head); add-channel-panel holds add-cart (select),
 *                                   add-name, add-field-<name> per cart field, add-connect, add-cancel, add-error
 *   rename-<channel_id>             Rename on a channel's row: rename-input-, rename-save-, rename-cancel-,
 *                                   rename-error-<channel_id>
 *   remove-<channel_id>             Remove on a channel's row: the in-page confirm remove-confirm-<channel_id>
 *                                   with remove-yes-, remove-keep-<channel_id>
 *   sign-in                         "Sign in again" after a 401 (<meta name="autosync-sign-in"> names where)
 */
(() => {
  'use strict';

  const TOKEN_KEY = 'autosync.token';
  const POLL_ACTIVE_MS = 1000;   // while a run is queued or running
  const POLL_IDLE_MS = 10000;    // otherwise
  const POLL_HIDDEN_MS = 30000;  // while the tab is hidden
  const SYNC_REFRESH_MS = 30000; // channel list and banners
  const RUN_LIMIT = 20;

  const MSG_EXPIRED = 'Your session has expired — sign in again.';
  const MSG_NO_TOKEN = 'You are not signed in to Autosync. Open Autosync from your account ' +
    '(or the address that "make dev" prints) to see and change your sync settings.';
  const REAUTH_ADVICE = 'Re-authorize this channel in its settings to resume its ticked tasks.';

  const TASK_LABELS = {
    import_orders: 'Import Orders', write_inventory: 'Write Inventory Back',
    import_products: 'Import Products', import_product_images: 'Import Product Images',
    import_fba_inventory: 'Import FBA Inventory', import_fba_orders: 'Import FBA Orders',
    instasync_orders: 'Instasync Orders', instasync_products: 'Instasync Products',
  };
  // The help article's words for the intervals.
  const INTERVAL_LABELS = {
    '10m': 'Every 10 minutes', '1h': 'Hourly', '6h': 'Every six hours', '1d': 'Daily',
  };
  const STATUS_LABELS = {
    queued: 'Queued', running: 'Running', succeeded: 'Succeeded',
    partial: 'Partly succeeded', failed: 'Failed', skipped: 'Skipped',
    interrupted: 'Interrupted',
  };
  const TRIGGER_LABELS = {
    schedule: 'Scheduled', manual: 'Sync once', webhook: 'Instasync', continuation: 'Continued',
  };
  const COUNT_LABELS = [
    ['fetched', 'Fetched'], ['created', 'Created'], ['updated', 'Updated'],
    ['unchanged', 'Unchanged'], ['skipped', 'Skipped'], ['pushed', 'Pushed'], ['failed', 'Failed'],
  ];
  const ACTIVE = new Set(['queued', 'running']);

  const state = {
    token: null,
    expired: false,
    sync: null,            // last GET/PUT v1/sync body
    syncAt: 0,
    syncDirty: false,
    channels: new Map(),   // channel id → Channel
    labels: new Map(),     // task id → label
    cartLabels: new Map(), // cart type → label (GET /v1/sync's cart_label)
    runs: new Map(),       // run id → Run
    listIds: [],           // ids of the last list, newest first
    local: [],             // ids of runs started here that no list has shown yet
    onceStatus: new Map(), // run id → element showing that run's fate in the modal
    pollTimer: 0,
    polling: false,
    activityError: '',
    loadedRuns: false,
    reauthIds: null,
    editing: null,         // {id, kind: 'rename'|'remove', value} while a row is being edited
    carts: null,           // GET v1/carts: the carts Add channel offers
  };

  const modal = {
    open: false,
    generation: 0,
    loaded: false,
    saving: false,
    rows: new Map(),       // channel id + "\n" + task → row
    initial: new Map(),    // row key → checked when the modal loaded (unsaved changes are the difference)
    previewed: new Set(),  // channel ids whose write-back preview the merchant confirmed
    confirming: null,      // the open in-modal confirmation, if any
  };
  // More channels than this get a filter and a jump list in the modal.
  const MANY_CHANNELS = 6;

  // ---------- DOM helpers ----------

  const $ = (id) => document.getElementById(id);
  let uidCounter = 0;
  const uid = (p) => `${p}-${++uidCounter}`;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const c of children) {
      if (c === undefined || c === null || c === false || c === '') continue;
      if (Array.isArray(c)) append(node, c);
      else node.append(c instanceof Node ? c : String(c));
    }
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function icon(name) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'icon');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const use = document.createElementNS(SVG, 'use');
    use.setAttribute('href', '#i-' + name);
    svg.append(use);
    return svg;
  }

  let announceTimer = 0;
  function announce(text) {
    const live = $('live');
    clearTimeout(announceTimer);
    live.textContent = '';
    announceTimer = setTimeout(() => { live.textContent = text; }, 60);
  }

  function showNotice(text, kind) {
    const n = $('notice');
    n.textContent = text;
    n.className = 'notice' + (kind === 'info' ? ' notice-info' : '');
    n.hidden = !text;
  }

  // ---------- words ----------

  const cartLabel = (type) => state.cartLabels.get(type) || String(type || 'Channel');
  const taskLabel = (task) => state.labels.get(task) || TASK_LABELS[task] || String(task);
  const intervalLabel = (i) => INTERVAL_LABELS[i] || (i ? String(i) : '');
  const channelName = (id) => {
    const c = state.channels.get(id);
    return c ? (c.name || cartLabel(c.type)) : String(id);
  };
  const sentence = (s) => { s = String(s).trim(); return /[.!?]$/.test(s) ? s : s + '.'; };
  const str = (v) => (typeof v === 'string' && v.trim() ? v.trim() : '');

  function statusText(run) {
    if (run.status === 'skipped') {
      const reason = run.skip_reason === 'already_running' ? 'already running'
        : str(run.skip_reason).replace(/_/g, ' ');
      return reason ? 'Skipped: ' + reason : 'Skipped';
    }
    return STATUS_LABELS[run.status] || String(run.status || 'Unknown');
  }

  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  function relTime(ms) {
    const s = (ms - Date.now()) / 1000;
    const a = Math.abs(s);
    if (a < 45) return s <= 0 ? 'just now' : 'in under a minute';
    if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
    if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
    return rtf.format(Math.round(s / 86400), 'day');
  }

  function parseTime(v) {
    if (!v) return NaN;
    return Date.parse(v);
  }

  function duration(ms) {
    if (!(ms >= 0)) return '';
    const s = Math.round(ms / 1000);
    if (s < 1) return 'under 1s';
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
    return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
  }

  // ---------- token ----------

  function readStoredToken() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
  }

  function storeToken(t) {
    try {
      if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
    } catch { /* storage disabled: keep the token in memory only */ }
  }

  // Takes #token=... out of the fragment and the address bar (and so out of history).
  function takeTokenFromFragment() {
    const parts = location.hash.replace(/^#/, '').split('&');
    const i = parts.findIndex((p) => p.startsWith('token='));
    if (i < 0) return null;
    let token = parts[i].slice('token='.length);
    try { token = decodeURIComponent(token); } catch { /* keep it as it is */ }
    parts.splice(i, 1);
    const rest = parts.filter(Boolean).join('&');
    history.replaceState(history.state, '', location.pathname + location.search + (rest ? '#' + rest : ''));
    return token.trim() || null;
  }

  function setToken(token) {
    if (typeof token !== 'string' || !token.trim()) throw new TypeError('Autosync.setToken: token must be a non-empty string');
    state.token = token.trim();
    state.expired = false;
    storeToken(state.token);
    showNotice('');
    $('sync-button').disabled = false;
    refreshSync();
    pollSoon(0);
  }

  function noToken() {
    state.token = null;
    $('sync-button').disabled = true;
    showNotice(MSG_NO_TOKEN, 'info');
    $('channel-list').replaceChildren(el('p', { class: 'empty' }, 'Sign in to see your sales channels.'));
    $('channel-list').setAttribute('aria-busy', 'false');
  }

  // Where "Sign in again" goes: the embedding frontend's sign-in page when
  // it names one (<meta name="autosync-sign-in" content="...">), else this
  // page without its token, which says how to open Autosync.
  function signInURL() {
    const meta = document.querySelector('meta[name="autosync-sign-in"]');
    const u = meta && str(meta.getAttribute('content'));
    if (u) {
      try {
        const url = new URL(u, document.baseURI);
        if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
      } catch { /* fall through */ }
    }
    return location.pathname + location.search;
  }

  function signInLink() {
    return el('a', { class: 'btn btn-primary btn-sm', href: signInURL(), 'data-testid': 'sign-in' }, 'Sign in again');
  }

  // A 401: every view that was waiting for the API says so, with a way to
  // sign in again, instead of "Loading…" for ever.
  function sessionExpired() {
    if (state.expired) return;
    state.expired = true;
    state.token = null;
    storeToken(null);
    storeRefresh(null);
    clearTimeout(state.pollTimer);
    const n = $('notice');
    n.replaceChildren(el('span', {}, MSG_EXPIRED + ' '), signInLink());
    n.className = 'notice';
    n.hidden = false;
    $('sync-button').disabled = true;
    const list = $('channel-list');
    list.setAttribute('aria-busy', 'false');
    // What is shown is no longer current and cannot be changed.
    list.replaceChildren(el('p', { class: 'empty', 'data-testid': 'channels-expired' }, MSG_EXPIRED));
    if (modal.open) {
      modal.saving = false;
      showModalError(MSG_EXPIRED);
      $('modal-body').setAttribute('aria-busy', 'false');
    }
    announce(MSG_EXPIRED);
  }

  // ---------- API ----------

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || [];
    }
  }

  function fallbackMessage(status) {
    switch (status) {
      case 400: return 'Autosync could not understand that request. Reload the page and try again.';
      case 403: return 'Your account is not allowed to do that.';
      case 404: return 'That was not found; it may have been removed. Reload the page.';
      case 409: return 'That could not be done right now because of another change. Reload and try again.';
      case 413: return 'That request was too large.';
      case 422: return 'That request was not accepted.';
      case 429: return 'Autosync is busy. Try again in a moment.';
      default:
        if (status >= 500) return 'Autosync had a problem on its side. Try again in a moment.';
        return `Something went wrong (HTTP ${status}). Try again.`;
    }
  }

  // cookies: the answer sets the short-lived state cookie that binds a
  // cart's authorization to this browser (every cart's callback needs it).
  async function api(method, path, body, cookies, renewed) {
    if (!state.token) throw new ApiError(401, 'no_token', state.expired ? MSG_EXPIRED : MSG_NO_TOKEN);
    const sent = state.token;
    const headers = { Authorization: 'Bearer ' + state.token, Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: cookies ? 'same-origin' : 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(new URL(path, document.baseURI), init);
    } catch {
      throw new ApiError(0, 'network', 'Autosync could not be reached. Check your connection; the page will keep trying.');
    }
    let text = '';
    try { text = await res.text(); } catch { /* treated as empty */ }
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = undefined; } }
    if (res.ok) {
      if (data === undefined) throw new ApiError(res.status, 'bad_response', 'Autosync sent an answer this page could not read. Reload and try again.');
      return data;
    }
    const err = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : {};
    if (res.status === 401) {
      // An access token lives an hour; the sign-in's refresh token gets a
      // new one once, and the request (refused, so not done) goes again.
      if (!renewed && await renewSession(sent)) return api(method, path, body, cookies, true);
      sessionExpired();
      throw new ApiError(401, str(err.code), MSG_EXPIRED);
    }
    throw new ApiError(res.status, str(err.code), str(err.message) || fallbackMessage(res.status),
      Array.isArray(err.details) ? err.details : []);
  }

  // ---------- sync state: channel list and banners ----------

  function acceptSync(data) {
    if (!data || !Array.isArray(data.channels)) return false;
    state.sync = data;
    state.syncAt = Date.now();
    state.syncDirty = false;
    state.channels = new Map();
    for (const entry of data.channels) {
      if (!entry || !entry.channel) continue;
      state.channels.set(entry.channel.id, entry.channel);
      if (str(entry.cart_label)) state.cartLabels.set(entry.channel.type, str(entry.cart_label));
      for (const t of entry.tasks || []) if (t && t.task && t.label) state.labels.set(t.task, t.label);
    }
    renderChannelList();
    renderBanners();
    renderActivity();
    return true;
  }

  let syncInFlight = null;
  function refreshSync() {
    if (!state.token) return Promise.resolve();
    if (syncInFlight) return syncInFlight;
    syncInFlight = api('GET', 'v1/sync')
      .then((data) => {
        if (!acceptSync(data)) throw new ApiError(200, 'bad_response', 'Autosync sent an answer this page could not read.');
        if (!state.expired && $('notice').textContent !== MSG_EXPIRED) showNotice('');
      })
      .catch((e) => {
        if (e.status === 401) return;
        if (!state.sync) {
          showNotice('Your sales channels could not be loaded: ' + e.message);
          $('channel-list').setAttribute('aria-busy', 'false');
          $('channel-list').replaceChildren(el('p', { class: 'empty' }, 'Not loaded yet; the page will try again.'));
        }
        state.syncAt = Date.now(); // retry with the regular refresh
      })
      .finally(() => { syncInFlight = null; });
    return syncInFlight;
  }

  function indicatorLabel(kind) {
    return kind === 'paused' ? 'Autosync paused' : kind === 'autosync' ? 'Autosync on' : 'Instasync on';
  }

  function indicatorIcon(kind) {
    if (kind !== 'autosync' && kind !== 'instasync' && kind !== 'paused') return null;
    return el('span', { class: `indicator indicator-${kind}`, 'aria-hidden': 'true' }, icon(kind));
  }

  function cartBadge(type) {
    return el('span', { class: `cart-badge cart-${String(type).replace(/[^a-z]/g, '')}` }, cartLabel(type));
  }

  // A disconnected channel (the app was removed at the cart) is shown and
  // re-authorized like one whose credentials the cart refused.
  const needsAuth = (c) => c.status === 'needs_reauth' || c.status === 'disconnected';

  function statusPill(channel) {
    const reauth = needsAuth(channel);
    return el('span', { class: 'pill ' + (reauth ? 'pill-needs_reauth' : 'pill-active') },
      channel.status === 'disconnected' ? 'Disconnected' : reauth ? 'Needs re-authorization'
        : (channel.status === 'active' ? 'Active' : String(channel.status || 'Unknown')));
  }

  // reauthButton sends the merchant to the cart's own authorization.
  function reauthButton(channel) {
    return el('button', {
      type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `reauth-${channel.id}`,
      onclick: async (ev) => {
        const btn = ev.currentTarget;
        btn.disabled = true;
        try {
          const r = await api('POST', `v1/channels/${encodeURIComponent(channel.id)}/reauthorize`, undefined, true);
          if (r && typeof r.authorize_url === 'string' && /^https?:\/\//.test(r.authorize_url)) {
            location.assign(r.authorize_url);
            return;
          }
        } catch (e) {
          announce(e.message);
        }
        btn.disabled = false;
      },
    }, 'Re-authorize');
  }

  // The page a cart's authorization returns to names the channel it
  // connected or re-authorized (#channel=<id>); its row is marked.
  function selectedChannel() {
    const p = location.hash.replace(/^#/, '').split('&').find((x) => x.startsWith('channel='));
    if (!p) return '';
    try { return decodeURIComponent(p.slice('channel='.length)); } catch { return ''; }
  }

  function renderChannelList() {
    const list = $('channel-list');
    list.setAttribute('aria-busy', 'false');
    // A row being renamed or removed keeps its state until the merchant
    // finishes; a refresh meanwhile would take the input away.
    if (state.editing && list.querySelector(`[data-testid="channel-${CSS.escape(state.editing.id)}"]`)) return;
    const entries = (state.sync && state.sync.channels) || [];
    if (!entries.length) {
      list.replaceChildren(el('p', { class: 'empty' }, 'No sales channels are connected yet. Connect a cart to start syncing.'));
      return;
    }
    list.replaceChildren(...entries.filter((e) => e && e.channel).map(({ channel, tasks }) => {
      const on = (tasks || []).filter((t) => t.enabled);
      const selected = channel.id === selectedChannel();
      return el('div', { class: 'channel-row' + (selected ? ' channel-selected' : ''), 'data-testid': `channel-${channel.id}`, 'aria-current': selected ? 'true' : null },
        el('div', { class: 'channel-name' }, cartBadge(channel.type), el('span', {}, channel.name || channel.id), statusPill(channel)),
        el('div', { class: 'chips' },
          on.length ? on.map((t) => el('span', { class: 'chip' },
            indicatorIcon(t.paused && t.indicator === 'autosync' ? 'paused' : t.indicator !== 'none' ? t.indicator : ''),
            el('span', {}, t.label || taskLabel(t.task)),
            el('span', { class: 'muted' }, t.mode === 'instasync' ? 'Immediately' : intervalLabel(t.interval || t.default_interval))))
            : el('span', { class: 'none' }, 'No tasks ticked.')),
        rowActions(channel));
    }));
  }

  // ---------- rename, remove ----------

  function endEdit() {
    state.editing = null;
    renderChannelList();
  }

  function rowActions(channel) {
    const id = channel.id;
    const ed = state.editing && state.editing.id === id ? state.editing : null;
    if (ed && ed.kind === 'rename') {
      const input = el('input', { type: 'text', class: 'input', maxlength: '200', value: ed.value, 'aria-label': 'New name',
        'data-testid': `rename-input-${id}`, oninput: (ev) => { ed.value = ev.target.value; },
        onkeydown: (ev) => { if (ev.key === 'Enter') save(); else if (ev.key === 'Escape') endEdit(); } });
      const err = el('span', { class: 'inline-error', 'data-testid': `rename-error-${id}`, role: 'alert' });
      const save = async () => {
        const name = ed.value.trim();
        if (!name) { err.textContent = 'Enter a name.'; return; }
        try {
          await api('PATCH', `v1/channels/${encodeURIComponent(id)}`, { name });
          state.editing = null;
          announce(`Renamed to ${name}.`);
          state.syncDirty = true;
          await refreshSync();
          renderChannelList();
        } catch (e) {
          err.textContent = e.message;
        }
      };
      queueMicrotask(() => input.focus());
      return el('div', { class: 'row-actions' }, input,
        el('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': `rename-save-${id}`, onclick: save }, 'Save'),
        el('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `rename-cancel-${id}`, onclick: endEdit }, 'Cancel'), err);
    }
    if (ed && ed.kind === 'remove') {
      const err = el('span', { class: 'inline-error', role: 'alert' });
      return el('div', { class: 'row-actions row-confirm', 'data-testid': `remove-confirm-${id}`, role: 'alertdialog', 'aria-label': 'Remove channel' },
        el('span', {}, `Remove ${channel.name || id}? Its tasks stop and Autosync forgets its settings and history.`),
        el('button', { type: 'button', class: 'btn btn-danger btn-sm', 'data-testid': `remove-yes-${id}`, onclick: async (ev) => {
          ev.currentTarget.disabled = true;
          try {
            await api('DELETE', `v1/channels/${encodeURIComponent(id)}`);
            state.editing = null;
            announce(`${channel.name || id} was removed.`);
            state.syncDirty = true;
            await refreshSync();
            renderChannelList();
          } catch (e) {
            err.textContent = e.message;
            ev.target.disabled = false;
          }
        } }, 'Remove'),
        el('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `remove-keep-${id}`, onclick: endEdit }, 'Keep'), err);
    }
    return el('div', { class: 'row-actions' },
      el('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `rename-${id}`,
        onclick: () => { state.editing = { id, kind: 'rename', value: channel.name || '' }; forceRender(); } }, 'Rename'),
      el('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `remove-${id}`,
        onclick: () => { state.editing = { id, kind: 'remove' }; forceRender(); } }, 'Remove'));
  }

  // forceRender redraws the list for an edit just begun.
  function forceRender() {
    const ed = state.editing;
    state.editing = null;
    renderChannelList();
    state.editing = ed;
    const list = $('channel-list');
    const row = list.querySelector(`[data-testid="channel-${CSS.escape(ed.id)}"]`);
    const ch = state.channels.get(ed.id);
    if (row && ch) row.querySelector('.row-actions').replaceWith(rowActions(ch));
  }

  // ---------- Add channel ----------

  async function openAddChannel() {
    const panel = $('add-channel-panel');
    panel.hidden = false;
    panel.replaceChildren(el('p', { class: 'empty' }, 'Loading…'));
    try {
      const data = await api('GET', 'v1/carts');
      state.carts = (data && Array.isArray(data.carts)) ? data.carts : [];
    } catch (e) {
      panel.replaceChildren(el('p', { class: 'inline-error', 'data-testid': 'add-error' }, e.message));
      return;
    }
    renderAddChannel(state.carts[0] && state.carts[0].cart);
  }

  function renderAddChannel(cartID) {
    const panel = $('add-channel-panel');
    const carts = state.carts || [];
    if (!carts.length) {
      panel.replaceChildren(el('p', { class: 'empty' }, 'No cart can be connected from here yet.'));
      return;
    }
    const cur = carts.find((c) => c.cart === cartID) || carts[0];
    const values = { name: '' };
    const select = el('select', { class: 'input', id: 'add-cart', 'data-testid': 'add-cart', onchange: (ev) => renderAddChannel(ev.target.value) },
      carts.map((c) => el('option', { value: c.cart, selected: c.cart === cur.cart }, c.label || c.cart)));
    const err = el('div', { class: 'inline-error', 'data-testid': 'add-error', role: 'alert', hidden: true });
    const field = (name, label, testid) => el('label', { class: 'field' }, el('span', {}, label),
      el('input', { type: 'text', class: 'input', 'data-testid': testid, name, oninput: (ev) => { values[name] = ev.target.value; } }));
    const connectBtn = el('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'add-connect', onclick: async () => {
      const body = { cart: cur.cart, name: values.name.trim() };
      for (const f of cur.fields || []) body[f.name] = (values[f.name] || '').trim();
      connectBtn.disabled = true;
      err.hidden = true;
      try {
        const r = await api('POST', 'v1/channels/connect', body, true);
        if (r && typeof r.authorize_url === 'string' && /^https?:\/\//.test(r.authorize_url)) {
          location.assign(r.authorize_url);
          return;
        }
        throw new ApiError(200, 'bad_response', 'Autosync sent an answer this page could not read.');
      } catch (e) {
        const lines = (e.details || []).map((d) => d && str(d.message)).filter(Boolean);
        err.replaceChildren(el('span', {}, e.message), ...lines.map((l) => el('div', {}, l)));
        err.hidden = false;
        connectBtn.disabled = false;
      }
    } }, `Connect to ${cur.label || cur.cart}`);
    panel.replaceChildren(
      el('label', { class: 'field' }, el('span', {}, 'Cart'), select),
      field('name', 'Channel name', 'add-name'),
      ...(cur.fields || []).map((f) => field(f.name, f.label || f.name, `add-field-${f.name}`)),
      err,
      el('div', { class: 'row-actions' }, connectBtn,
        el('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'add-cancel',
          onclick: () => { panel.hidden = true; panel.replaceChildren(); } }, 'Cancel')));
  }

  function reauthNotice(cls, testid, channel, withName) {
    return el('div', { class: cls, 'data-testid': testid },
      icon('warning'),
      el('div', {},
        el('strong', {}, withName
          ? `${channel.name || channel.id} (${cartLabel(channel.type)}) needs to be re-authorized.`
          : 'This channel needs to be re-authorized.'),
        ' ', str(channel.status_reason) ? sentence(channel.status_reason) + ' ' : '', REAUTH_ADVICE, ' ', reauthButton(channel)));
  }

  function renderBanners() {
    const needing = [...state.channels.values()].filter(needsAuth);
    const ids = needing.map((c) => `${c.id}\n${c.status_reason || ''}`).join('\n\n');
    if (ids === state.reauthIds) return;
    const fresh = state.reauthIds !== null;
    state.reauthIds = ids;
    $('banners').replaceChildren(...needing.map((c) => reauthNotice('banner', `reauth-banner-${c.id}`, c, true)));
    if (fresh && needing.length) announce(`${needing.map((c) => c.name || c.id).join(', ')} needs to be re-authorized.`);
  }

  // ---------- the Sync modal ----------

  const dialog = () => $('sync-modal');
  const rowKey = (cid, task) => `${cid}\n${task}`;

  async function openModal() {
    if (modal.open) return;
    if (!state.token) { showNotice(state.expired ? MSG_EXPIRED : MSG_NO_TOKEN, state.expired ? '' : 'info'); return; }
    modal.open = true;
    modal.loaded = false;
    const gen = ++modal.generation;
    clearModalError();
    modal.rows = new Map();
    modal.previewed = new Set(); // a confirmation lasts until the modal closes
    const body = $('modal-body');
    body.setAttribute('aria-busy', 'true');
    body.replaceChildren(el('p', { class: 'empty' }, 'Loading sync settings…'));
    setSaveEnabled(false);
    dialog().showModal();
    $('sync-title').focus();
    try {
      const data = await api('GET', 'v1/sync');
      if (gen !== modal.generation || !modal.open) return;
      if (!acceptSync(data)) throw new ApiError(200, 'bad_response', 'Autosync sent an answer this page could not read. Try again.');
      renderModal();
    } catch (e) {
      if (gen !== modal.generation || !modal.open) return;
      body.replaceChildren(el('p', { class: 'empty' }, 'The sync settings could not be loaded.'),
        el('button', { type: 'button', class: 'btn btn-secondary btn-sm', onclick: () => { closeModal(false); openModal(); } }, 'Try again'));
      showModalError(e.message);
    } finally {
      if (gen === modal.generation) body.setAttribute('aria-busy', 'false');
    }
  }

  function closeModal(restoreFocus = true) {
    if (!modal.open) return;
    hideConfirm();
    modal.open = false;
    modal.generation++;
    if (dialog().open) dialog().close();
    if (restoreFocus) $('sync-button').focus();
  }

  // Whether a checkbox differs from what the modal loaded.
  function isDirty() {
    if (!modal.loaded) return false;
    for (const [key, row] of modal.rows) {
      if (row.checkbox && modal.initial.has(key) && row.checkbox.checked !== modal.initial.get(key)) return true;
    }
    return false;
  }

  // Cancel, Escape, the close button and a click outside: with unsaved
  // changes the modal asks first (within the page: no native dialog).
  function requestClose() {
    if (!modal.open) return;
    if (modal.confirming) { modal.confirming.cancel(); return; }
    if (modal.saving || !isDirty()) { closeModal(); return; }
    showConfirm({
      testid: 'discard-confirm',
      title: 'Discard changes?',
      body: [el('p', {}, 'You changed tasks in this window and have not saved them. Close it without saving?')],
      confirm: { label: 'Discard changes', testid: 'discard-yes', kind: 'btn-danger' },
      cancel: { label: 'Keep editing', testid: 'discard-keep' },
      onConfirm: () => closeModal(),
    });
  }

  // showConfirm lays a confirmation over the modal's content: focus moves
  // into it, Escape or its cancel button dismisses it.
  function showConfirm(opts) {
    hideConfirm();
    const layer = $('modal-confirm');
    const titleId = uid('confirm');
    const back = document.activeElement;
    const done = (fn) => () => { hideConfirm(); if (fn) fn(); else if (back && back.isConnected) back.focus(); };
    const cancelBtn = el('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': opts.cancel.testid }, opts.cancel.label);
    const confirmBtn = el('button', { type: 'button', class: 'btn ' + (opts.confirm.kind || 'btn-primary'), 'data-testid': opts.confirm.testid }, opts.confirm.label);
    const c = { cancel: done(opts.onCancel), confirm: done(opts.onConfirm), layer, confirmBtn };
    cancelBtn.addEventListener('click', () => c.cancel());
    confirmBtn.addEventListener('click', () => c.confirm());
    const box = el('div', { class: 'confirm-box', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': titleId, 'data-testid': opts.testid },
      el('h3', { id: titleId, tabindex: '-1' }, opts.title),
      el('div', { class: 'confirm-body' }, opts.body),
      el('div', { class: 'confirm-actions' }, cancelBtn, confirmBtn));
    c.box = box;
    layer.replaceChildren(box);
    layer.hidden = false;
    // The modal behind the confirmation takes no clicks, focus or reading.
    for (const n of layer.parentElement.children) if (n !== layer) n.inert = true;
    modal.confirming = c;
    (opts.focusConfirm ? confirmBtn : cancelBtn).focus();
    return c;
  }

  function hideConfirm() {
    const layer = $('modal-confirm');
    for (const n of layer.parentElement.children) n.inert = false;
    layer.hidden = true;
    layer.replaceChildren();
    modal.confirming = null;
  }

  // The first tick of Write Inventory Back on a channel (never on, never
  // run) shows what the first write-back would change in the cart and asks
  // before the box stays ticked.
  function firstWriteBack(row) {
    const t = row.task;
    return t.task === 'write_inventory' && !t.enabled && !t.last_run && !modal.previewed.has(row.channel.id);
  }

  // once: the preview asks before a Sync once (then runs it) rather than
  // before a tick stays.
  async function previewWriteBack(row, once) {
    const cb = row.checkbox;
    const cid = row.channel.id;
    const name = row.channel.name || cartLabel(row.channel.type);
    const cart = cartLabel(row.channel.type);
    const gen = modal.generation;
    const back = document.activeElement;
    const body = el('div', { 'data-testid': 'preview-body', 'aria-busy': 'true' }, el('p', { class: 'muted' }, `Reading what ${row.label} would change in ${cart}…`));
    const c = showConfirm({
      testid: 'preview-confirm',
      title: once ? `Run ${row.label} once for ${name}?` : `Turn on ${row.label} for ${name}?`,
      body: [body],
      confirm: { label: once ? `Write inventory to ${cart}` : `Turn on ${row.label}`, testid: 'preview-yes' },
      cancel: { label: 'Cancel', testid: 'preview-no' },
      onConfirm: () => { modal.previewed.add(cid); if (once) { if (back && back.isConnected) back.focus(); once(); } else cb.focus(); },
      onCancel: () => {
        if (once) { if (back && back.isConnected) back.focus(); announce(`${row.label} not run for ${name}.`); return; }
        cb.checked = false; cb.focus(); announce(`${row.label} left off for ${name}.`);
      },
    });
    try {
      const data = await api('GET', `v1/channels/${encodeURIComponent(cid)}/inventory-preview?limit=1`);
      if (gen !== modal.generation || modal.confirming !== c) return;
      body.replaceChildren(...previewSummary(data, cart));
    } catch (e) {
      if (gen !== modal.generation || modal.confirming !== c) return;
      body.replaceChildren(el('p', { class: 'inline-error' }, 'What it would change could not be read: ' + e.message),
        el('p', {}, `Turning it on lets each run set ${cart}'s quantities to Autosync's.`));
    }
    body.setAttribute('aria-busy', 'false');
  }

  function previewSummary(data, cart) {
    const s = (data && data.summary) || {};
    const linked = Number(s.linked) || 0;
    const changes = Number(s.changes) || 0;
    const out = [];
    if (!linked) {
      out.push(el('p', { 'data-testid': 'preview-count' }, `No products are linked to this channel yet, so nothing in ${cart} would change now. Import Products links them.`));
      return out;
    }
    out.push(el('p', { 'data-testid': 'preview-count' },
      el('strong', {}, `${changes} of ${linked} SKU${linked === 1 ? '' : 's'}`),
      ` would change in ${cart} on the first write-back; ${linked - changes} would stay as they are.`));
    const largest = Array.isArray(s.largest_changes) ? s.largest_changes : [];
    if (largest.length) {
      out.push(el('table', { class: 'preview-table', 'data-testid': 'preview-largest' },
        el('caption', {}, changes > largest.length ? `The ${largest.length} largest changes` : 'The changes'),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'SKU'), el('th', { scope: 'col' }, `In ${cart} now`), el('th', { scope: 'col' }, 'Will be set to'))),
        el('tbody', {}, largest.map((e) => el('tr', {},
          el('td', {}, String(e.sku)),
          el('td', {}, e.cart_quantity == null ? 'unknown' : String(e.cart_quantity)),
          el('td', {}, String(e.target)))))));
    }
    const live = (data && data.live) || {};
    if (str(live.message)) out.push(el('p', { class: 'muted' }, sentence(live.message)));
    return out;
  }

  function onTaskChange(row) {
    if (row.checkbox.checked && firstWriteBack(row)) previewWriteBack(row);
  }

  // A Sync once that includes a channel's first write-back shows the
  // preview first; run starts the run(s).
  function onceWithPreview(cid, tasks, run) {
    const row = modal.rows.get(rowKey(cid, 'write_inventory'));
    const first = row && tasks.includes('write_inventory') && !row.task.last_run && !modal.previewed.has(cid);
    if (first) previewWriteBack(row, run); else run();
  }

  // With many channels the modal offers a filter and a jump list, and every
  // channel's tasks can be folded away.
  function channelTools(entries) {
    const select = el('select', { 'data-testid': 'channel-jump', 'aria-label': 'Jump to a channel' },
      el('option', { value: '' }, 'Jump to a channel…'),
      entries.map(({ channel }) => el('option', { value: channel.id }, channel.name || cartLabel(channel.type))));
    select.addEventListener('change', () => {
      const sec = $('modal-body').querySelector(`section[data-channel="${CSS.escape(select.value)}"]`);
      select.value = '';
      if (!sec) return;
      setCollapsed(sec, false);
      sec.hidden = false;
      sec.scrollIntoView({ block: 'start' });
      sec.querySelector('.collapse-btn').focus();
    });
    const filter = el('input', { type: 'search', 'data-testid': 'channel-filter', 'aria-label': 'Filter channels by name or cart', placeholder: 'Filter channels' });
    const count = el('span', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'channel-count' }, `${entries.length} channels`);
    filter.addEventListener('input', () => {
      const q = filter.value.trim().toLowerCase();
      let shown = 0;
      for (const sec of $('modal-body').querySelectorAll('section.channel-section')) {
        const hit = !q || sec.dataset.search.includes(q);
        sec.hidden = !hit;
        if (hit) shown++;
      }
      count.textContent = q ? `${shown} of ${entries.length} channels` : `${entries.length} channels`;
    });
    const all = (collapsed) => () => { for (const sec of $('modal-body').querySelectorAll('section.channel-section')) setCollapsed(sec, collapsed); };
    return el('div', { class: 'channel-tools', 'data-testid': 'channel-tools' }, filter, select,
      el('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'collapse-all', onclick: all(true) }, 'Collapse all'),
      el('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'expand-all', onclick: all(false) }, 'Expand all'),
      count);
  }

  function setCollapsed(sec, collapsed) {
    const btn = sec.querySelector('.collapse-btn');
    const panel = sec.querySelector('.channel-panel');
    btn.setAttribute('aria-expanded', collapsed ? 'false' : 'true');
    panel.hidden = collapsed;
  }

  function setSaveEnabled(on) {
    $('save-settings').setAttribute('aria-disabled', on ? 'false' : 'true');
  }

  function clearModalError() {
    const box = $('modal-error');
    box.hidden = true;
    box.replaceChildren();
  }

  function showModalError(message, items) {
    const box = $('modal-error');
    box.replaceChildren(el('div', {}, message),
      items && items.length ? el('ul', {}, items.map((t) => el('li', {}, t))) : null);
    box.hidden = false;
  }

  function renderModal() {
    modal.rows = new Map();
    const entries = ((state.sync && state.sync.channels) || []).filter((e) => e && e.channel);
    const body = $('modal-body');
    if (!entries.length) {
      body.replaceChildren(el('p', { class: 'empty' }, 'No sales channels are connected yet. Connect a cart to start syncing.'));
      setSaveEnabled(false);
    } else {
      const sections = entries.map((e) => renderChannelSection(e, entries.length > MANY_CHANNELS));
      body.replaceChildren(...(entries.length > MANY_CHANNELS ? [channelTools(entries)] : []), ...sections);
      setSaveEnabled(true);
    }
    modal.initial = new Map();
    for (const [key, row] of modal.rows) if (row.checkbox) modal.initial.set(key, row.checkbox.checked);
    modal.loaded = true;
  }

  function renderChannelSection({ channel, tasks }, many) {
    const cid = channel.id;
    const name = channel.name || cartLabel(channel.type);
    const titleId = uid('ch');
    const runnable = (tasks || []).filter((t) => t.available && t.mode !== 'instasync');
    const reauth = needsAuth(channel);
    const channelStatus = el('span', { class: 'once-status', 'data-testid': `once-status-${cid}` });
    const allBtn = runnable.length ? el('button', {
      type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `sync-all-once-${cid}`,
      'aria-label': `Sync all once for ${name}`, disabled: reauth,
      title: reauth ? 'Re-authorize this channel first.' : null,
      onclick: (ev) => {
        const btn = ev.currentTarget;
        onceWithPreview(cid, runnable.map((t) => t.task), () => syncOnce(runnable.map((t) => ({ channel_id: cid, task: t.task })), btn, channelStatus));
      },
    }, 'Sync all once') : null;
    const panelId = uid('panel');
    const on = (tasks || []).filter((t) => t.enabled).length;
    // Folding a channel hides its tasks, never changes them.
    const collapse = el('button', {
      type: 'button', class: 'collapse-btn', 'aria-expanded': 'true', 'aria-controls': panelId,
      'data-testid': `collapse-${cid}`, 'aria-label': `Show or hide the tasks of ${name}`,
    }, el('span', { class: 'chevron', 'aria-hidden': 'true' }));
    collapse.addEventListener('click', () => setCollapsed(collapse.closest('section'), collapse.getAttribute('aria-expanded') === 'true'));
    const sec = el('section', { class: 'channel-section', 'aria-labelledby': titleId, 'data-channel': cid, 'data-testid': `channel-section-${cid}` },
      el('div', { class: 'channel-head' },
        el('div', { class: 'channel-title' }, collapse, cartBadge(channel.type), el('h3', { id: titleId }, name), statusPill(channel),
          many ? el('span', { class: 'muted on-count' }, `${on} on`) : null),
        el('div', { class: 'task-actions' }, channelStatus, allBtn)),
      el('div', { class: 'channel-panel', id: panelId },
        reauth ? reauthNotice('reauth-note', `reauth-note-${cid}`, channel, false) : null,
        el('ul', { class: 'task-list' }, (tasks || []).map((t) => renderTaskRow(channel, t)))));
    sec.dataset.search = `${name} ${cartLabel(channel.type)}`.toLowerCase();
    return sec;
  }

  function renderTaskRow(channel, t) {
    const cid = channel.id;
    const key = `${cid}-${t.task}`;
    const label = t.label || taskLabel(t.task);
    const name = channel.name || cartLabel(channel.type);
    const tickable = !!t.available && !!t.autosync_available;
    const onceOnly = !!t.available && !t.autosync_available;
    const cbId = uid('cb');
    const reasonId = uid('reason');
    const metaId = uid('meta');
    const problemId = uid('problem');

    const reasonText = str(t.unavailable_reason);
    const reason = reasonText ? el('div', { class: 'task-reason', id: reasonId }, reasonText) : null;
    const problem = el('div', { class: 'task-problem', id: problemId, 'data-testid': `problem-${key}`, hidden: true });

    // A ticked task whose schedule does not fire shows paused, never the arrow.
    const paused = !!t.paused && t.indicator === 'autosync';
    const kind = paused ? 'paused' : t.indicator === 'autosync' || t.indicator === 'instasync' ? t.indicator : '';
    const indicatorId = uid('ind');
    let control;
    let labelEl;
    if (onceOnly) {
      control = el('span', { class: 'cb-spacer', 'aria-hidden': 'true' });
      labelEl = el('span', { class: 'task-label' }, label);
    } else {
      control = el('input', {
        type: 'checkbox', id: cbId, 'data-testid': `task-${key}`,
        'data-channel': cid, 'data-task': t.task,
        disabled: !tickable,
        'aria-describedby': [kind ? indicatorId : '', metaId, reason ? reasonId : '', problemId].filter(Boolean).join(' '),
      });
      control.checked = !!t.enabled && tickable;
      labelEl = el('label', { class: 'task-label', for: cbId }, label);
    }

    const indicator = kind ? el('span', {
      class: `indicator indicator-${kind}`, role: 'img', id: indicatorId, 'data-testid': `indicator-${key}`, 'data-kind': kind,
      'aria-label': indicatorLabel(kind), title: paused ? str(t.paused_reason) || indicatorLabel(kind) : indicatorLabel(kind),
    }, icon(kind)) : null;

    const meta = [];
    if (!t.available) {
      // the reason says it all
    } else if (t.mode === 'instasync') {
      const what = t.task === 'instasync_products' ? 'product' : t.task === 'instasync_orders' ? 'order' : 'one';
      meta.push(`Imports each new ${what} the moment the cart reports it`);
    } else if (onceOnly) {
      meta.push('Sync once only');
    } else {
      meta.push(intervalLabel(t.interval || t.default_interval));
      const next = parseTime(t.next_run_at);
      if (paused) meta.push(str(t.paused_reason) || 'Paused');
      else if (t.enabled && next > 0) meta.push('next run ' + relTime(next));
    }
    if (t.available && t.last_run && t.last_run.status) {
      const lr = t.last_run;
      const when = parseTime(lr.finished_at || lr.started_at);
      meta.push(`last run: ${statusText(lr).toLowerCase()}${when > 0 ? ' ' + relTime(when) : ''}`);
    }

    const onceStatus = el('span', { class: 'once-status', 'data-testid': `once-status-${key}` });
    const onceBtn = t.available && t.mode !== 'instasync' ? el('button', {
      type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `sync-once-${key}`,
      'aria-label': `Sync once: ${label} for ${name}`,
      // The API refuses runs on a channel that needs re-authorization.
      disabled: needsAuth(channel), title: needsAuth(channel) ? 'Re-authorize this channel first.' : null,
      onclick: (ev) => {
        const btn = ev.currentTarget;
        onceWithPreview(cid, [t.task], () => syncOnce([{ channel_id: cid, task: t.task }], btn, onceStatus, problem));
      },
    }, 'Sync once') : null;

    const li = el('li', {
      class: 'task-row' + (t.available ? '' : ' unavailable') + (onceOnly ? ' once-only' : ''),
      'data-channel': cid, 'data-task': t.task,
    },
      el('div', { class: 'task-main' }, control,
        el('div', { class: 'task-text' },
          el('div', { class: 'task-label-line' }, labelEl, indicator),
          el('div', { class: 'task-meta', id: metaId }, meta.filter(Boolean).join(' · ')),
          reason, problem)),
      el('div', { class: 'task-actions' }, onceStatus, onceBtn));

    const row = { channel, task: t, li, checkbox: tickable ? control : null, problem, label };
    modal.rows.set(rowKey(cid, t.task), row);
    if (row.checkbox) row.checkbox.addEventListener('change', () => onTaskChange(row));
    return li;
  }

  function clearProblems() {
    for (const row of modal.rows.values()) {
      row.problem.hidden = true;
      row.problem.textContent = '';
      row.li.classList.remove('has-problem');
      if (row.checkbox) row.checkbox.removeAttribute('aria-invalid');
    }
  }

  async function saveSettings() {
    if (!modal.open || !modal.loaded || modal.saving || modal.confirming) return;
    const tasks = [];
    for (const row of modal.rows.values()) {
      if (row.checkbox) tasks.push({ channel_id: row.channel.id, task: row.task.task, enabled: row.checkbox.checked });
    }
    modal.saving = true;
    const btn = $('save-settings');
    btn.setAttribute('aria-busy', 'true');
    btn.textContent = 'Saving…';
    clearModalError();
    clearProblems();
    const gen = modal.generation;
    try {
      const data = await api('PUT', 'v1/sync', { tasks });
      if (!acceptSync(data)) refreshSync();
      if (gen !== modal.generation) return;
      closeModal();
      const status = $('save-status');
      status.textContent = 'Autosync settings saved.';
      clearTimeout(saveSettings.timer);
      saveSettings.timer = setTimeout(() => { status.textContent = ''; }, 5000);
      announce('Autosync settings saved.');
    } catch (e) {
      if (gen !== modal.generation) return;
      if (e.status === 422) showProblems(e, tasks);
      else { showModalError('Your settings were not saved. ' + e.message); announce('Settings not saved. ' + e.message); }
    } finally {
      modal.saving = false;
      btn.removeAttribute('aria-busy');
      btn.textContent = 'Update Autosync Settings';
    }
  }

  // Places each problem of a 422 beside its task. A detail is expected to be
  // {"channel_id","task","message"}; {"index"} (position in the request), a
  // bare string or a detail naming no task goes to the modal-wide error.
  function showProblems(err, sent) {
    const general = [];
    let first = null;
    let placed = 0;
    for (const d of err.details) {
      if (typeof d === 'string') { if (d.trim()) general.push(d.trim()); continue; }
      if (!d || typeof d !== 'object') continue;
      let cid = d.channel_id;
      let task = d.task;
      if ((cid == null || task == null) && Number.isInteger(d.index) && sent[d.index]) {
        cid = sent[d.index].channel_id;
        task = sent[d.index].task;
      }
      const msg = str(d.message) || str(d.reason) || str(d.error);
      const row = cid != null && task != null ? modal.rows.get(rowKey(cid, task)) : null;
      if (row) {
        row.problem.textContent = msg || err.message;
        row.problem.hidden = false;
        row.li.classList.add('has-problem');
        if (row.checkbox) row.checkbox.setAttribute('aria-invalid', 'true');
        first = first || row;
        placed++;
      } else if (msg) {
        general.push(cid != null && task != null ? `${channelName(cid)}, ${taskLabel(task)}: ${msg}` : msg);
      }
    }
    const head = 'Your settings were not saved; nothing was changed.';
    if (placed) {
      showModalError(`${head} ${placed === 1 ? 'One task needs' : placed + ' tasks need'} attention (shown below).`, general);
    } else {
      showModalError(`${head} ${err.message}`, general);
    }
    const n = Math.max(1, placed + general.length);
    announce(`Settings not saved: ${n} problem${n === 1 ? '' : 's'}.`);
    if (first) (first.checkbox || first.li.querySelector('button') || $('modal-error')).focus();
  }

  async function syncOnce(items, btn, statusEl, problemEl) {
    if (btn.getAttribute('aria-busy') === 'true') return;
    btn.setAttribute('aria-busy', 'true');
    btn.setAttribute('aria-disabled', 'true');
    statusEl.classList.remove('error');
    statusEl.textContent = 'Starting…';
    if (problemEl) { problemEl.hidden = true; problemEl.textContent = ''; }
    try {
      const data = await api('POST', 'v1/sync/runs', { runs: items });
      const runs = (data && Array.isArray(data.runs) ? data.runs : []).filter((r) => r && r.id);
      for (const r of runs) {
        r.id = String(r.id);
        upsertRun(r);
        if (!state.listIds.includes(r.id) && !state.local.includes(r.id)) state.local.unshift(r.id);
      }
      for (const [id, s] of state.onceStatus) if (s === statusEl) state.onceStatus.delete(id);
      if (runs.length === 1) state.onceStatus.set(runs[0].id, statusEl);
      const skipped = runs.filter((r) => r.status === 'skipped').length;
      statusEl.textContent = runs.length === 1 ? onceText(runs[0]) : `${runs.length - skipped} started${skipped ? `, ${skipped} skipped` : ''}`;
      const what = items.length === 1 ? `${taskLabel(items[0].task)} for ${channelName(items[0].channel_id)}` : `${items.length} tasks for ${channelName(items[0].channel_id)}`;
      announce(runs.length === 1 && runs[0].status === 'skipped'
        ? `${what}: ${statusText(runs[0])}.` : `${what}: queued. Follow it in Activity.`);
      renderActivity();
      pollSoon(500);
    } catch (e) {
      const detail = e.details && e.details.map((d) => (typeof d === 'string' ? d : d && str(d.message))).find(Boolean);
      statusEl.classList.add('error');
      statusEl.textContent = 'Not started';
      const msg = 'Could not start: ' + (detail || e.message);
      if (problemEl) { problemEl.textContent = msg; problemEl.hidden = false; } else statusEl.textContent = msg;
      announce(msg);
    } finally {
      btn.removeAttribute('aria-busy');
      btn.removeAttribute('aria-disabled');
    }
  }

  function onceText(run) {
    if (run.status === 'running') {
      const p = run.progress || {};
      return p.total > 0 ? `Running ${Math.floor((100 * Math.min(p.done, p.total)) / p.total)}%` : 'Running';
    }
    return statusText(run);
  }

  function trapFocus(ev) {
    const d = modal.confirming ? modal.confirming.box : dialog();
    const focusable = [...d.querySelectorAll('button, input, a[href], select, textarea, [tabindex]:not([tabindex="-1"])')]
      .filter((n) => !n.disabled && n.getClientRects().length > 0);
    if (!focusable.length) { ev.preventDefault(); return; }
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = document.activeElement;
    const inside = focusable.includes(active);
    if (ev.shiftKey && (active === first || !inside)) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && (active === last || !inside)) { ev.preventDefault(); first.focus(); }
  }

  // ---------- Activity ----------

  const isActive = (r) => r && ACTIVE.has(r.status);

  function upsertRun(r) {
    const id = String(r.id);
    const prev = state.runs.get(id);
    state.runs.set(id, r);
    if (prev && isActive(prev) && !isActive(r)) {
      state.syncDirty = true;
      const counts = countsText(r.counts);
      announce(`${taskLabel(r.task)} for ${channelName(r.channel_id)}: ${statusText(r).toLowerCase()}${counts ? ', ' + counts : ''}.`
        + (r.error && str(r.error.message) ? ' ' + sentence(r.error.message) : ''));
    }
    const s = state.onceStatus.get(id);
    if (s) {
      if (s.isConnected) s.textContent = onceText(r);
      else state.onceStatus.delete(id);
    }
  }

  function countsText(c) {
    if (!c) return '';
    return COUNT_LABELS.filter(([k]) => c[k] > 0).map(([k, l]) => `${l.toLowerCase()} ${c[k]}`).join(', ');
  }

  function displayedIds() {
    const seen = new Set();
    const out = [];
    for (const id of [...state.local, ...state.listIds]) {
      if (!seen.has(id) && state.runs.has(id)) { seen.add(id); out.push(id); }
    }
    return out.slice(0, RUN_LIMIT + state.local.length);
  }

  function renderActivity() {
    const list = $('run-list');
    const ids = displayedIds();
    for (const id of [...state.runs.keys()]) if (!ids.includes(id)) state.runs.delete(id);
    const err = $('activity-error');
    err.textContent = state.activityError;
    err.hidden = !state.activityError;
    $('activity-empty').hidden = !(state.loadedRuns && ids.length === 0);

    const existing = new Map([...list.children].map((li) => [li.dataset.runId, li]));
    let prev = null;
    const tick = Math.floor(Date.now() / 1000);
    for (const id of ids) {
      const r = state.runs.get(id);
      let li = existing.get(id);
      existing.delete(id);
      if (!li) { li = document.createElement('li'); li.dataset.runId = id; }
      const sig = JSON.stringify(r) + channelName(r.channel_id) + taskLabel(r.task) + (isActive(r) ? tick : Math.floor(tick / 20));
      if (li.dataset.sig !== sig) { fillRun(li, r); li.dataset.sig = sig; }
      const want = prev ? prev.nextSibling : list.firstChild;
      if (want !== li) list.insertBefore(li, want);
      prev = li;
    }
    for (const li of existing.values()) li.remove();
  }

  function fillRun(li, r) {
    const status = ACTIVE.has(r.status) || STATUS_LABELS[r.status] ? r.status : 'queued';
    li.className = 'run';
    li.setAttribute('data-testid', `run-${r.id}`);
    li.dataset.status = String(r.status);
    li.dataset.channel = String(r.channel_id);
    li.dataset.task = String(r.task);
    li.dataset.trigger = String(r.trigger || '');
    const label = taskLabel(r.task);
    const chan = channelName(r.channel_id);

    const started = parseTime(r.started_at);
    const finished = parseTime(r.finished_at);
    const meta = [];
    if (r.trigger) meta.push(el('span', {}, TRIGGER_LABELS[r.trigger] || String(r.trigger)));
    if (started > 0) {
      meta.push(el('time', { datetime: r.started_at, title: new Date(started).toLocaleString() }, 'started ' + relTime(started)));
      const d = r.status === 'skipped' ? '' : duration((finished > 0 ? finished : (isActive(r) ? Date.now() : NaN)) - started);
      if (d) meta.push(el('span', { title: 'Duration' }, d));
    } else if (finished > 0) {
      meta.push(el('time', { datetime: r.finished_at, title: new Date(finished).toLocaleString() }, relTime(finished)));
    }
    const metaNodes = [];
    meta.forEach((m, i) => { if (i) metaNodes.push(el('span', { class: 'sep', 'aria-hidden': 'true' }, '·')); metaNodes.push(m); });

    const parts = [
      el('div', { class: 'run-head' },
        el('span', { class: `status status-${status}` }, statusText(r)),
        el('span', { class: 'run-title' }, label, el('span', { class: 'run-channel' }, ' · ' + chan)),
        el('span', { class: 'run-meta' }, metaNodes)),
    ];

    if (r.status === 'running') {
      const p = r.progress || {};
      const done = Number(p.done) || 0;
      const total = Number(p.total) || 0;
      const bar = el('progress', { 'data-testid': `progress-${r.id}`, 'aria-label': `${label} for ${chan}: progress`, 'data-done': done, 'data-total': total });
      let text;
      if (total > 0) {
        bar.max = total;
        bar.value = Math.min(done, total);
        text = `${done} of ${total}`;
      } else {
        text = done > 0 ? `${done} so far` : 'Working…';
      }
      parts.push(el('div', { class: 'run-progress' }, bar, el('span', {}, text)));
    } else if (r.status === 'queued') {
      parts.push(el('div', { class: 'run-waiting' }, str(r.note) || 'Waiting to start…'));
    }

    const c = r.counts || {};
    const counts = COUNT_LABELS.filter(([k]) => Number(c[k]) > 0);
    if (counts.length) {
      parts.push(el('ul', { class: 'counts', 'aria-label': 'Counts' },
        counts.map(([k, l]) => el('li', { class: `count-${k}` }, l + ' ', el('b', {}, String(c[k]))))));
    }
    if (r.error && str(r.error.message)) {
      parts.push(el('p', { class: 'run-error' }, sentence(r.error.message),
        r.error.class === 'auth' && !r.error.message.includes('e-authorize') ? ' ' + REAUTH_ADVICE : ''));
    } else if (r.status === 'failed') {
      parts.push(el('p', { class: 'run-error' }, 'The run failed.'));
    }
    li.replaceChildren(...parts);
  }

  function pollSoon(delay) {
    clearTimeout(state.pollTimer);
    if (!state.token || state.expired) return;
    if (delay === undefined) {
      const active = [...state.runs.values()].some(isActive);
      delay = document.hidden ? POLL_HIDDEN_MS : active ? POLL_ACTIVE_MS : POLL_IDLE_MS;
    }
    state.pollTimer = setTimeout(poll, delay);
  }

  async function poll() {
    if (state.polling || !state.token || state.expired) return;
    state.polling = true;
    clearTimeout(state.pollTimer);
    let failed = false;
    try {
      const data = await api('GET', `v1/sync/runs?limit=${RUN_LIMIT}`);
      const runs = (data && Array.isArray(data.runs) ? data.runs : []).filter((r) => r && r.id != null);
      const ids = [];
      for (const r of runs) { r.id = String(r.id); upsertRun(r); ids.push(r.id); }
      state.listIds = ids;
      state.local = state.local.filter((id) => !ids.includes(id));
      // Runs started here that the list does not show yet: ask for each.
      await Promise.all(state.local.filter((id) => isActive(state.runs.get(id))).map((id) =>
        api('GET', 'v1/sync/runs/' + encodeURIComponent(id))
          .then((r) => { if (r && r.id != null) { r.id = String(r.id); upsertRun(r); } })
          .catch((e) => { if (e.status === 404) state.local = state.local.filter((x) => x !== id); })));
      state.activityError = '';
      state.loadedRuns = true;
    } catch (e) {
      failed = true;
      if (e.status !== 401) state.activityError = 'Activity could not be refreshed: ' + e.message;
    } finally {
      state.polling = false;
    }
    renderActivity();
    if (state.syncDirty || Date.now() - state.syncAt > SYNC_REFRESH_MS) refreshSync();
    pollSoon(failed ? POLL_IDLE_MS : undefined);
  }

  // ---------- start ----------

  function start() {
    $('sync-button').addEventListener('click', openModal);
    $('modal-close').addEventListener('click', () => requestClose());
    $('modal-cancel').addEventListener('click', () => requestClose());
    $('save-settings').addEventListener('click', saveSettings);
    $('activity-refresh').addEventListener('click', () => { if (!state.polling) poll(); });
    $('add-channel').addEventListener('click', openAddChannel);
    const d = dialog();
    d.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') { ev.preventDefault(); requestClose(); }
      else if (ev.key === 'Tab') trapFocus(ev);
    });
    d.addEventListener('cancel', (ev) => { ev.preventDefault(); requestClose(); });
    // A close the page did not make. The event comes a task after
    // close(): a modal reopened meanwhile is open again and stays so (it
    // used to be marked closed, its load dropped, "Loading…" for ever).
    d.addEventListener('close', () => { if (modal.open && !d.open) { modal.open = false; modal.generation++; $('sync-button').focus(); } });
    d.addEventListener('click', (ev) => { if (ev.target === d) requestClose(); });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) pollSoon(0); });
    window.addEventListener('hashchange', async () => {
      const t = await tokenFromLink();
      if (t) setToken(t);
    });

    tokenFromLink().then((t) => {
      const token = t || readStoredToken();
      if (token) setToken(token); else signIn();
    });
  }

  // tokenFromLink takes #token=... out of the address bar and returns it,
  // unless the deployment signs merchants in itself (GET v1/config's
  // sign_in): there a link carrying a token is refused, for it could carry
  // another account's token and make this tab act for that account
  // unnoticed (a channel added then would land in it).
  async function tokenFromLink() {
    const t = takeTokenFromFragment();
    if (!t) return null;
    let cfg;
    try { cfg = await signInConfig(); } catch { cfg = null; }
    if (cfg) {
      showNotice('This page does not accept a sign-in from a link; sign in here instead.');
      return null;
    }
    return t;
  }

  // ---------- hosted sign-in (OAuth 2.0 code grant with PKCE) ----------

  const SIGNIN_KEY = 'autosync.signin'; // {state, verifier} across the redirect
  const REFRESH_KEY = 'autosync.refresh'; // the hosted sign-in's refresh token, this tab only

  function b64url(bytes) {
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function randomString() {
    const b = new Uint8Array(32);
    crypto.getRandomValues(b);
    return b64url(b);
  }

  function storeRefresh(t) {
    try {
      if (t) sessionStorage.setItem(REFRESH_KEY, t); else sessionStorage.removeItem(REFRESH_KEY);
    } catch { /* storage disabled: the session ends with the access token */ }
  }

  // renewSession trades the refresh token for a new access token (one
  // exchange at a time, however many requests were refused), unless the
  // token refused was already replaced. It reports whether there is a new
  // token to try.
  let renewing = null;
  function renewSession(refused) {
    if (state.token && state.token !== refused) return Promise.resolve(true);
    if (renewing) return renewing;
    let refresh = null;
    try { refresh = sessionStorage.getItem(REFRESH_KEY); } catch { refresh = null; }
    if (!refresh) return Promise.resolve(false);
    renewing = (async () => {
      try {
        const cfg = await signInConfig();
        if (!cfg) return false;
        const res = await fetch(cfg.token_url, {
          method: 'POST', cache: 'no-store', credentials: 'omit',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body: new URLSearchParams({ grant_type: 'refresh_token', client_id: cfg.client_id, refresh_token: refresh }).toString(),
        });
        const data = await res.json();
        if (!res.ok || !data || typeof data.access_token !== 'string' || !data.access_token) return false;
        state.token = data.access_token;
        storeToken(state.token);
        // Cognito keeps the refresh token unless rotation is on.
        if (typeof data.refresh_token === 'string' && data.refresh_token) storeRefresh(data.refresh_token);
        return true;
      } catch {
        return false;
      } finally {
        renewing = null;
      }
    })();
    return renewing;
  }

  async function signInConfig() {
    const res = await fetch(new URL('v1/config', document.baseURI), { cache: 'no-store', credentials: 'omit', headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`GET v1/config: HTTP ${res.status}`);
    const data = await res.json();
    const c = data && data.sign_in;
    if (!c || typeof c !== 'object') return null;
    for (const k of ['authorize_url', 'token_url', 'client_id', 'redirect_uri']) {
      if (typeof c[k] !== 'string' || !c[k]) return null;
    }
    return c;
  }

  // signIn: with no token, the page either finishes a sign-in the hosted
  // page sent it back from (?code=...&state=...), or goes there when the
  // deployment has one (GET v1/config's sign_in), or says how to open it.
  async function signIn() {
    const q = new URLSearchParams(location.search);
    let cfg;
    try { cfg = await signInConfig(); } catch { cfg = null; }
    if (!cfg) { noToken(); return; }
    if (q.has('code') || q.has('error')) {
      // Out of the address bar (and history) at once: the code is single-use.
      history.replaceState(history.state, '', location.pathname + location.hash);
      let saved = null;
      try { saved = JSON.parse(sessionStorage.getItem(SIGNIN_KEY) || 'null'); } catch { saved = null; }
      try { sessionStorage.removeItem(SIGNIN_KEY); } catch { /* ignore */ }
      if (!saved || !q.get('code') || q.get('state') !== saved.state) {
        noToken();
        showNotice('The sign-in could not be completed. Reload the page to sign in again.');
        return;
      }
      try {
        const res = await fetch(cfg.token_url, {
          method: 'POST', cache: 'no-store', credentials: 'omit',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body: new URLSearchParams({ grant_type: 'authorization_code', client_id: cfg.client_id, code: q.get('code'),
            redirect_uri: cfg.redirect_uri, code_verifier: saved.verifier }).toString(),
        });
        const data = await res.json();
        if (!res.ok || !data || typeof data.access_token !== 'string' || !data.access_token) throw new Error('no token');
        storeRefresh(typeof data.refresh_token === 'string' ? data.refresh_token : null);
        setToken(data.access_token);
      } catch {
        noToken();
        showNotice('The sign-in could not be completed. Reload the page to sign in again.');
      }
      return;
    }
    const st = { state: randomString(), verifier: randomString() };
    try { sessionStorage.setItem(SIGNIN_KEY, JSON.stringify(st)); } catch { noToken(); return; }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(st.verifier)));
    const u = new URL(cfg.authorize_url);
    u.search = new URLSearchParams({ response_type: 'code', client_id: cfg.client_id, redirect_uri: cfg.redirect_uri,
      scope: str(cfg.scope) || 'openid', state: st.state, code_challenge: b64url(digest), code_challenge_method: 'S256' }).toString();
    location.assign(u.href);
  }

  window.Autosync = Object.freeze({
    setToken(token) {
      if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', () => setToken(token), { once: true });
      } else {
        setToken(token);
      }
    },
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
