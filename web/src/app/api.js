// The GraphQL documents this client sends (the ones any third-party SPA would send) and the two
// ways it sends them: HTTP with the session cookie, and graphql-transport-ws for live status.
import { createClient } from "graphql-ws";

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const ERROR = "error { code message field retryAfterSeconds attemptsLeft }";
const AUTHENTICATOR = "id name method email createdAt lastUsedAt securityKey { synced backedUp aaguid suspendedAt }";
const SETUP = `id method status name email expiresAt attemptsLeft resendAvailableAt`;
const MY_TWO_FACTOR = `enabled mandatory setupRequired availableMethods recoveryCodesRemaining
  authenticators { ${AUTHENTICATOR} }`;

export const DOCUMENTS = {
  session: `query Session {
    session { nextStep expiresAt user { id email name isAdmin } authenticators { id name method } }
  }`,
  login: `mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      session { nextStep user { id email name isAdmin } }
      authenticators { id name method }
      ${ERROR}
    }
  }`,
  logout: `mutation Logout { logout { ok } }`,
  sendLoginCode: `mutation SendLoginCode($id: ID!) {
    sendLoginCode(authenticatorId: $id) { expiresAt resendAvailableAt ${ERROR} }
  }`,
  verifyLogin: `mutation VerifyLogin($id: ID!, $code: String!) {
    verifyLogin(authenticatorId: $id, code: $code) { session { nextStep user { id email name isAdmin } } ${ERROR} }
  }`,
  securityKeyOptions: `mutation SecurityKeyOptions {
    securityKeyOptions { requestOptions expiresAt ${ERROR} }
  }`,
  verifyLoginWithSecurityKey: `mutation VerifyLoginWithSecurityKey($credential: JSON!) {
    verifyLoginWithSecurityKey(credential: $credential) { session { nextStep user { id email name isAdmin } } ${ERROR} }
  }`,
  verifyRecoveryCode: `mutation VerifyRecoveryCode($code: String!) {
    verifyLoginWithRecoveryCode(code: $code) { session { nextStep user { id email name isAdmin } } ${ERROR} }
  }`,
  myTwoFactor: `query MyTwoFactor { myTwoFactor { ${MY_TWO_FACTOR} } }`,
  setUpEmail: `mutation SetUpEmail($name: String!, $code: String) {
    myTwoFactor { setUpEmail(name: $name, code: $code) { setup { ${SETUP} } ${ERROR} } }
  }`,
  setUpApp: `mutation SetUpApp($code: String) {
    myTwoFactor { setUpApp(code: $code) {
      setup { ${SETUP} app { setupKey otpauthUri qrCodePng digits period } } ${ERROR}
    } }
  }`,
  setUpSecurityKey: `mutation SetUpSecurityKey($name: String!, $code: String) {
    myTwoFactor { setUpSecurityKey(name: $name, code: $code) {
      setup { ${SETUP} securityKey { creationOptions } } ${ERROR}
    } }
  }`,
  submitSecurityKey: `mutation SubmitSecurityKey($setupId: ID!, $credential: JSON!, $name: String) {
    myTwoFactor { submitSecurityKey(setupId: $setupId, credential: $credential, name: $name) {
      authenticator { ${AUTHENTICATOR} } message recoveryCodes setup { ${SETUP} } ${ERROR}
    } }
  }`,
  resendCode: `mutation ResendCode($setupId: ID!) {
    myTwoFactor { resendCode(setupId: $setupId) { setup { ${SETUP} } ${ERROR} } }
  }`,
  submitCode: `mutation SubmitCode($setupId: ID!, $code: String!, $name: String) {
    myTwoFactor { submitCode(setupId: $setupId, code: $code, name: $name) {
      authenticator { ${AUTHENTICATOR} } message recoveryCodes setup { ${SETUP} } ${ERROR}
    } }
  }`,
  cancelSetup: `mutation CancelSetup($setupId: ID!) {
    myTwoFactor { cancelSetup(setupId: $setupId) { setup { id status } ${ERROR} } }
  }`,
  edit: `mutation Edit($id: ID!, $name: String!) {
    myTwoFactor { edit(id: $id, name: $name) { authenticator { ${AUTHENTICATOR} } ${ERROR} } }
  }`,
  remove: `mutation Remove($id: ID!, $code: String) {
    myTwoFactor { remove(id: $id, code: $code) { removedId ${ERROR} } }
  }`,
  regenerate: `mutation RegenerateRecoveryCodes($code: String) {
    myTwoFactor { regenerateRecoveryCodes(code: $code) { recoveryCodes ${ERROR} } }
  }`,
  mySessions: `query MySessions { mySessions { id device ip createdAt lastSeenAt current nextStep } }`,
  endSession: `mutation EndSession($id: ID!) { endSession(id: $id) { endedIds ${ERROR} } }`,
  endOtherSessions: `mutation EndOtherSessions { endOtherSessions { endedIds ${ERROR} } }`,
  verification: `subscription Verification($setupId: ID!) {
    myTwoFactorVerification(setupId: $setupId) { ${SETUP} }
  }`,
  changed: `subscription Changed { myTwoFactorChanged { ${MY_TWO_FACTOR} } }`,
  policy: `query Policy { twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled } }`,
  setPolicy: `mutation SetPolicy($input: TwoFactorPolicyInput!) {
    admin { setTwoFactorPolicy(input: $input) { policy { mandatory enabledMethods recoveryCodesEnabled } ${ERROR} } }
  }`,
  userByEmail: `query UserByEmail($email: String!) { admin { user(email: $email) { id email name isAdmin } } }`,
  resetUser: `mutation ResetUser($userId: ID!, $code: String) {
    admin { resetUserTwoFactor(userId: $userId, code: $code) { user { id email } ${ERROR} } }
  }`,
  auditEvents: `query AuditEvents($after: String) {
    admin { auditEvents(first: 20, after: $after) {
      events { id action createdAt actorId targetId ip details } nextCursor
    } }
  }`,
};

/** Runs one document over HTTP; the session travels in the HttpOnly cookie the server set. */
export async function request(name, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: DOCUMENTS[name], variables }),
    });
  } catch {
    throw new ApiError("The server cannot be reached. Check your connection and try again.", "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status}. Try again shortly.`, "SERVER");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = (first.extensions && first.extensions.code) || "SERVER";
    throw new ApiError(first.message, code);
  }
  return body.data;
}

let socket = null;

function liveClient() {
  if (socket === null) {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = createClient({
      url: scheme + window.location.host + "/graphql",
      lazy: true,
      retryAttempts: 5,
      // A socket the server closed because the session ended must not come back.
      shouldRetry: (event) => !(event && typeof event.code === "number" && event.code >= 4400 && event.code < 4500),
    });
  }
  return socket;
}

/** Subscribes to a live document; returns the function that stops it. */
export function subscribe(name, variables, onData, onEnd) {
  return liveClient().subscribe(
    { query: DOCUMENTS[name], variables },
    {
      next: (result) => {
        if (result.data) onData(result.data);
      },
      error: () => onEnd && onEnd(),
      complete: () => onEnd && onEnd(),
    }
  );
}

/** Closes the live connection (after sign-out: the next one authenticates anew). */
export function closeLive() {
  if (socket !== null) {
    socket.dispose();
    socket = null;
  }
}
