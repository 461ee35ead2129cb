// The administrators' page: the policy, resetting a user who lost access, the audit log.
import { useEffect, useState } from "preact/hooks";
import { request } from "./api.js";
import { ErrorMessage, Field, METHOD_LABELS, formatDate, html, methodLabel, problem } from "./ui.js";
import { FreshCode, useFreshAction } from "./your2fa.js";

export function Admin() {
  // Each change made here shows in the audit log at once.
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((count) => count + 1);
  return html`<section class="card" aria-labelledby="admin-title">
    <h1 id="admin-title">Administration</h1>
    <${PolicyForm} onChanged=${changed} />
    <${ResetUser} onChanged=${changed} />
    <${AuditLog} changes=${changes} />
  </section>`;
}

function PolicyForm({ onChanged }) {
  const [policy, setPolicy] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    request("policy").then((data) => setPolicy(data.twoFactorPolicy), (failure) => setError(problem(failure)));
  }, []);

  // The methods this client knows, and any other the server has enabled (a newer server's).
  const methods = policy
    ? [...Object.keys(METHOD_LABELS), ...policy.enabledMethods.filter((m) => !(m in METHOD_LABELS))]
    : [];

  async function save(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = {
      mandatory: form.get("mandatory") === "on",
      enabledMethods: methods.filter((method) => form.get(`method-${method}`) === "on"),
      recoveryCodesEnabled: form.get("recovery") === "on",
    };
    setSaved(false);
    try {
      const payload = (await request("setPolicy", { input })).admin.setTwoFactorPolicy;
      if (payload.error) setError(problem(payload.error));
      else {
        setPolicy(payload.policy);
        setError(null);
        setSaved(true);
        onChanged();
      }
    } catch (failure) {
      setError(problem(failure));
    }
  }

  if (policy === null) return html`<${ErrorMessage} error=${error} />`;
  return html`<form onSubmit=${save} aria-labelledby="policy-title">
    <h2 id="policy-title">Policy</h2>
    <label class="choice"><input type="checkbox" name="mandatory" checked=${policy.mandatory} /> Two-factor authentication is mandatory</label>
    <fieldset>
      <legend>Methods users may set up</legend>
      ${methods.map(
        (method) => html`<label class="choice" key=${method}><input type="checkbox" name=${`method-${method}`}
          checked=${policy.enabledMethods.includes(method)} /> ${methodLabel(method)}</label>`
      )}
    </fieldset>
    <label class="choice"><input type="checkbox" name="recovery" checked=${policy.recoveryCodesEnabled} /> Recovery codes</label>
    <${ErrorMessage} error=${error} />
    ${saved ? html`<p class="success" role="status">The policy was saved.</p>` : null}
    <button type="submit" class="primary">Save policy</button>
  </form>`;
}

function ResetUser({ onChanged }) {
  const [found, setFound] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  // The administrator's own authenticators: a fresh factor may come from their security key.
  const [mine, setMine] = useState([]);
  const [resetting, reset, forget] = useFreshAction(async (code) => {
    try {
      const payload = (await request("resetUser", { userId: found.id, code })).admin.resetUserTwoFactor;
      return payload.error ? { error: problem(payload.error) } : { payload };
    } catch (failure) {
      return { error: problem(failure) };
    }
  });

  async function find(event) {
    event.preventDefault();
    setDone(null);
    setError(null);
    const email = new FormData(event.currentTarget).get("reset-email");
    try {
      const user = (await request("userByEmail", { email })).admin.user;
      setFound(user);
      if (!user) setError({ message: "No user has that email address." });
    } catch (failure) {
      setError(problem(failure));
    }
  }

  useEffect(() => {
    if (!resetting.needCode) return;
    request("myTwoFactor").then((data) => setMine(data.myTwoFactor.authenticators), () => setMine([]));
  }, [resetting.needCode]);

  async function confirm(code) {
    if (await reset(code)) {
      setDone(`The two-factor authentication of ${found.email} was reset. They can sign in with their password and set it up again.`);
      setFound(null);
      forget();
      onChanged();
    }
  }

  return html`<div aria-labelledby="reset-title">
    <h2 id="reset-title">Reset a user's 2FA</h2>
    <p class="muted">For a user who lost access: removes their authenticators and recovery codes and ends their sessions.</p>
    <form class="row" onSubmit=${find}>
      <${Field} id="reset-email" label="User's email" type="email" required />
      <button type="submit">Find user</button>
    </form>
    ${found
      ? resetting.needCode
        ? html`<${FreshCode} authenticators=${mine} error=${resetting.error} busy=${resetting.busy}
            onCode=${confirm} onRetry=${() => confirm(null)} onCancel=${() => { setFound(null); forget(); }} />`
        : html`<div class="row"><span>${found.name} (${found.email})</span>
            <button type="button" class="danger" onClick=${() => confirm(null)} disabled=${resetting.busy}>Reset 2FA</button></div>
            <${ErrorMessage} error=${resetting.error} />`
      : null}
    <${ErrorMessage} error=${error} />
    ${done ? html`<p class="success" role="status">${done}</p>` : null}
  </div>`;
}

function AuditLog({ changes }) {
  const [pages, setPages] = useState([null]);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const cursor = pages[pages.length - 1];

  useEffect(() => {
    request("auditEvents", { after: cursor }).then(
      (data) => setPage(data.admin.auditEvents),
      (failure) => setError(problem(failure))
    );
  }, [cursor, changes]);

  return html`<div aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <${ErrorMessage} error=${error} />
    ${page
      ? html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">User</th><th scope="col">Address</th></tr></thead>
          <tbody>${page.events.map((e) => html`<tr>
            <td>${formatDate(e.createdAt)}</td><td>${e.action}</td><td>${e.actorId || ""}</td><td>${e.targetId || ""}</td><td>${e.ip || ""}</td>
          </tr>`)}</tbody>
        </table></div>
        <div class="row">
          <button type="button" disabled=${pages.length === 1} onClick=${() => setPages(pages.slice(0, -1))}>Newer</button>
          <button type="button" disabled=${!page.nextCursor} onClick=${() => setPages([...pages, page.nextCursor])}>Older</button>
        </div>`
      : null}
  </div>`;
}
