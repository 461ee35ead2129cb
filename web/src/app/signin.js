// Signing in: email and password, then the second factor (a security key, a code or a recovery code).
import { useEffect, useRef, useState } from "preact/hooks";
import { request } from "./api.js";
import { CODE_INPUT, ErrorMessage, Field, html, problem, useSecondsLeft } from "./ui.js";
import { proveWithKey } from "./webauthn.js";

export function SignIn({ notice, onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const form = useRef(null);
  // Keyboard users start typing at once.
  useEffect(() => form.current && form.current.elements.email.focus(), []);

  async function submit(event) {
    event.preventDefault();
    const fields = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const { login } = await request("login", { email: fields.get("email"), password: fields.get("password") });
      if (login.error) setError(problem(login.error));
      else onSignedIn(login);
    } catch (failure) {
      setError(problem(failure));
    } finally {
      setBusy(false);
    }
  }

  return html`<section class="card narrow" aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">Sign in</h1>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    <form onSubmit=${submit} ref=${form}>
      <${Field} id="email" label="Email" type="email" autocomplete="username" required />
      <${Field} id="password" label="Password" type="password" autocomplete="current-password" required />
      <${ErrorMessage} error=${error} />
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
  </section>`;
}

/** The label of the code field for an authenticator of `method`. */
function codeLabel(method) {
  if (method === "EMAIL") return "Code from the email";
  if (method === "APP") return "Code from your app";
  return "Code";
}

export function Challenge({ authenticators, notice, onPassed, onEnded }) {
  // Security keys answer a prompt, not a code: they get their own button, the rest a code field.
  const keys = authenticators.filter((a) => a.method === "SECURITY_KEY");
  const coded = authenticators.filter((a) => a.method !== "SECURITY_KEY");
  const [chosen, setChosen] = useState(coded.length ? coded[0].id : null);
  const [useRecovery, setUseRecovery] = useState(authenticators.length === 0);
  const [error, setError] = useState(null);
  const [keyError, setKeyError] = useState(null);
  const [sent, setSent] = useState(null);
  const [busy, setBusy] = useState(false);
  const current = coded.find((a) => a.id === chosen);
  const resendIn = useSecondsLeft(sent && sent.resendAt);
  // The sign-in form that had the focus is gone: the first way to answer takes it.
  const keyButton = useRef(null);
  useEffect(() => {
    const first = keyButton.current || document.getElementById("code");
    if (first) first.focus();
  }, []);

  async function run(name, variables, field) {
    setBusy(true);
    setError(null);
    try {
      const payload = (await request(name, variables))[field];
      if (payload.error) {
        setError(problem(payload.error));
        if (payload.error.code === "TOO_MANY_ATTEMPTS") onEnded("Too many wrong codes. Sign in again.");
        return null;
      }
      return payload;
    } catch (failure) {
      setError(problem(failure));
      if (failure.code === "UNAUTHENTICATED") onEnded("Your sign-in expired. Sign in again.");
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function sendCode() {
    const payload = await run("sendLoginCode", { id: chosen }, "sendLoginCode");
    if (payload) {
      const resendAt = payload.resendAvailableAt ? new Date(payload.resendAvailableAt) : null;
      setSent({ id: chosen, resendAt, wait: resendAt ? Math.max(0, Math.ceil((resendAt - Date.now()) / 1000)) : 0 });
    }
  }

  async function verify(event) {
    event.preventDefault();
    const code = new FormData(event.currentTarget).get("code");
    const payload = useRecovery
      ? await run("verifyRecoveryCode", { code }, "verifyLoginWithRecoveryCode")
      : await run("verifyLogin", { id: chosen, code }, "verifyLogin");
    if (payload) onPassed(payload.session);
  }

  async function verifyWithKey() {
    setBusy(true);
    setError(null);
    setKeyError(null);
    const result = await proveWithKey();
    setBusy(false);
    if (result.payload) onPassed(result.payload.session);
    else if (result.error.code === "UNAUTHENTICATED") onEnded("Your sign-in expired. Sign in again.");
    else if (result.error.code === "TOO_MANY_ATTEMPTS") onEnded("Too many failed tries. Sign in again.");
    else setKeyError(result.error);
  }

  const codeForm = html`<form onSubmit=${verify}>
    ${useRecovery
      ? html`<${Field} id="code" label="Recovery code" autocomplete="off" required maxlength="20" />`
      : html`<${Field} id="code" label=${codeLabel(current && current.method)} ...${CODE_INPUT} />`}
    <${ErrorMessage} error=${error} />
    <button type="submit" class=${useRecovery || !keys.length ? "primary" : undefined} disabled=${busy}>Verify</button>
  </form>`;

  return html`<section class="card narrow" aria-labelledby="challenge-title">
    <h1 id="challenge-title">Two-factor authentication</h1>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    ${useRecovery
      ? html`<p>Enter one of the recovery codes you saved when you set up two-factor authentication.</p>${codeForm}`
      : html`${keys.length
          ? html`<div class="key-choice">
              <p>Use your security key, or the passkey on this device or your phone.</p>
              <button type="button" class="primary" ref=${keyButton} onClick=${verifyWithKey} disabled=${busy}>Use security key</button>
              <${ErrorMessage} error=${keyError} />
            </div>`
          : null}
        ${coded.length
          ? html`<fieldset>
              <legend>${keys.length ? "Or verify with a code from" : "Verify with"}</legend>
              ${coded.map(
                (a) => html`<label class="choice">
                  <input type="radio" name="authenticator" value=${a.id} checked=${a.id === chosen}
                    onChange=${() => { setChosen(a.id); setError(null); }} />
                  ${a.name}
                </label>`
              )}
            </fieldset>
            ${current && current.method === "EMAIL"
              ? html`<div class="row">
                  <button type="button" onClick=${sendCode} disabled=${busy || resendIn > 0}>
                    ${sent && sent.id === chosen ? "Send a new code" : "Send code"}
                  </button>
                  <span role="status" class="muted">
                    ${sent && sent.id === chosen ? "We emailed you a code." : ""}
                    ${sent && sent.id === chosen && sent.wait
                      ? html`<span class="visually-hidden"> You can ask for another in ${sent.wait} seconds.</span>` : ""}
                  </span>
                  ${resendIn > 0
                    ? html`<span class="muted" aria-hidden="true">You can ask for another in ${resendIn} s.</span>` : null}
                </div>`
              : null}
            ${codeForm}`
          : null}`}
    ${authenticators.length
      ? html`<button type="button" class="link" onClick=${() => { setUseRecovery(!useRecovery); setError(null); setKeyError(null); }}>
          ${useRecovery ? "Use an authenticator instead" : "Use a recovery code"}
        </button>`
      : null}
    <p class="muted">Lost access to your authenticators and recovery codes? Contact an administrator to reset your two-factor authentication.</p>
  </section>`;
}
