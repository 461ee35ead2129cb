// Security keys and passkeys: the browser's WebAuthn calls, with the server's options and answers in
// their JSON form (WebAuthn Level 3). Browsers without parse…FromJSON / toJSON get the same by hand.
import { request } from "./api.js";
import { problem } from "./ui.js";

/** A failure the user can act on: { message, code } like the server's errors. */
export class KeyError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const UNSUPPORTED =
  "This browser cannot use security keys or passkeys. Use a current Chrome, Edge, Firefox or Safari, or another method.";

/** Whether this browser can use security keys at all (a secure context with WebAuthn). */
export function keysSupported() {
  return Boolean(
    window.isSecureContext && window.PublicKeyCredential && navigator.credentials && navigator.credentials.create
  );
}

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
}

function toBase64url(buffer) {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const withIds = (list) => (list || []).map((c) => ({ ...c, id: fromBase64url(c.id) }));

/** The server's options as an object (a JSON scalar may arrive as text). */
function options(value) {
  return typeof value === "string" ? JSON.parse(value) : value;
}

function creationOptions(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  };
}

function requestOptions(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return { ...json, challenge: fromBase64url(json.challenge), allowCredentials: withIds(json.allowCredentials) };
}

/** PublicKeyCredential.toJSON(), or the same fields encoded here where the browser lacks it. */
function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const r = credential.response;
  const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toBase64url(r.attestationObject);
    response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  } else {
    response.authenticatorData = toBase64url(r.authenticatorData);
    response.signature = toBase64url(r.signature);
    if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
  }
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response,
  };
}

/** The browser's error as something the user can act on. */
function explain(failure, creating) {
  const name = failure && failure.name;
  if (name === "NotAllowedError" || name === "AbortError") {
    return new KeyError(
      creating
        ? "The security key prompt was cancelled or timed out. Nothing was added. Try again when your key is ready."
        : "The security key prompt was cancelled or timed out, or this key is not one of yours. Try again, or use another way.",
      "KEY_CANCELLED"
    );
  }
  if (name === "InvalidStateError") {
    return new KeyError("This security key is already registered to your account. Use another key.", "KEY_REGISTERED");
  }
  if (name === "SecurityError") {
    return new KeyError(
      "Security keys do not work at this page's address. Ask your administrator to check the server's WebAuthn settings.",
      "KEY_ORIGIN"
    );
  }
  if (name === "NotSupportedError") {
    return new KeyError("This device or browser cannot create the kind of key asked for. Try another key.", "KEY_UNSUPPORTED");
  }
  return new KeyError(`The security key did not answer: ${(failure && failure.message) || failure}.`, "KEY_FAILED");
}

/** Creates a credential for the server's creation options; resolves to its JSON form. */
export async function createKey(json) {
  if (!keysSupported()) throw new KeyError(UNSUPPORTED, "KEY_UNSUPPORTED");
  let credential;
  try {
    credential = await navigator.credentials.create({ publicKey: creationOptions(options(json)) });
  } catch (failure) {
    throw explain(failure, true);
  }
  if (!credential) throw new KeyError("The browser gave no credential. Try again.", "KEY_FAILED");
  return credentialJSON(credential);
}

/** Signs the server's request options with one of the user's keys; resolves to the assertion's JSON form. */
export async function useKey(json) {
  if (!keysSupported()) throw new KeyError(UNSUPPORTED, "KEY_UNSUPPORTED");
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey: requestOptions(options(json)) });
  } catch (failure) {
    throw explain(failure, false);
  }
  if (!credential) throw new KeyError("The browser gave no credential. Try again.", "KEY_FAILED");
  return credentialJSON(credential);
}

/**
 * Proves a second factor with one of the user's keys: request options from the server, the browser's
 * prompt, then the assertion back. At the sign-in challenge this completes the sign-in; signed in, it
 * makes the session's second factor fresh. Resolves to { payload } or { error } (never throws).
 */
export async function proveWithKey() {
  try {
    const options = (await request("securityKeyOptions")).securityKeyOptions;
    if (options.error) return { error: problem(options.error) };
    const credential = await useKey(options.requestOptions);
    const payload = (await request("verifyLoginWithSecurityKey", { credential })).verifyLoginWithSecurityKey;
    return payload.error ? { error: problem(payload.error) } : { payload };
  } catch (failure) {
    return { error: problem(failure) };
  }
}
