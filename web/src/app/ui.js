// Small pieces every page uses: the html template tag, error messages, waits counted down.
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";

export const html = htm.bind(h);

export const METHOD_LABELS = { EMAIL: "Email", APP: "Authenticator app", SECURITY_KEY: "Security key or passkey" };

/** A method's label; one this client does not know yet (the server added it) shows by its name. */
export function methodLabel(method) {
  return METHOD_LABELS[method] || method.charAt(0) + method.slice(1).toLowerCase().replace(/_/g, " ");
}

export function formatDate(value) {
  if (!value) return "Never";
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Seconds left until `deadline` (a Date or null), counted down once a second. */
export function useSecondsLeft(deadline) {
  const left = () => (deadline ? Math.max(0, Math.ceil((deadline.getTime() - Date.now()) / 1000)) : 0);
  const [seconds, setSeconds] = useState(left());
  useEffect(() => {
    setSeconds(left());
    if (!deadline) return undefined;
    const timer = setInterval(() => {
      const now = left();
      setSeconds(now);
      if (now === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [deadline && deadline.getTime()]);
  return seconds;
}

/** A deadline `seconds` from now, or null. */
export function after(seconds) {
  return seconds ? new Date(Date.now() + seconds * 1000) : null;
}

/** The error a payload or a thrown ApiError carries, as { message, code, retryAt, attemptsLeft }. */
export function problem(error) {
  if (!error) return null;
  return {
    code: error.code,
    message: error.message,
    retryAt: after(error.retryAfterSeconds),
    wait: error.retryAfterSeconds || null,
    attemptsLeft: error.attemptsLeft,
  };
}

/** A wait in words, for a screen reader: "45 seconds", "15 minutes". */
function waitInWords(seconds) {
  if (seconds < 90) return `${seconds} ${seconds === 1 ? "second" : "seconds"}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

export function ErrorMessage({ error }) {
  const seconds = useSecondsLeft(error ? error.retryAt : null);
  if (!error) return null;
  // The alert is read out whenever its text changes: it says the wait once, as it was when the error
  // came, and the countdown beside it is for the eyes only.
  return html`<p class="error">
    <span role="alert">
      ${error.message}
      ${error.wait ? html` <span class="visually-hidden">You can try again in ${waitInWords(error.wait)}.</span>` : null}
      ${error.attemptsLeft != null && error.attemptsLeft > 0
        ? html` <span class="attempts">${error.attemptsLeft} ${error.attemptsLeft === 1 ? "try" : "tries"} left.</span>`
        : null}
    </span>
    ${seconds > 0 ? html` <span class="wait" aria-hidden="true">Try again in ${seconds} s.</span>` : null}
  </p>`;
}

export function Field({ id, label, hint, ...input }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} name=${id} ...${input} aria-describedby=${hint ? `${id}-hint` : undefined} />
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
  </div>`;
}

/** The props of a one-time-code input. */
export const CODE_INPUT = {
  inputmode: "numeric",
  autocomplete: "one-time-code",
  pattern: "[0-9 ]*",
  maxlength: 8,
  required: true,
};

/**
 * A ref for a heading (with tabindex="-1") that takes the focus when it appears: a part of the page
 * that replaced the focused button keeps a keyboard user's place instead of sending it to the top.
 */
export function useFocusOnMount() {
  const ref = useRef(null);
  useEffect(() => {
    if (ref.current) ref.current.focus();
  }, []);
  return ref;
}
