// "Your 2FA": the user's authenticators, setting up a new one (email, app, security key), recovery
// codes, live changes.
import { useEffect, useRef, useState } from "preact/hooks";
import { request, subscribe } from "./api.js";
import {
  CODE_INPUT, ErrorMessage, Field, formatDate, html, methodLabel, problem, useFocusOnMount, useSecondsLeft,
} from "./ui.js";
import { createKey, keysSupported, proveWithKey } from "./webauthn.js";

/** Runs a payload-returning document; resolves to { payload } or { error }. */
async function attempt(name, variables, pick) {
  try {
    const payload = pick(await request(name, variables));
    return payload.error ? { error: problem(payload.error) } : { payload };
  } catch (failure) {
    return { error: problem(failure) };
  }
}

const my = (field) => (data) => data.myTwoFactor[field];

export function YourTwoFactor({ user, step, live, arrived, onSessionChanged }) {
  const [data, setData] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [adding, setAdding] = useState(null);
  const [recoveryCodes, setRecoveryCodes] = useState(null);
  const [notice, setNotice] = useState(null);
  // Where the focus goes once a set-up or the recovery codes close (their buttons are gone with them):
  // focusNext finds it after the next render, which may be the one that makes it.
  const openers = useRef({});
  const authenticatorsHeading = useRef(null);
  const focusNext = useRef(null);
  useEffect(() => {
    const target = focusNext.current && focusNext.current();
    if (target) {
      focusNext.current = null;
      target.focus();
    }
  });

  function open(method) {
    setNotice(null);
    setAdding(method);
  }

  /** Closes the set-up; the focus returns to the button that opened it. */
  function close() {
    const method = adding;
    // The button comes back with the list of methods, after this render: looked up then.
    focusNext.current = () => openers.current[method];
    setAdding(null);
  }

  async function load() {
    try {
      setData((await request("myTwoFactor")).myTwoFactor);
      setLoadError(null);
    } catch (failure) {
      if (failure.code === "FORBIDDEN" || failure.code === "UNAUTHENTICATED") onSessionChanged();
      else setLoadError(problem(failure));
    }
  }

  // Reached by signing in, the page's heading takes the focus from the form that is gone, once.
  const title = useRef(null);
  const titled = useRef(!arrived);
  useEffect(() => {
    if (!titled.current && title.current) {
      titled.current = true;
      title.current.focus();
    }
  }, [data]);

  // Read again after the live connection came back: changes made meanwhile were not pushed.
  useEffect(() => {
    load();
  }, [live]);

  useEffect(() => {
    // Changes made on another device or tab arrive without a reload; the subscription ends
    // when this session does (or must pass the challenge first). A set-up-only session has none.
    if (step !== "DONE") return undefined;
    return subscribe("changed", {}, (pushed) => setData(pushed.myTwoFactorChanged), onSessionChanged);
  }, [step, live]);

  if (data === null) {
    return loadError
      ? html`<section class="card"><${ErrorMessage} error=${loadError} />
          <button type="button" onClick=${load}>Try again</button></section>`
      : html`<p role="status">Loading…</p>`;
  }

  function created(result) {
    close();
    setNotice(result.message);
    // Recovery codes take the focus themselves (they must be saved first).
    if (result.recoveryCodes) {
      focusNext.current = null;
      setRecoveryCodes(result.recoveryCodes);
    }
    load();
    // A set-up-only sign-in is a full session now: the page follows it (live changes, sessions).
    if (step !== "DONE") onSessionChanged();
  }

  return html`<section class="card" aria-labelledby="your-2fa-title">
    <h1 id="your-2fa-title" tabindex="-1" ref=${title}>Your 2FA</h1>
    <${ErrorMessage} error=${loadError} />
    <p>
      ${data.enabled ? "Two-factor authentication is on." : "Two-factor authentication is off."}
      ${data.mandatory ? " Your administrators require it." : ""}
    </p>
    ${data.setupRequired
      ? html`<p class="notice" role="status">Set up two-factor authentication to continue using your account.</p>`
      : null}
    ${notice ? html`<p class="success" role="status">${notice}</p>` : null}
    ${recoveryCodes
      ? html`<${RecoveryCodes} codes=${recoveryCodes}
          onDone=${() => { focusNext.current = () => authenticatorsHeading.current; setRecoveryCodes(null); }} />`
      : null}

    <h2 tabindex="-1" ref=${authenticatorsHeading}>Authenticators</h2>
    ${data.authenticators.length
      ? html`<ul class="authenticators" aria-label="Your authenticators">
          ${data.authenticators.map(
            (a) => html`<${AuthenticatorRow} key=${a.id} authenticator=${a} all=${data.authenticators}
              onChanged=${load} onNotice=${setNotice} />`
          )}
        </ul>`
      : html`<p class="muted">No authenticators yet.</p>`}

    <h2>Add an authenticator</h2>
    ${adding === null
      ? html`<div class="row">
          ${data.availableMethods.includes("EMAIL")
            ? html`<button type="button" ref=${(b) => { openers.current.EMAIL = b; }} onClick=${() => open("EMAIL")}>Email Authentication</button>`
            : null}
          ${data.availableMethods.includes("APP")
            ? html`<button type="button" ref=${(b) => { openers.current.APP = b; }} onClick=${() => open("APP")}>Authenticator App</button>`
            : null}
          ${data.availableMethods.includes("SECURITY_KEY")
            ? html`<button type="button" ref=${(b) => { openers.current.SECURITY_KEY = b; }} onClick=${() => open("SECURITY_KEY")}>Security Key or Passkey</button>`
            : null}
          ${data.availableMethods.length === 0 ? html`<p class="muted">Your administrators have turned off every method.</p>` : null}
        </div>`
      : adding === "EMAIL"
        ? html`<${EmailSetup} user=${user} authenticators=${data.authenticators} onCreated=${created} onCancel=${close} />`
        : adding === "APP"
          ? html`<${AppSetup} authenticators=${data.authenticators} onCreated=${created} onCancel=${close} />`
          : html`<${SecurityKeySetup} authenticators=${data.authenticators} onCreated=${created} onCancel=${close} />`}

    ${data.enabled
      ? html`<h2>Recovery codes</h2>
        <p>${data.recoveryCodesRemaining} unused recovery ${data.recoveryCodesRemaining === 1 ? "code" : "codes"} left.</p>
        <${Regenerate} authenticators=${data.authenticators} onCodes=${(codes) => { setRecoveryCodes(codes); load(); }} />`
      : null}
    ${step === "DONE" ? html`<${Sessions} />` : null}
  </section>`;
}

/** The devices signed in to the account, each of which can be signed out from here. */
function Sessions() {
  const [sessions, setSessions] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);

  async function load() {
    try {
      setSessions((await request("mySessions")).mySessions);
    } catch (failure) {
      setError(problem(failure));
    }
  }
  useEffect(() => { load(); }, []);

  async function end(name, variables, pick) {
    const result = await attempt(name, variables, pick);
    if (result.error) setError(result.error);
    else {
      setError(null);
      const count = result.payload.endedIds.length;
      setNotice(count === 1 ? "The device was signed out." : `${count} devices were signed out.`);
      load();
    }
  }

  if (sessions === null) return html`<${ErrorMessage} error=${error} />`;
  const others = sessions.filter((s) => !s.current);
  return html`<h2>Where you are signed in</h2>
    ${notice ? html`<p class="success" role="status">${notice}</p>` : null}
    <ul class="authenticators sessions" aria-label="Your sessions">
      ${sessions.map((s) => html`<li class="authenticator" key=${s.id}>
        <div class="details">
          <strong>${s.device}${s.current ? html` <span class="badge">This device</span>` : null}</strong>
          <span class="muted">${s.ip || "Unknown address"} · Signed in ${formatDate(s.createdAt)} · Last seen ${formatDate(s.lastSeenAt)}</span>
          ${s.nextStep !== "DONE" ? html`<span class="muted">Still signing in</span>` : null}
        </div>
        ${s.current ? null : html`<div class="row actions">
          <button type="button" onClick=${() => end("endSession", { id: s.id }, (d) => d.endSession)}
            aria-label=${`Sign out ${s.device}, signed in ${formatDate(s.createdAt)}`}>Sign out</button>
        </div>`}
      </li>`)}
    </ul>
    <${ErrorMessage} error=${error} />
    ${others.length
      ? html`<button type="button" onClick=${() => end("endOtherSessions", {}, (d) => d.endOtherSessions)}>Sign out all other devices</button>`
      : null}`;
}

/** A security key that can still prove a factor (a suspended one cannot). */
const usableKey = (a) => a.method === "SECURITY_KEY" && !(a.securityKey && a.securityKey.suspendedAt);

/**
 * Asks for a current code when the server says the session's factor is too old; with a security key,
 * the user may touch it instead, which makes the session's factor fresh, and then `onRetry` runs the
 * action again without a code.
 */
export function FreshCode({ authenticators, error, busy, onCode, onRetry, onCancel }) {
  const email = authenticators.find((a) => a.method === "EMAIL");
  const key = onRetry && authenticators.some(usableKey);
  const [mailed, setMailed] = useState(null);
  const [keyError, setKeyError] = useState(null);
  const [proving, setProving] = useState(false);
  async function mail() {
    const result = await attempt("sendLoginCode", { id: email.id }, (d) => d.sendLoginCode);
    setMailed(result.error ? result.error : { message: "We emailed you a code." });
  }
  async function withKey() {
    setProving(true);
    setKeyError(null);
    const result = await proveWithKey();
    setProving(false);
    if (result.error) setKeyError(result.error);
    else onRetry();
  }
  return html`<form class="fresh" onSubmit=${(event) => { event.preventDefault(); onCode(new FormData(event.currentTarget).get("fresh-code")); }}>
    <p>For your security, confirm it is you: ${key ? "use your security key, or " : ""}enter a current code from one of your authenticators, or a recovery code.</p>
    ${key ? html`<div class="row"><button type="button" class="primary" onClick=${withKey} disabled=${proving || busy}>Use security key</button></div>
      <${ErrorMessage} error=${keyError} />` : null}
    ${email ? html`<p><button type="button" onClick=${mail}>Email me a code</button>
      ${mailed ? html` <span role="status">${mailed.message}</span>` : null}</p>` : null}
    <${Field} id="fresh-code" label="Current code" autocomplete="one-time-code" required maxlength="20" />
    <${ErrorMessage} error=${error} />
    <div class="row">
      <button type="submit" class="primary" disabled=${busy}>Confirm</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

/** Runs an action that may answer FRESH_CODE_REQUIRED, then again with the code the user gives. */
export function useFreshAction(run) {
  const [state, setState] = useState({ needCode: false, error: null, busy: false });
  async function go(code) {
    setState({ ...state, busy: true, error: null });
    const result = await run(code || null);
    if (result.error && result.error.code === "FRESH_CODE_REQUIRED") {
      setState({ needCode: true, error: code ? result.error : null, busy: false });
      return null;
    }
    setState({ needCode: state.needCode && Boolean(result.error), error: result.error || null, busy: false });
    return result.error ? null : result.payload;
  }
  return [state, go, () => setState({ needCode: false, error: null, busy: false })];
}

/** What kind of key it is: a passkey that syncs between devices, or one bound to its device. */
function keyKind(key) {
  return key.synced ? "Passkey, synced" : "Security key, this device only";
}

function AuthenticatorRow({ authenticator, all, onChanged, onNotice }) {
  const [editing, setEditing] = useState(false);
  const [editError, setEditError] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [removal, remove, resetRemoval] = useFreshAction((code) =>
    attempt("remove", { id: authenticator.id, code }, my("remove"))
  );

  const nameId = `name-${authenticator.id}`;

  async function rename(event) {
    event.preventDefault();
    const name = new FormData(event.currentTarget).get(nameId);
    const result = await attempt("edit", { id: authenticator.id, name }, my("edit"));
    if (result.error) setEditError(result.error);
    else {
      setEditing(false);
      setEditError(null);
      onNotice("The authenticator was renamed.");
      onChanged();
    }
  }

  async function confirmRemove(code) {
    if (await remove(code)) {
      onNotice(`"${authenticator.name}" was removed.`);
      onChanged();
    }
  }

  const key = authenticator.securityKey;
  const suspended = Boolean(key && key.suspendedAt);
  return html`<li class=${suspended ? "authenticator suspended" : "authenticator"}>
    <div class="details">
      <strong>${authenticator.name}${suspended ? html` <span class="badge badge-danger">Suspended</span>` : null}</strong>
      <span class="muted">${key ? keyKind(key) : methodLabel(authenticator.method)}${authenticator.email ? ` · ${authenticator.email}` : ""}</span>
      <span class="muted">Added ${formatDate(authenticator.createdAt)} · Last used ${formatDate(authenticator.lastUsedAt)}</span>
      ${suspended
        ? html`<p class="error">Suspended ${formatDate(key.suspendedAt)}: this key's signature counter went backwards, which a
            copied key would do, so it no longer signs you in. Remove it, and set up your key again (or another one).</p>`
        : null}
    </div>
    ${editing
      ? html`<form class="row" onSubmit=${rename}>
          <${Field} id=${nameId} label="New name" value=${authenticator.name} maxlength="64" required />
          <button type="submit" class="primary">Save</button>
          <button type="button" onClick=${() => { setEditing(false); setEditError(null); }}>Cancel</button>
          <${ErrorMessage} error=${editError} />
        </form>`
      : confirming
        ? removal.needCode
          ? html`<${FreshCode} authenticators=${all} error=${removal.error} busy=${removal.busy}
              onCode=${confirmRemove} onRetry=${() => confirmRemove(null)}
              onCancel=${() => { setConfirming(false); resetRemoval(); }} />`
          : html`<div class="row">
              <span>Remove "${authenticator.name}"?</span>
              <button type="button" class="danger" onClick=${() => confirmRemove(null)} disabled=${removal.busy}>Yes, remove</button>
              <button type="button" onClick=${() => { setConfirming(false); resetRemoval(); }}>Cancel</button>
              <${ErrorMessage} error=${removal.error} />
            </div>`
        : html`<div class="row actions">
            <button type="button" onClick=${() => setEditing(true)} aria-label=${`Edit ${authenticator.name}`}>Edit</button>
            <button type="button" onClick=${() => setConfirming(true)} aria-label=${`Remove ${authenticator.name}`}>Remove</button>
          </div>`}
  </li>`;
}

const STATUS_TEXT = {
  PENDING: "Sending the code…",
  CODE_SENT: "We emailed you a code. It is valid for 10 minutes.",
  DELIVERY_FAILED: "We could not deliver the code. Send it again.",
  VERIFIED: "Verified.",
  EXPIRED: "The code expired. Start again.",
  LOCKED: "Too many wrong codes. Start again.",
  CANCELLED: "This set-up was cancelled.",
};
const ENDED = new Set(["EXPIRED", "LOCKED", "CANCELLED"]);

// An app set-up that ended: its QR code and setup key work no more, and one already scanned left an
// entry in the app that will never work.
const APP_ENDED_TEXT = {
  EXPIRED: "This set-up expired before it was finished: its QR code and setup key no longer work. If you scanned it, remove that entry from your app, then start again.",
  LOCKED: "Too many wrong codes: this QR code and setup key no longer work. If you scanned it, remove that entry from your app, then start again.",
  CANCELLED: "This set-up was cancelled.",
};
// The answers to a code that mean the set-up has ended, as the status it ended with.
const ENDING_ERRORS = { CODE_EXPIRED: "EXPIRED", TOO_MANY_ATTEMPTS: "LOCKED" };

/** Follows a set-up's status as the server pushes it. */
function useLiveSetup(initial) {
  const [setup, setSetup] = useState(initial);
  useEffect(() => {
    setSetup(initial);
    if (!initial) return undefined;
    return subscribe("verification", { setupId: initial.id }, (live) => setSetup(live.myTwoFactorVerification));
  }, [initial && initial.id]);
  return [setup, setSetup];
}

function EmailSetup({ user, authenticators, onCreated, onCancel }) {
  const [name, setName] = useState("");
  const [started, setStarted] = useState(null);
  const [setup, setSetup] = useLiveSetup(started);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [start, go] = useFreshAction((code) =>
    attempt("setUpEmail", { name, code }, my("setUpEmail"))
  );
  const resendIn = useSecondsLeft(setup && setup.resendAvailableAt ? new Date(setup.resendAvailableAt) : null);

  async function send(event) {
    event.preventDefault();
    const payload = await go(null);
    if (payload) setStarted(payload.setup);
  }

  /** After the set-up expired or locked: a new one, with the same name, mails a new code. */
  async function restart() {
    setError(null);
    setStarted(null);
    const payload = await go(null);
    if (payload) setStarted(payload.setup);
  }

  async function resend() {
    const result = await attempt("resendCode", { setupId: setup.id }, my("resendCode"));
    if (result.error) setError(result.error);
    else {
      setError(null);
      setSetup(result.payload.setup);
    }
  }

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    const code = new FormData(event.currentTarget).get("email-code");
    const result = await attempt("submitCode", { setupId: setup.id, code }, my("submitCode"));
    setBusy(false);
    if (result.error) setError(result.error);
    else onCreated(result.payload);
  }

  const heading = useFocusOnMount();
  return html`<div class="setup" aria-labelledby="email-setup-title">
    <h3 id="email-setup-title" tabindex="-1" ref=${heading}>Email Authentication</h3>
    ${setup ? html`<${EmailCode} setup=${setup} error=${error} busy=${busy} resendIn=${resendIn}
        onSubmit=${submit} onResend=${resend} onRestart=${restart} onCancel=${onCancel} />`
      : start.needCode
        ? html`<${FreshCode} authenticators=${authenticators} error=${start.error} busy=${start.busy}
            onCode=${async (code) => { const p = await go(code); if (p) setStarted(p.setup); }}
            onRetry=${async () => { const p = await go(null); if (p) setStarted(p.setup); }} onCancel=${onCancel} />`
        : html`<form onSubmit=${send}>
            <${Field} id="email-name" label="Name" value=${name} onInput=${(e) => setName(e.currentTarget.value)}
              maxlength="64" required hint="For example: Work email" />
            <${Field} id="email-address" label="Email" value=${user.email} readonly
              hint="Codes go to the address you sign in with." />
            <${ErrorMessage} error=${start.error} />
            <div class="row">
              <button type="submit" class="primary" disabled=${start.busy}>Send code</button>
              <button type="button" onClick=${onCancel}>Cancel</button>
            </div>
          </form>`}
  </div>`;
}

/** The mailed code's step of an email set-up: its status as the server pushes it, the code, resending. */
function EmailCode({ setup, error, busy, resendIn, onSubmit, onResend, onRestart, onCancel }) {
  const ended = ENDED.has(setup.status);
  // The "Send code" button that had the focus is gone: the code field, where the mailed code goes, takes it.
  useEffect(() => {
    const field = document.getElementById("email-code");
    if (field) field.focus();
  }, []);
  return html`
    <p role="status" aria-live="polite" class=${`status status-${setup.status.toLowerCase()}`} data-status=${setup.status}>
      ${STATUS_TEXT[setup.status] || setup.status}
    </p>
    ${ended
      ? html`<div class="row">
          ${setup.status === "CANCELLED" ? null : html`<button type="button" class="primary" onClick=${onRestart}>Start again</button>`}
          <button type="button" onClick=${onCancel}>Close</button>
        </div>`
      : html`<form onSubmit=${onSubmit}>
          <${Field} id="email-code" label="Code from the email" ...${CODE_INPUT} />
          <${ErrorMessage} error=${error} />
          <div class="row">
            <button type="submit" class="primary" disabled=${busy}>Submit Code and Create</button>
            <button type="button" onClick=${onResend} disabled=${resendIn > 0}>
              ${resendIn > 0 ? `Resend code (${resendIn} s)` : "Resend code"}
            </button>
            <button type="button" onClick=${async () => { await attempt("cancelSetup", { setupId: setup.id }, my("cancelSetup")); onCancel(); }}>Cancel</button>
          </div>
        </form>`}`;
}

function AppSetup({ authenticators, onCreated, onCancel }) {
  const [started, setStarted] = useState(null);
  const [setup] = useLiveSetup(started);
  const [error, setError] = useState(null);
  const [copied, setCopied] = useState(null);
  const [busy, setBusy] = useState(false);
  const [start, go] = useFreshAction((code) => attempt("setUpApp", { code }, my("setUpApp")));

  const heading = useFocusOnMount();
  const restartButton = useRef(null);

  function begin() {
    go(null).then((payload) => payload && setStarted(payload.setup));
  }
  useEffect(begin, []);

  // A set-up ends when its time runs out or after too many wrong codes, as the server pushes it or
  // answers a code; its QR code and setup key work no more, so they go.
  const endedStatus = setup && started && setup.id === started.id && ENDED.has(setup.status) ? setup.status : null;
  const ended = endedStatus || (error && ENDING_ERRORS[error.code]) || null;
  useEffect(() => {
    // The form that had the focus is gone: the way on takes it, unless the user is elsewhere on the page.
    if (ended && restartButton.current && document.activeElement === document.body) restartButton.current.focus();
  }, [ended]);

  function restart() {
    setStarted(null);
    setError(null);
    setCopied(null);
    if (heading.current) heading.current.focus();
    begin();
  }

  async function copy() {
    setCopied(await copyText(started.app.setupKey.replace(/\s+/g, "")));
  }

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    const result = await attempt(
      "submitCode", { setupId: started.id, code: form.get("app-code"), name: form.get("app-name") }, my("submitCode")
    );
    setBusy(false);
    if (result.error) setError(result.error);
    else onCreated(result.payload);
  }

  let body;
  if (start.needCode) {
    body = html`<${FreshCode} authenticators=${authenticators} error=${start.error} busy=${start.busy}
      onCode=${async (code) => { const p = await go(code); if (p) setStarted(p.setup); }}
      onRetry=${async () => { const p = await go(null); if (p) setStarted(p.setup); }} onCancel=${onCancel} />`;
  } else if (!started) {
    body = start.error
      ? html`<${ErrorMessage} error=${start.error} /><button type="button" onClick=${onCancel}>Close</button>`
      : html`<p role="status">Preparing…</p>`;
  } else if (ended) {
    body = html`<p role="status" class="status status-expired">${APP_ENDED_TEXT[ended]}</p>
      <div class="row">
        ${ended === "CANCELLED" ? null : html`<button type="button" class="primary" ref=${restartButton} onClick=${restart}>Start again</button>`}
        <button type="button" onClick=${onCancel}>Close</button>
      </div>`;
  } else {
    body = html`<ol class="steps">
        <li>Scan the QR code with your authenticator app.
          <img class="qr" src=${started.app.qrCodePng} width="200" height="200"
            alt="QR code to scan with your authenticator app" /></li>
        <li>Or type the setup key:
          <code class="setup-key" data-testid="setup-key">${started.app.setupKey}</code>
          <button type="button" onClick=${copy}>${copied ? "Copied" : "Copy key"}</button>
          <span role="status" class="hint">${copied === false
            ? "This browser could not copy it: type the setup key into your app, or select it and copy it." : ""}</span></li>
        <li>Name it and enter the ${started.app.digits}-digit code the app shows.</li>
      </ol>
      <form onSubmit=${submit}>
        <${Field} id="app-name" label="Name" maxlength="64" required hint="For example: My phone" />
        <${Field} id="app-code" label="Code from your app" ...${CODE_INPUT} />
        <${ErrorMessage} error=${error} />
        <div class="row">
          <button type="submit" class="primary" disabled=${busy}>Submit Code and Create</button>
          <button type="button" onClick=${async () => { await attempt("cancelSetup", { setupId: started.id }, my("cancelSetup")); onCancel(); }}>Cancel</button>
        </div>
      </form>`;
  }
  return html`<div class="setup" aria-labelledby="app-setup-title">
    <h3 id="app-setup-title" tabindex="-1" ref=${heading}>Authenticator App</h3>
    ${body}
  </div>`;
}

/** "Security key or passkey": a name, then the browser's prompt; the key's answer creates the authenticator. */
function SecurityKeySetup({ authenticators, onCreated, onCancel }) {
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  const [prompting, setPrompting] = useState(false);
  const [start, go] = useFreshAction((code) => attempt("setUpSecurityKey", { name, code }, my("setUpSecurityKey")));
  const supported = keysSupported();

  /** The browser's prompt for the set-up the server started, then its credential back to the server. */
  async function finish(payload) {
    if (!payload) return;
    const setup = payload.setup;
    setPrompting(true);
    let credential;
    try {
      credential = await createKey(setup.securityKey.creationOptions);
    } catch (failure) {
      setPrompting(false);
      setError(problem(failure));
      // The next try starts a new set-up: this one's challenge ends now rather than in five minutes.
      await attempt("cancelSetup", { setupId: setup.id }, my("cancelSetup"));
      return;
    }
    const result = await attempt("submitSecurityKey", { setupId: setup.id, credential, name }, my("submitSecurityKey"));
    setPrompting(false);
    if (result.error) setError(result.error);
    else onCreated(result.payload);
  }

  async function add(event) {
    event.preventDefault();
    setError(null);
    await finish(await go(null));
  }

  const heading = useFocusOnMount();
  return html`<div class="setup" aria-labelledby="key-setup-title">
    <h3 id="key-setup-title" tabindex="-1" ref=${heading}>Security key or passkey</h3>
    ${start.needCode
      ? html`<${FreshCode} authenticators=${authenticators} error=${start.error} busy=${start.busy}
          onCode=${async (code) => finish(await go(code))} onRetry=${async () => finish(await go(null))} onCancel=${onCancel} />`
      : html`<p>A security key (such as a YubiKey) or a passkey on this device or your phone signs you in with a touch
          or your fingerprint, face or screen lock. It works only on this site, so a look-alike page cannot use it.</p>
        ${supported
          ? null
          : html`<p class="error" role="alert">This browser cannot use security keys or passkeys. Use a current Chrome, Edge,
              Firefox or Safari, or another method.</p>`}
        <form onSubmit=${add}>
          <${Field} id="key-name" label="Name" value=${name} onInput=${(e) => setName(e.currentTarget.value)}
            maxlength="64" required hint="For example: YubiKey or This laptop" />
          ${prompting ? html`<p role="status" class="status">Touch your security key, or confirm on your device…</p>` : null}
          <${ErrorMessage} error=${error || start.error} />
          <div class="row">
            <button type="submit" class="primary" disabled=${!supported || start.busy || prompting}>Add security key</button>
            <button type="button" onClick=${onCancel}>Cancel</button>
          </div>
        </form>`}
  </div>`;
}

/** Puts `text` on the clipboard; false where the browser cannot (no clipboard on a plain-HTTP page, or refused). */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function RecoveryCodes({ codes, onDone }) {
  const [copied, setCopied] = useState(null);
  const text = codes.join("\n") + "\n";
  const download = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  useEffect(() => () => URL.revokeObjectURL(download), [download]);
  const heading = useFocusOnMount();
  return html`<div class="recovery" role="region" aria-labelledby="recovery-title">
    <h2 id="recovery-title" tabindex="-1" ref=${heading}>Your recovery codes</h2>
    <p>Each code signs you in once if you lose your authenticators. Save them somewhere safe now: they are not shown again.</p>
    <ul class="codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
    <div class="row">
      <button type="button" onClick=${async () => setCopied(await copyText(text))}>
        ${copied ? "Copied" : "Copy codes"}
      </button>
      <a class="button" href=${download} download="twofactor-recovery-codes.txt">Download codes</a>
      <button type="button" class="primary" onClick=${onDone}>I saved them</button>
    </div>
    <p role="status" class="hint">${copied === false
      ? "This browser could not copy them: use Download codes, or select them and copy them." : ""}</p>
  </div>`;
}

function Regenerate({ authenticators, onCodes }) {
  const [asking, setAsking] = useState(false);
  const [state, go, reset] = useFreshAction((code) =>
    attempt("regenerate", code ? { code } : {}, my("regenerateRecoveryCodes"))
  );
  async function run(code) {
    const payload = await go(code);
    if (payload) {
      setAsking(false);
      reset();
      onCodes(payload.recoveryCodes);
    }
  }
  if (state.needCode) {
    return html`<${FreshCode} authenticators=${authenticators} error=${state.error} busy=${state.busy}
      onCode=${run} onRetry=${() => run(null)} onCancel=${() => { setAsking(false); reset(); }} />`;
  }
  if (!asking) return html`<button type="button" onClick=${() => setAsking(true)}>Regenerate recovery codes</button>`;
  return html`<div class="row">
    <span>New codes replace all the old ones.</span>
    <button type="button" class="danger" onClick=${() => run(null)} disabled=${state.busy}>Regenerate</button>
    <button type="button" onClick=${() => setAsking(false)}>Cancel</button>
    <${ErrorMessage} error=${state.error} />
  </div>`;
}
