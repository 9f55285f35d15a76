// The owner's credentials in IndexedDB: owner id, the 32-byte owner secret, the device token.

const DB = "hiloop";
const STORE = "kv";
const KEY = "owner";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req?.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

/** {ownerId, secret: Uint8Array, deviceToken} or null. */
export async function loadOwner() {
  const v = await tx("readonly", (s) => s.get(KEY));
  if (!v || typeof v.ownerId !== "string" || !(v.secret instanceof Uint8Array) || typeof v.deviceToken !== "string") return null;
  return v;
}

export function saveOwner({ ownerId, secret, deviceToken }) {
  return tx("readwrite", (s) => s.put({ ownerId, secret, deviceToken, savedAt: new Date().toISOString() }, KEY));
}

export function forgetOwner() {
  forgetLocal();
  return tx("readwrite", (s) => s.delete(KEY));
}

/** localStorage holds only small hints under "hiloop:" (the event cursor, the inbox's length). */
function forgetLocal() {
  try {
    for (const key of Object.keys(localStorage)) if (key.startsWith("hiloop:")) localStorage.removeItem(key);
  } catch {
    // storage disabled: nothing was kept
  }
}
