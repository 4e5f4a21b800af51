// Tachikoma web client: the chat protocol of docs/PROTOCOL.md over MQTT.js,
// and a pet that walks along the bottom of the page. Text from the network
// only ever reaches the page through textContent.
'use strict';

const STATIC = document.getElementById('app-script').dataset.static;
const AUTH_KEY = 'tachikoma.auth'; // {user, token, expires}: never a password
const LANG_KEY = 'tachikoma.lang';
const PAGE = 30; // history messages per page
const SEND_TIMEOUT = 15000;
const MAX_TEXT = 4000; // characters (code points) the broker takes in one message
const CATCH_UP_PAGE = 100, CATCH_UP_PAGES = 5; // history after a reconnect, per conversation

const TEXT = {
  en: {
    'logout': 'Log out', 'login.title': 'Log in', 'login.user': 'Username', 'login.password': 'Password',
    'login.remember': 'Remember me on this browser', 'login.submit': 'Log in', 'login.busy': 'Logging in…',
    'rooms': 'Rooms', 'friends': 'Friends', 'back': 'Back', 'older': 'Earlier messages', 'send': 'Send',
    'compose': 'Message (Enter to send, Shift+Enter for a new line)',
    'err.auth': 'Wrong username or password.', 'err.busy': 'The server is busy; try again in a few seconds.',
    'err.network': 'Cannot reach the server. Check the address and your connection.',
    'err.token': 'Your saved login has expired; log in again.',
    'pending': 'sending…', 'failed': 'not sent', 'retry': 'Retry',
    'online': 'online', 'offline': 'offline', 'reconnecting': 'Connection lost; reconnecting…',
    'none': 'Nothing here yet.', 'notice': 'Server notice: ',
    'login.nick': 'Nickname (optional)', 'login.toRegister': 'New here? Create an account',
    'login.toLogin': 'Have an account? Log in', 'register.title': 'Create an account', 'register.submit': 'Create and log in',
    'friend.name': 'Username', 'friend.add': 'Add friend', 'friend.sent': 'Friend request sent to ',
    'friend.wants': ' wants to be your friend', 'accept': 'Accept', 'decline': 'Decline',
    'room.name': 'Room', 'room.join': 'Join or create', 'room.invite': 'Invite', 'room.invited': 'Invited: ',
    'room.invites': ' invites you to ',
    'login.invite': 'Invite code', 'register.inviteNote': 'This server needs an invite code from its admin to register.',
    'register.approvalNote': 'New accounts on this server wait for the admin\'s approval.',
    'register.closed': 'This server does not accept new accounts; ask its admin for one.',
    'register.pending': 'Account created. It is waiting for the server admin\'s approval; log in once it is approved.',
    'err.pending': 'Your account is waiting for the server admin\'s approval; try again once it is approved.',
    'err.invite_needed': 'This server needs an invite code to register; ask its admin for one.',
    'err.invite_unknown': 'That invite code is not valid here (mistyped, or revoked).',
    'err.invite_expired': 'That invite code has expired; ask the server\'s admin for a new one.',
    'err.invite_used_up': 'That invite code has been used up; ask the server\'s admin for a new one.',
    'err.rate': 'Too many registrations; try again in a few minutes.',
    'err.tooLong': 'Message too long: {n} characters, at most {max}.',
    'rule.user': 'A username is 3 to 32 lowercase letters a–z, digits or _ (a nickname can be anything).',
    'rule.room': 'A room name is 1 to 32 lowercase letters a–z, digits, _ or -.',
  },
  zh: {
    'logout': '退出登录', 'login.title': '登录', 'login.user': '用户名', 'login.password': '密码',
    'login.remember': '在此浏览器上记住我', 'login.submit': '登录', 'login.busy': '正在登录…',
    'rooms': '房间', 'friends': '好友', 'back': '返回', 'older': '更早的消息', 'send': '发送',
    'compose': '输入消息（Enter 发送，Shift+Enter 换行）',
    'err.auth': '用户名或密码错误。', 'err.busy': '服务器繁忙，请过几秒再试。',
    'err.network': '无法连接服务器，请检查地址和网络。',
    'err.token': '保存的登录已过期，请重新登录。',
    'pending': '发送中…', 'failed': '发送失败', 'retry': '重试',
    'online': '在线', 'offline': '离线', 'reconnecting': '连接已断开，正在重连…',
    'none': '还没有消息。', 'notice': '服务器提示：',
    'login.nick': '昵称（可不填）', 'login.toRegister': '第一次来？注册新账号',
    'login.toLogin': '已有账号？去登录', 'register.title': '注册新账号', 'register.submit': '注册并登录',
    'friend.name': '用户名', 'friend.add': '加好友', 'friend.sent': '已发送好友请求给 ',
    'friend.wants': ' 想加你为好友', 'accept': '接受', 'decline': '拒绝',
    'room.name': '房间名', 'room.join': '加入或创建', 'room.invite': '邀请', 'room.invited': '已邀请：',
    'room.invites': ' 邀请你加入 ',
    'login.invite': '邀请码', 'register.inviteNote': '该服务器需要管理员发的邀请码才能注册。',
    'register.approvalNote': '该服务器的新账号需要管理员审核。',
    'register.closed': '该服务器不接受注册新账号，请向管理员索取账号。',
    'register.pending': '账号已创建，正在等待服务器管理员审核，通过后即可登录。',
    'err.pending': '你的账号正在等待服务器管理员审核，通过后再登录。',
    'err.invite_needed': '该服务器注册需要邀请码，请向管理员索取。',
    'err.invite_unknown': '邀请码无效（输错了，或已被撤销）。',
    'err.invite_expired': '邀请码已过期，请向服务器管理员索取新的。',
    'err.invite_used_up': '邀请码已用完，请向服务器管理员索取新的。',
    'err.rate': '注册次数过多，请几分钟后再试。',
    'err.tooLong': '消息太长：{n} 个字，最多 {max} 个。',
    'rule.user': '用户名只能用 3 到 32 个小写字母、数字或下划线（昵称可以用中文）。',
    'rule.room': '房间名只能用 1 到 32 个小写字母、数字、下划线或减号。',
  },
};

let lang = localStorage.getItem(LANG_KEY) ||
  ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en');

function t(key) { return (TEXT[lang] && TEXT[lang][key]) || TEXT.en[key] || key; }

const $ = (id) => document.getElementById(id);

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  $('lang').value = lang;
  const reg = !$('nick-row').hidden;
  $('login-form').querySelector('h2').dataset.i18n = reg ? 'register.title' : 'login.title';
  $('login-button').dataset.i18n = reg ? 'register.submit' : 'login.submit';
  $('mode').dataset.i18n = reg ? 'login.toLogin' : 'login.toRegister';
  applyRegisterForm(reg);
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll('[data-rule]')) checkName(el);
  renderLists();
  renderMessages(false);
}

// checkName replaces the browser's "match the requested format" with the
// rule a name breaks, in the UI's language.
function checkName(input) {
  input.setCustomValidity('');
  if (input.validity.patternMismatch) input.setCustomValidity(t(input.dataset.rule));
}

// ---- state ----

const state = {
  client: null, me: '', nick: '', token: '', remember: false, connected: false,
  convs: new Map(), // key ("r:lobby", "u:bob") -> conversation
  active: '', replies: new Map(), seq: 0,
  lastId: 0, // the newest message id seen
  since: -1, // lastId when the connection was lost, until caught up (-1: nothing to catch up)
  link: 0, // counts connections, so that a catch-up stops when its connection goes
  roomSeq: 0, // counts room.joined and room.left events, so a room list asked before one is asked again
  incoming: [], // profiles asking to be friends
  invites: [], // rooms one is invited to and not in
};

function conv(key, title) {
  let c = state.convs.get(key);
  if (!c) {
    c = { key, kind: key[0] === 'r' ? 'room' : 'dm', name: key.slice(2), title: title || key.slice(2),
      messages: [], byId: new Set(), oldest: 0, more: true, loaded: false, unread: 0, status: '' };
    state.convs.set(key, c);
  } else if (title) {
    c.title = title;
  }
  return c;
}

function sendTopic(c) {
  return c.kind === 'room' ? 'tachikoma/rooms/' + c.name : 'tachikoma/users/' + c.name + '/dm/' + state.me;
}

// ---- connection ----

function wsURL() { return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/mqtt'; }

// server is the answer of GET /api/v1/server (null until it came, or from
// an older server); inviteAsked is set once a registration was refused for
// an invite, so that the field shows even without it.
const registration = { server: null, inviteAsked: false, note: '' };

function applyRegisterForm(reg) {
  const info = registration.server || {};
  $('invite-row').hidden = !(reg && (info.invite_required || registration.inviteAsked));
  const notes = registration.note ? [registration.note] : [];
  if (!notes.length && reg) {
    if (info.registration === 'closed') notes.push('register.closed');
    if (info.invite_required) notes.push('register.inviteNote');
    if (info.approval && info.registration !== 'closed') notes.push('register.approvalNote');
  }
  $('server-note').textContent = notes.map(t).join('\n');
  $('server-note').hidden = !notes.length;
}

async function fetchServerInfo() {
  try {
    const r = await fetch('/api/v1/server', { cache: 'no-store' });
    if (r.ok) registration.server = await r.json();
  } catch (e) { /* an older server: the form learns from the registration */ }
  applyLang();
}

function loginError(key, detail) {
  const el = $('login-error');
  el.textContent = t(key);
  el.title = detail || '';
  el.dataset.key = key;
  el.hidden = false;
}

function connackError(err) {
  const code = err && err.code;
  // Tachikoma's broker keeps 0x04 for an account waiting for approval.
  if (code === 4) return 'err.pending';
  if (code === 5 || code === 134 || code === 135) return 'err.auth';
  if (code === 3 || code === 136 || code === 137) return 'err.busy';
  return 'err.network';
}

function connect(user, secret, remember, usingToken) {
  const btn = $('login-button');
  btn.disabled = true;
  btn.textContent = t('login.busy');
  $('login-error').hidden = true;
  const client = mqtt.connect(wsURL(), {
    username: user, password: secret, protocolVersion: 4, clean: true, reconnectPeriod: 0,
    connectTimeout: 20000, clientId: 'web-' + user + '-' + Math.random().toString(36).slice(2, 10),
  });
  state.client = client;
  let failed = '', detail = '';
  client.on('error', (err) => {
    if (state.connected) {
      // The token stopped working (a new password, or it expired): ask
      // for the password rather than reconnect for ever.
      if (client === state.client && connackError(err) === 'err.auth') {
        logout();
        loginError('err.token', String(err.message));
      }
      return;
    }
    failed = connackError(err);
    detail = String(err && err.message);
  });
  client.on('close', () => {
    if (client !== state.client) return;
    if (!state.connected) {
      // MQTT.js closes before it reports a refused CONNACK: decide after.
      setTimeout(() => refused(), 0);
      return;
    }
    if (state.since < 0) state.since = state.lastId;
    status(t('reconnecting'));
  });
  const refused = () => {
    if (client !== state.client || state.connected) return;
    btn.disabled = false;
    btn.textContent = t('login.submit');
    client.end(true);
    if (usingToken && failed === 'err.auth') {
      localStorage.removeItem(AUTH_KEY);
      failed = 'err.token';
    }
    showLogin();
    loginError(failed || 'err.network', detail);
  };
  client.on('connect', () => {
    status('');
    state.link++;
    if (state.connected) { resubscribe(); renewToken(); catchUp(); return; }
    state.connected = true;
    state.lastId = 0;
    state.since = -1;
    state.me = user;
    state.remember = remember;
    btn.disabled = false;
    btn.textContent = t('login.submit');
    $('password').value = '';
    client.options.reconnectPeriod = 3000;
    onLoggedIn();
  });
  client.on('message', (topic, payload) => {
    if (client !== state.client) return; // logged out: nothing more is shown
    // MQTT.js acknowledges and reads on only after its handlers return.
    try { onMessage(topic, payload); } catch (e) { console.error('handling', topic, e); }
  });
}

// register creates the account over the HTTP API; the server's answer is
// shown as it is when it refuses.
async function register(username, password, nickname, invite) {
  $('login-error').hidden = true;
  registration.note = '';
  try {
    const r = await fetch('/api/v1/register', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password, nickname, invite }) });
    if (r.status === 201) return true;
    const body = await r.json().catch(() => ({}));
    if (r.status === 202) { // nothing to log in to yet: back to the login form, saying why
      $('nick-row').hidden = true;
      registration.note = 'register.pending';
      $('password').value = '';
      applyLang();
      return false;
    }
    const key = 'err.' + (body.reason || '');
    if (key.startsWith('err.invite_')) registration.inviteAsked = true;
    if (TEXT.en[key]) {
      loginError(key, body.error);
    } else if (r.status === 429) {
      loginError('err.rate', body.error);
    } else {
      loginError('err.network');
      $('login-error').textContent = body.error || r.statusText;
    }
    applyLang();
  } catch (e) {
    loginError('err.network', String(e));
  }
  return false;
}

// resubscribe takes everything in one subscription: the broker checks each
// delivery against the rooms one is in, so a room joined or left (here or
// elsewhere) needs no subscribe or unsubscribe.
function resubscribe() {
  state.client.subscribe('tachikoma/#', { qos: 1 });
}

async function onLoggedIn() {
  $('login-view').hidden = true;
  $('chat-view').hidden = false;
  $('logout').hidden = false;
  resubscribe();
  await renewToken();
  try {
    const p = await request('profile.get', {});
    state.nick = p.nickname || state.me;
  } catch (e) { state.nick = state.me; }
  $('me').textContent = state.nick;
  await refreshLists();
  if (!state.active) open('r:lobby');
  pet.show();
}

// renewToken asks for a fresh resume token, at login and at every
// reconnect (a tab open for weeks outlives one token's 30 days).
async function renewToken() {
  try {
    const client = state.client;
    const tok = await request('auth.token', {});
    if (client !== state.client) return; // logged out meanwhile
    state.token = tok.token;
    // Reconnects log in with the token: the password is not kept anywhere.
    state.client.options.password = tok.token;
    if (state.remember) {
      localStorage.setItem(AUTH_KEY, JSON.stringify({ user: state.me, token: tok.token, expires: tok.expires }));
    }
  } catch (e) { /* the token in use stays */ }
}

// logout clears the page at once; revoke (the Log out button) also asks the
// server to end the page's token, which would otherwise log in for 30 days.
function logout(revoke) {
  localStorage.removeItem(AUTH_KEY);
  const c = state.client;
  state.client = null;
  if (c && revoke === true && state.token && state.connected) {
    revokeThenEnd(c, state.me, state.token);
  } else if (c) {
    c.end(true);
  }
  state.connected = false;
  // Nothing of the account stays in the page (a shared computer).
  Object.assign(state, { me: '', nick: '', token: '', active: '', incoming: [], invites: [] });
  state.convs.clear();
  renderLists();
  renderMessages(false);
  for (const id of ['me', 'conv-title', 'bubble-nick', 'bubble-text']) $(id).textContent = '';
  $('bubble').hidden = true;
  $('input').value = '';
  document.body.classList.remove('in-conversation');
  status('');
  showLogin();
}

// revokeThenEnd sends auth.revoke for tok over c and closes c on the
// answer, or after 5 s without one (the token then lives on).
function revokeThenEnd(c, user, tok) {
  const id = 'revoke-' + Math.random().toString(36).slice(2, 10);
  const timer = setTimeout(() => c.end(true), 5000);
  c.on('message', (topic, payload) => {
    if (topic !== 'tachikoma/users/' + user + '/replies') return;
    let r = {};
    try { r = JSON.parse(payload); } catch (e) { return; }
    if (r.id !== id) return;
    if (r.error) console.warn('auth.revoke', r.error.message);
    clearTimeout(timer);
    c.end(true);
  });
  c.publish('tachikoma/users/' + user + '/requests', JSON.stringify({ id, method: 'auth.revoke', params: { token: tok } }), { qos: 1 });
}

function showLogin() {
  state.connected = false;
  $('chat-view').hidden = true;
  $('logout').hidden = true;
  $('login-view').hidden = false;
  pet.hide();
}

function request(method, params) {
  return new Promise((resolve, reject) => {
    const id = 'w' + (++state.seq);
    const timer = setTimeout(() => { state.replies.delete(id); reject(new Error('timeout')); }, 20000);
    state.replies.set(id, (r) => {
      clearTimeout(timer);
      if (!r.error) return resolve(r.result);
      const err = new Error(r.error.message);
      err.code = r.error.code;
      reject(err);
    });
    state.client.publish('tachikoma/users/' + state.me + '/requests', JSON.stringify({ id, method, params }), { qos: 1 });
  });
}

async function refreshLists() {
  try {
    let rooms;
    for (let i = 0; i < 3; i++) {
      const seq = state.roomSeq;
      rooms = await request('room.list', {});
      if (seq === state.roomSeq) break; // else a join or leave came meanwhile: the answer may predate it
    }
    const member = new Set(['r:lobby']);
    for (const r of rooms.rooms || []) if (r.member) member.add(conv('r:' + r.room, r.title || r.room).key);
    state.invites = (rooms.rooms || []).filter((r) => r.invited && !r.member);
    // A room left from another session, or deleted, goes.
    for (const c of [...state.convs.values()]) {
      if (c.kind === 'room' && !member.has(c.key)) state.convs.delete(c.key);
    }
    if (state.active && !state.convs.has(state.active)) open('r:lobby');
  } catch (e) { conv('r:lobby'); }
  try {
    const fr = await request('friend.list', {});
    state.incoming = fr.incoming || [];
    const friends = new Set();
    for (const f of fr.friends || []) {
      const c = conv('u:' + f.user, f.nickname);
      c.status = f.status || c.status;
      friends.add(c.key);
    }
    // A friend who removed you goes, conversation and all (the desktop's rule).
    for (const c of [...state.convs.values()]) {
      if (c.kind === 'dm' && !friends.has(c.key)) state.convs.delete(c.key);
    }
    if (state.active && !state.convs.has(state.active)) open('r:lobby');
  } catch (e) { /* the list stays as it was */ }
  renderLists();
}

// ---- incoming ----

function parse(payload) {
  try { return JSON.parse(new TextDecoder().decode(payload)); } catch (e) { return null; }
}

function onMessage(topic, payload) {
  const p = topic.split('/');
  if (p[0] !== 'tachikoma') return;
  const m = parse(payload);
  if (p[1] === 'rooms' && p.length === 3 && m) return receive(conv('r:' + p[2]), m);
  if (p[1] === 'presence' && p.length === 3 && m) {
    if (p[2] !== state.me) { conv('u:' + p[2], m.nick).status = m.status; renderLists(); }
    return;
  }
  if (p[1] !== 'users' || p[2] !== state.me) return;
  if (p[3] === 'dm' && p.length === 5 && m) return receive(conv('u:' + p[4]), m);
  if (p[3] === 'replies' && m) {
    const done = state.replies.get(m.id);
    if (done) { state.replies.delete(m.id); done(m); }
    return;
  }
  if (p[3] === 'events' && m) {
    if (m.type === 'notice') status(t('notice') + (m.text || ''), 8000);
    else if (m.type === 'room.joined' && m.room) roomJoined(m.room, m.text);
    else if (m.type === 'room.left' && m.room) roomLeft(m.room);
    else if (m.type && (m.type.startsWith('friend.') || m.type === 'room.invite')) refreshLists();
  }
}

// roomJoined lists a room joined or created by any session of this user
// (this one too), under its title, and reads its newest messages as
// opening it would.
function roomJoined(name, title) {
  state.roomSeq++;
  const c = conv('r:' + name, title);
  state.invites = state.invites.filter((r) => r.room !== name);
  renderLists();
  if (!c.loaded) loadOlder(c);
}

// roomLeft drops a room left by any session of this user; its open
// conversation gives way to the lobby.
function roomLeft(name) {
  state.roomSeq++;
  const key = 'r:' + name;
  if (key === 'r:lobby' || !state.convs.delete(key)) return;
  if (state.active === key) open('r:lobby');
  else renderLists();
}

function receive(c, m) {
  const mine = m.from === state.me;
  const follow = mine || nearEnd();
  if (!take(c, m)) return;
  if (c.key === state.active) renderMessages(follow);
  if (!mine) announce(c, [m]);
}

// take adds a stamped message unless it is known; it reports whether it was new.
function take(c, m) {
  if (typeof m.text !== 'string' || c.byId.has(m.id)) return false;
  if (m.from === state.me && m.cid) {
    const i = c.messages.findIndex((x) => x.cid === m.cid && !x.id);
    if (i >= 0) {
      // The echo fills in the sent copy but only its PUBACK settles it
      // (publish), so a failure that comes after the echo still shows.
      const sent = c.messages.splice(i, 1)[0];
      m = Object.assign(sent, m, { state: sent.state });
    }
  }
  add(c, m);
  return true;
}

// announce tells the user of new messages from others (oldest first).
function announce(c, list) {
  if (c.key !== state.active || document.hidden) { c.unread += list.length; renderLists(); }
  const m = list[list.length - 1];
  const mention = c.kind === 'dm' || list.some((x) => isMention(x.text, state.me, state.nick));
  pet.say(m.nick || m.from, m.text, mention);
  if (document.hidden && window.Notification && Notification.permission === 'granted') {
    const n = new Notification(m.nick || m.from, { body: cut(m.text, 200, ''), tag: c.key });
    n.onclick = () => { window.focus(); open(c.key); n.close(); };
  }
}

// catchUp fetches from history what was said while the connection was
// down: the broker queues nothing for a clean session.
async function catchUp() {
  const link = state.link;
  if (state.since < 0) return;
  try {
    await refreshLists();
    for (const c of [...state.convs.values()]) {
      // Before anything was seen, a conversation's own newest is the mark.
      const mark = state.since || Math.max(0, ...c.byId);
      if (!mark) continue;
      const missed = [];
      let before = 0;
      for (let page = 0; page < CATCH_UP_PAGES && link === state.link; page++) {
        const params = c.kind === 'room' ? { room: c.name } : { peer: c.name };
        params.limit = CATCH_UP_PAGE;
        if (before) params.before = before;
        const list = (await request('history', params)).messages || [];
        const news = list.filter((m) => m.id > mark);
        missed.push(...news);
        if (news.length < CATCH_UP_PAGE) break;
        before = news[news.length - 1].id;
      }
      if (link !== state.link) return;
      const fresh = missed.reverse().filter((m) => take(c, m));
      const others = fresh.filter((m) => m.from !== state.me);
      if (fresh.length && c.key === state.active) renderMessages(nearEnd());
      if (others.length) announce(c, others);
    }
    if (link === state.link) state.since = -1;
  } catch (e) { /* the next reconnect tries again from the same mark */ }
}

// isMention is the desktop chat's rule (petclient/chat.IsMention): "@name"
// standing alone, case ignored; a name ending in CJK may run into the text.
function isMention(text, user, nick) {
  const lower = text.toLowerCase();
  const nameChar = /[\p{L}\p{N}_]/u;
  for (let name of [user, nick]) {
    name = (name || '').trim().toLowerCase();
    if (!name) continue;
    const needle = '@' + name;
    const free = [...name].pop().codePointAt(0) >= 128;
    for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, i + 1)) {
      const before = [...lower.slice(0, i)].pop();
      const after = [...lower.slice(i + needle.length)][0];
      if ((!before || !nameChar.test(before)) && (!after || free || !nameChar.test(after))) return true;
    }
  }
  return false;
}

function add(c, m) {
  if (m.id) {
    c.byId.add(m.id);
    if (!c.oldest || m.id < c.oldest) c.oldest = m.id;
    state.lastId = Math.max(state.lastId, m.id);
  }
  c.messages.push(m);
  c.messages.sort((a, b) => (a.id || Infinity) - (b.id || Infinity) || a.ts - b.ts);
}

// refreshDM reads a DM conversation's newest page again, for what this
// account sent from another tab or device while the broker's copy could
// not reach this one (an older broker copies a DM to its addressee only).
async function refreshDM(c) {
  if (c.kind !== 'dm' || !state.connected) return;
  try {
    const list = (await request('history', { peer: c.name, limit: PAGE })).messages || [];
    const follow = nearEnd();
    if (list.reverse().filter((m) => take(c, m)).length && c.key === state.active) renderMessages(follow, !follow);
  } catch (e) { /* the conversation stays as it was */ }
}

async function loadOlder(c) {
  if (!c.more || c.loading) return;
  c.loading = true;
  const params = c.kind === 'room' ? { room: c.name } : { peer: c.name };
  if (c.oldest) params.before = c.oldest;
  params.limit = PAGE;
  try {
    const r = await request('history', params);
    const list = r.messages || [];
    for (const m of list) if (!c.byId.has(m.id)) add(c, m);
    c.more = list.length === PAGE;
    c.loaded = true;
  } catch (e) {
    status(e.message, 5000);
  } finally {
    c.loading = false;
  }
  if (c.key === state.active) renderMessages(false, true);
}

// ---- sending ----

// send sends text to the open conversation; false leaves it in the input.
function send(text) {
  const c = state.convs.get(state.active);
  if (!c || !text.trim()) return false;
  const n = [...text].length;
  if (n > MAX_TEXT) {
    status(t('err.tooLong').replace('{n}', n).replace('{max}', MAX_TEXT), 6000);
    return false;
  }
  const m = { cid: 'web-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8),
    from: state.me, nick: state.nick, text, ts: Date.now(), state: 'pending' };
  c.messages.push(m);
  publish(c, m);
  renderMessages(true);
  return true;
}

function publish(c, m) {
  m.state = 'pending';
  const timer = setTimeout(() => { if (m.state === 'pending') { m.state = 'failed'; renderMessages(false); } }, SEND_TIMEOUT);
  const settle = (ok) => {
    m.state = ok ? '' : 'failed';
    if (c.key === state.active) renderMessages(false);
  };
  state.client.publish(sendTopic(c), JSON.stringify({ text: m.text, cid: m.cid }), { qos: 1 }, (err) => {
    clearTimeout(timer);
    if (err || m.id) return settle(!err);
    // A refused message is acknowledged too (docs/PROTOCOL.md): without its
    // echo (the broker's copy, not here yet), only history shows whether it was taken.
    stamped(c, m).then(settle);
  });
}

// stamped looks for the broker's copy of a sent message in the newest
// history and fills it in. History refused (no longer friends, or out of
// the room) means the message was too; unable to ask, it trusts the PUBACK.
async function stamped(c, m) {
  const params = c.kind === 'room' ? { room: c.name } : { peer: c.name };
  params.limit = 50;
  try {
    const copy = ((await request('history', params)).messages || []).find((x) => x.cid === m.cid && x.from === state.me);
    if (copy) take(c, copy);
    return !!copy || !!m.id;
  } catch (e) {
    return !e.code;
  }
}

// ---- rendering ----

// cut shortens text to n characters (code points, so never half an emoji).
function cut(text, n, more = '…') {
  const chars = [...text];
  return chars.length > n ? chars.slice(0, n).join('') + more : text;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderLists() {
  const rooms = [], friends = [];
  for (const c of state.convs.values()) (c.kind === 'room' ? rooms : friends).push(c);
  const item = (c) => {
    const li = el('li', c.key === state.active ? 'active' : '');
    const b = el('button', 'conv');
    b.type = 'button';
    b.dataset.key = c.key;
    if (c.kind === 'dm') b.append(el('span', 'dot ' + (c.status === 'online' ? 'on' : 'off')));
    b.append(el('span', 'name', c.kind === 'room' ? '# ' + c.title : c.title));
    if (c.kind === 'dm' && c.status) b.append(el('span', 'presence', t(c.status === 'online' ? 'online' : 'offline')));
    if (c.unread) b.append(el('span', 'badge', String(c.unread)));
    b.addEventListener('click', () => open(c.key));
    li.append(b);
    return li;
  };
  $('rooms').replaceChildren(...rooms.map(item));
  $('friends').replaceChildren(...friends.map(item));
  $('requests').replaceChildren(...state.incoming.map((p) => {
    const li = el('li');
    li.dataset.user = p.user;
    li.append(el('span', 'name', (p.nickname || p.user) + t('friend.wants')));
    for (const [key, method] of [['accept', 'friend.accept'], ['decline', 'friend.decline']]) {
      const b = el('button', key, t(key));
      b.type = 'button';
      b.addEventListener('click', () => act(method, { user: p.user }));
      li.append(b);
    }
    return li;
  }), ...state.invites.map((r) => {
    const li = el('li');
    li.dataset.room = r.room;
    li.append(el('span', 'name', r.owner + t('room.invites') + '# ' + (r.title || r.room)));
    const b = el('button', 'accept', t('room.join'));
    b.type = 'button';
    b.addEventListener('click', () => joinRoom(r.room));
    li.append(b);
    return li;
  }));
}

// act makes a request that changes the lists, then shows the new lists.
async function act(method, params) {
  try {
    await request(method, params);
  } catch (e) {
    status(e.message, 6000);
    return false;
  }
  await refreshLists();
  return true;
}

async function joinRoom(name) {
  try {
    await request('room.join', { room: name });
  } catch (e) {
    // No such room yet: make it; the maker owns it.
    if (e.code !== 404) { status(e.message, 6000); return; }
    if (!(await act('room.create', { room: name }))) return;
  }
  await refreshLists();
  open('r:' + name);
}

function open(key) {
  const c = state.convs.get(key) || conv(key);
  state.active = key;
  c.unread = 0;
  document.body.classList.add('in-conversation');
  $('conv-title').textContent = c.kind === 'room' ? '# ' + c.title : c.title;
  $('invite-form').hidden = c.kind !== 'room' || c.name === 'lobby';
  renderLists();
  renderMessages(true);
  if (!c.loaded) loadOlder(c).then(() => { if (state.active === key) scrollToEnd(); });
  else refreshDM(c);
  // On a touch screen focus would raise the keyboard over what one came to read.
  if (!matchMedia('(pointer: coarse)').matches) $('input').focus();
}

// One formatter per language: making one per message (toLocaleString)
// was most of the cost of rendering a long conversation.
const timeFormats = new Map();
function timeText(ts) {
  const locale = lang === 'zh' ? 'zh-CN' : 'en';
  if (!timeFormats.has(locale)) {
    timeFormats.set(locale, new Intl.DateTimeFormat(locale, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }));
  }
  return timeFormats.get(locale).format(ts);
}

function scrollToEnd() { const box = $('messages'); box.scrollTop = box.scrollHeight; }
// nearEnd: the reader is at the newest messages (so a new one scrolls into view).
function nearEnd() { const box = $('messages'); return box.scrollHeight - box.scrollTop - box.clientHeight < 60; }

// rendered keeps each message's element and what it shows, so that a new
// message adds one element instead of rebuilding a long conversation.
const rendered = new WeakMap();

function messageItem(c, m) {
  const shows = [m.from === state.me, m.state, m.nick || m.from, m.ts, m.text, lang].join('\u0000');
  const known = rendered.get(m);
  if (known && known.shows === shows) return known.li;
  const li = el('li', 'msg' + (m.from === state.me ? ' mine' : '') + (m.state ? ' ' + m.state : ''));
  const meta = el('div', 'meta');
  meta.append(el('span', 'nick', m.nick || m.from), el('time', 'ts', timeText(m.ts)));
  li.append(meta, el('div', 'text', m.text));
  if (m.state) {
    const s = el('div', 'state', t(m.state));
    if (m.state === 'failed') {
      const r = el('button', 'retry', t('retry'));
      r.type = 'button';
      r.addEventListener('click', () => { publish(c, m); renderMessages(false); });
      s.append(' ', r);
    }
    li.append(s);
  }
  rendered.set(m, { li, shows });
  return li;
}

function renderMessages(toEnd, keepPlace) {
  const c = state.convs.get(state.active);
  const list = $('message-list');
  if (!c) { list.replaceChildren(); return; }
  const box = $('messages');
  const fromBottom = box.scrollHeight - box.scrollTop;
  const items = c.messages.map((m) => messageItem(c, m));
  if (!items.length && c.loaded) items.push(el('li', 'empty', t('none')));
  // Move only what changed: the elements in place stay untouched.
  let at = list.firstChild;
  for (const item of items) {
    if (item === at) at = at.nextSibling;
    else list.insertBefore(item, at);
  }
  while (at) { const next = at.nextSibling; at.remove(); at = next; }
  $('older').hidden = !c.more || !c.loaded;
  if (toEnd) scrollToEnd();
  else if (keepPlace) box.scrollTop = box.scrollHeight - fromBottom;
}

let statusTimer = 0;
function status(text, ms) {
  const s = $('status');
  s.textContent = text;
  s.hidden = !text;
  clearTimeout(statusTimer);
  if (text && ms) statusTimer = setTimeout(() => { s.hidden = true; }, ms);
}

// ---- the pet ----

const pet = {
  anims: null, x: 40, dir: 1, anim: 'stand', frame: 0, action: 'stand', actionEnds: 0,
  dragging: false, timer: 0, last: 0, bubbleTimer: 0,

  async load() {
    try {
      const r = await fetch(STATIC + '/pet/pet.json');
      this.anims = await r.json();
    } catch (e) { this.anims = null; }
  },
  show() {
    if (!this.anims) return;
    $('pet').hidden = false;
    if (!this.timer) { this.play('stand'); this.last = performance.now(); requestAnimationFrame((t) => this.step(t)); }
  },
  hide() { $('pet').hidden = true; },
  play(name) {
    this.anim = name;
    this.frame = 0;
    this.show_frame();
  },
  show_frame() {
    const a = this.anims[this.anim];
    const f = a.frames[this.frame];
    $('pet-img').src = STATIC + '/pet/' + f.image;
    $('pet').dataset.anim = this.anim;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.frame + 1 < a.frames.length) this.frame++;
      else if (a.loop) this.frame = 0;
      else return this.done();
      this.show_frame();
    }, f.ms);
  },
  done() {
    if (this.anim === 'jump') this.choose();
  },
  choose() {
    if (this.dragging) return;
    const r = Math.random();
    const [action, secs] = r < 0.45 ? ['walk', 4 + Math.random() * 6] : r < 0.7 ? ['stand', 3 + Math.random() * 3]
      : r < 0.9 ? ['sit', 5 + Math.random() * 6] : ['sleep', 8 + Math.random() * 10];
    if (action === 'walk' && Math.random() < 0.4) this.dir = -this.dir;
    this.action = action;
    this.actionEnds = performance.now() + secs * 1000;
    this.play(action);
  },
  step(now) {
    const dt = Math.min(0.1, (now - this.last) / 1000);
    this.last = now;
    const width = $('pet').offsetWidth || 120;
    const maxX = Math.max(0, window.innerWidth - width);
    if (this.action === 'walk' && !this.dragging) {
      this.x += this.dir * 45 * dt;
      if (this.x <= 0 || this.x >= maxX) { this.dir = this.x <= 0 ? 1 : -1; }
    }
    this.x = Math.min(Math.max(this.x, 0), maxX);
    const p = $('pet');
    p.style.setProperty('--x', this.x + 'px');
    p.classList.toggle('left', this.dir < 0);
    p.classList.toggle('right-half', this.x + width / 2 > window.innerWidth / 2);
    if (!this.dragging && this.action !== 'jump' && now > this.actionEnds) this.choose();
    requestAnimationFrame((t) => this.step(t));
  },
  jump() {
    if (this.dragging) return;
    this.action = 'jump';
    this.actionEnds = performance.now() + 1500;
    const p = $('pet');
    p.classList.remove('jumping');
    void p.offsetWidth; // restart the CSS animation
    p.classList.add('jumping');
    this.play('jump');
  },
  say(nick, text, jump) {
    if ($('pet').hidden) return;
    $('bubble-nick').textContent = nick;
    $('bubble-text').textContent = cut(text, 140);
    $('bubble').hidden = false;
    clearTimeout(this.bubbleTimer);
    this.bubbleTimer = setTimeout(() => { $('bubble').hidden = true; }, 5000 + Math.min(text.length, 140) * 60);
    if (jump) this.jump();
    else if (this.action === 'sleep') this.choose();
  },
  drag() {
    const img = $('pet-img');
    const p = $('pet');
    let dx = 0;
    img.addEventListener('pointerdown', (e) => {
      this.dragging = true;
      dx = e.clientX - this.x;
      img.setPointerCapture(e.pointerId);
      p.classList.add('dragged');
      this.play('drag');
    });
    img.addEventListener('pointermove', (e) => {
      if (!this.dragging) return;
      this.x = e.clientX - dx;
      p.style.setProperty('--lift', Math.max(0, window.innerHeight - e.clientY - 40) + 'px');
    });
    const drop = () => {
      if (!this.dragging) return;
      this.dragging = false;
      p.classList.remove('dragged');
      p.style.setProperty('--lift', '0px');
      this.choose();
    };
    img.addEventListener('pointerup', drop);
    img.addEventListener('pointercancel', drop);
  },
};

// ---- wiring ----

function init() {
  for (const input of document.querySelectorAll('[data-rule]')) {
    input.addEventListener('input', () => checkName(input));
    input.addEventListener('invalid', () => checkName(input));
  }
  applyLang();
  $('lang').addEventListener('change', (e) => { lang = e.target.value; localStorage.setItem(LANG_KEY, lang); applyLang(); });
  $('mode').addEventListener('click', () => {
    $('nick-row').hidden = !$('nick-row').hidden;
    $('login-error').hidden = true;
    registration.note = '';
    applyLang();
  });
  fetchServerInfo();
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (window.Notification && Notification.permission === 'default') Notification.requestPermission();
    const user = $('username').value.trim();
    if (!$('nick-row').hidden &&
      !(await register(user, $('password').value, $('nickname').value.trim(), $('invite-code').value.trim()))) return;
    connect(user, $('password').value, $('remember').checked, false);
  });
  $('logout').addEventListener('click', () => logout(true));
  $('send-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (send($('input').value)) $('input').value = '';
  });
  $('input').addEventListener('keydown', (e) => {
    // Safari ends the composition before the Enter that picked the IME's
    // candidate and marks that Enter only with keyCode 229.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      $('send-form').requestSubmit();
    }
  });
  $('add-friend').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('friend-name').value.trim();
    if (await act('friend.request', { user: name })) { status(t('friend.sent') + name, 4000); $('friend-name').value = ''; }
  });
  $('invite-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const c = state.convs.get(state.active);
    const user = $('invite-name').value.trim();
    if (c && await act('room.invite', { room: c.name, user })) { status(t('room.invited') + user, 4000); $('invite-name').value = ''; }
  });
  $('join-room').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('room-name').value.trim();
    $('room-name').value = '';
    joinRoom(name);
  });
  $('older').addEventListener('click', () => { const c = state.convs.get(state.active); if (c) loadOlder(c); });
  $('messages').addEventListener('scroll', () => {
    const c = state.convs.get(state.active);
    if (c && c.loaded && $('messages').scrollTop < 40) loadOlder(c);
  });
  $('back').addEventListener('click', () => document.body.classList.remove('in-conversation'));
  document.addEventListener('visibilitychange', () => {
    const c = state.convs.get(state.active);
    if (!document.hidden && c && c.unread) { c.unread = 0; renderLists(); }
    if (!document.hidden && c && c.loaded) refreshDM(c);
    // A room deleted sends this session nothing (a room left elsewhere
    // does, room.left): coming back to the tab reads the lists again.
    if (!document.hidden && state.connected) refreshLists();
  });
  // Unsent messages live only in this page: leaving it asks first.
  window.addEventListener('beforeunload', (e) => {
    for (const c of state.convs.values()) {
      if (c.messages.some((m) => m.state)) { e.preventDefault(); e.returnValue = ''; return; }
    }
  });
  pet.drag();
  pet.load().then(() => { if (state.connected) pet.show(); });
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(AUTH_KEY) || 'null'); } catch (e) { saved = null; }
  if (saved && saved.user && saved.token && (!saved.expires || saved.expires > Date.now())) {
    $('username').value = saved.user;
    $('remember').checked = true;
    connect(saved.user, saved.token, true, true);
  }
}

init();
