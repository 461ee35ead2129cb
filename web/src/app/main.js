// The web client: sign-in, "Your 2FA" and, for administrators, the admin page.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { closeLive, request } from "./api.js";
import { Admin } from "./admin.js";
import { Challenge, SignIn } from "./signin.js";
import { html, problem, ErrorMessage } from "./ui.js";
import { YourTwoFactor } from "./your2fa.js";

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

  useEffect(() => {
    request("session").then(
      ({ session }) => {
        if (session && session.nextStep !== "TWO_FACTOR_CHALLENGE") {
          setState({ phase: "signed-in", user: session.user, step: session.nextStep });
        } else {
          // A challenge left by a reload cannot list its authenticators again: start over.
          setState({ phase: "signed-out" });
        }
      },
      (failure) => setState({ phase: "signed-out", error: problem(failure) })
    );
  }, []);

  function signedIn(login) {
    const step = login.session.nextStep;
    if (step === "TWO_FACTOR_CHALLENGE") setState({ phase: "challenge", authenticators: login.authenticators || [] });
    else setState({ phase: "signed-in", user: login.session.user, step });
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
    page = html`<${Challenge} authenticators=${state.authenticators}
      onPassed=${(session) => setState({ phase: "signed-in", user: session.user, step: session.nextStep })}
      onEnded=${(notice) => setState({ phase: "signed-out", notice })} />`;
  } else if (hash === "#/admin" && state.user.isAdmin && state.step === "DONE") {
    page = html`<${Admin} />`;
  } else {
    page = html`<${YourTwoFactor} user=${state.user} />`;
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
