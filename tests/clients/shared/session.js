// What the client scenarios of every matrix-js-sdk version share; the sdk comes from the caller's own node_modules.
export const baseUrl = process.env.HOMESERVER_URL ?? "http://127.0.0.1:8008";

export function unique(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Registers `username` (UIA: first call answers 401 with a session, the second completes m.login.dummy) on `url`. */
export async function register(sdk, username, password, url = baseUrl) {
  const anonymous = sdk.createClient({ baseUrl: url });
  let session;
  try {
    await anonymous.registerRequest({ username, password });
    throw new Error("registration without auth should have asked for user-interactive auth");
  } catch (e) {
    if (e.httpStatus !== 401) throw e;
    session = e.data.session;
  }
  return anonymous.registerRequest({ username, password, auth: { type: "m.login.dummy", session } });
}

/** Logs in with the password and returns a started, PREPARED client (of the homeserver at `url`). */
export async function loginAndStart(sdk, username, password, { crypto = false, url = baseUrl } = {}) {
  const anonymous = sdk.createClient({ baseUrl: url });
  const login = await anonymous.loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: username },
    password,
  });
  const client = sdk.createClient({
    baseUrl: url,
    accessToken: login.access_token,
    userId: login.user_id,
    deviceId: login.device_id,
  });
  if (crypto) await client.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise((resolve, reject) => {
    client.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
      if (state === "PREPARED") resolve();
      if (state === "ERROR") reject(data?.error ?? new Error("sync error"));
    });
  });
  await client.startClient({ initialSyncLimit: 20 });
  await withTimeout(prepared, 30_000, `${username} never reached PREPARED`);
  return client;
}

export function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); }),
  ]);
}
