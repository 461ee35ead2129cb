// The web client: sign-in, "Your 2FA" and, for administrators, the admin page.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { closeLive, request } from "./api.js";
import { Admin } from "./admin.js";
import { Challenge, SignIn } from "./signin.js";
import { html, problem, ErrorMessage } from "./ui.js";
import { YourTwoFactor } from "./your2fa.js";

// How long a page waits before it asks an unreachable server again by itself.
const OFFLINE_RETRY_MS = 15000;

function useHash() {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function App() {
  // phase: loading | signed-out | challenge | signed-in
  const [state, setState] = useState({ phase: "loading" });
  const hash = useHash();

  /** Where the session stands now: after a load, or when the account changed under it. */
  async function follow(notices = {}) {
    try {
      const { session } = await request("session");
      if (!session) setState({ phase: "signed-out", notice: notices.ended });
      else if (session.nextStep === "TWO_FACTOR_CHALLENGE") {
        setState({ phase: "challenge", authenticators: session.authenticators || [], notice: notices.challenge });
      } else {
        // A page already shown keeps what it shows (recovery codes among them) and follows the step;
        // `live` counts the reconnections, so that its subscriptions start again.
        setState((old) =>
          old.phase === "signed-in" && old.step === session.nextStep
            ? { ...old, offline: null, live: (old.live || 0) + 1 }
            : { phase: "signed-in", user: session.user, step: session.nextStep, live: 0 }
        );
      }
    } catch (failure) {
      // The server did not answer (down, restarting, the network gone): the session may well be
      // alive, so a page already shown stays as it is (nothing on it is lost), with a way back.
      setState((old) =>
        old.phase === "signed-in" || old.phase === "challenge"
          ? { ...old, offline: problem(failure) }
          : { phase: "signed-out", error: problem(failure) }
      );
    }
  }

  useEffect(() => {
    follow();
  }, []);

  // The live connection ended (a session ended or moved to the challenge on another device's
  // change, or the network went): read where this session stands and show that.
  function sessionChanged() {
    closeLive();
    follow({
      ended: "Your session ended. Sign in again.",
      challenge: "Two-factor authentication was turned on for your account. Verify it is you to go on.",
    });
  }

  // While the server is away, it is asked again now and then, and at the user's request.
  useEffect(() => {
    if (!state.offline) return undefined;
    const timer = setTimeout(sessionChanged, OFFLINE_RETRY_MS);
    return () => clearTimeout(timer);
  }, [state.offline]);

  // `arrived`: the page was reached by signing in here, so its heading takes the focus.
  function signedIn(login) {
    const step = login.session.nextStep;
    if (step === "TWO_FACTOR_CHALLENGE") setState({ phase: "challenge", authenticators: login.authenticators || [] });
    else setState({ phase: "signed-in", user: login.session.user, step, arrived: true });
  }

  async function signOut() {
    try {
      await request("logout");
    } finally {
      closeLive();
      setState({ phase: "signed-out", notice: "You are signed out." });
    }
  }

  useEffect(() => {
    const titles = { "signed-out": "Sign in", challenge: "Two-factor authentication" };
    document.title = `${titles[state.phase] || (hash === "#/admin" ? "Administration" : "Your 2FA")} · twofactor`;
  }, [state.phase, hash]);

  let page;
  if (state.phase === "loading") page = html`<p role="status">Loading…</p>`;
  else if (state.phase === "signed-out") {
    page = html`${state.error ? html`<${ErrorMessage} error=${state.error} />` : null}
      <${SignIn} notice=${state.notice} onSignedIn=${signedIn} />`;
  } else if (state.phase === "challenge") {
    page = html`<${Challenge} authenticators=${state.authenticators} notice=${state.notice}
      onPassed=${(session) => setState({ phase: "signed-in", user: session.user, step: session.nextStep, arrived: true })}
      onEnded=${(notice) => setState({ phase: "signed-out", notice })} />`;
  } else if (hash === "#/admin" && state.user.isAdmin && state.step === "DONE") {
    page = html`<${Admin} />`;
  } else {
    page = html`<${YourTwoFactor} user=${state.user} step=${state.step} live=${state.live} arrived=${state.arrived}
      onSessionChanged=${sessionChanged} />`;
  }
  if (state.offline) {
    page = html`<div class="offline" role="alert">
        <p>${state.offline.message} What is on this page stays here until the server is back.</p>
        <button type="button" onClick=${sessionChanged}>Try again</button>
      </div>
      ${page}`;
  }

  const signedInUser = state.phase === "signed-in" ? state.user : null;
  return html`<header class="top">
      <a class="brand" href="#/">twofactor</a>
      ${signedInUser
        ? html`<nav aria-label="Main">
            <a href="#/" aria-current=${hash !== "#/admin" ? "page" : undefined}>Your 2FA</a>
            ${signedInUser.isAdmin && state.step === "DONE"
              ? html`<a href="#/admin" aria-current=${hash === "#/admin" ? "page" : undefined}>Administration</a>`
              : null}
            <span class="muted who">${signedInUser.email}</span>
            <button type="button" onClick=${signOut}>Sign out</button>
          </nav>`
        : null}
    </header>
    <main id="main">${page}</main>`;
}

render(html`<${App} />`, document.getElementById("app"));
