// The console's shell: sign-in, navigation, and the page of the current path.
import { render, type VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, credential, errorText, onUnauthorized, signIn, signOut } from './api.ts';
import { html } from './html.ts';
import { PAGES } from './pages/index.ts';
import { fixedPath, path as apiPath } from './paths.ts';
import { currentPath, HOME, href, linkClick, match, navigate } from './router.ts';
import { useSignal } from './signal.ts';

function SignIn(props: { onSignedIn: () => void; notice?: string | undefined }): VNode {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>(props.notice);
  const submit = async (event: Event) => {
    event.preventDefault();
    signIn(value.trim());
    try {
      await api('GET', apiPath`/pipelines?limit=1`);
      props.onSignedIn();
    } catch (failure) {
      signOut();
      setError(errorText(failure));
    }
  };
  return html`<main class="signin" id="main">
    <h1>Hooklake console</h1>
    <form onSubmit=${submit}>
      <label for="admin-credential">Admin credential</label>
      <input id="admin-credential" type="password" autocomplete="off" value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} required placeholder="hla_…" />
      <button type="submit">Sign in</button>
      <p class="muted">Kept in this tab only (sessionStorage) until you sign out or close it.</p>
      ${error === undefined ? null : html`<p class="error" role="alert">${error}</p>`}
    </form>
  </main>`;
}

function App(): VNode {
  const [signedIn, setSignedIn] = useState(credential() !== null);
  const [notice, setNotice] = useState<string | undefined>();
  const path = useSignal(currentPath);
  useEffect(
    () =>
      onUnauthorized(() => {
        signOut();
        setNotice('The credential was refused (revoked?). Sign in again.');
        setSignedIn(false);
      }),
    [],
  );

  const found = PAGES.map((page) => ({ page, found: match(page.path, path, page.params) })).find((entry) => entry.found !== undefined);
  useEffect(() => {
    if (path === '/') navigate(HOME);
  }, [path]);
  const title = found === undefined ? 'Not found' : found.page.title(found.found!.params);
  useEffect(() => {
    document.title = `${signedIn ? title : 'Sign in'} · Hooklake`;
  }, [title, signedIn]);

  if (!signedIn) return html`<${SignIn} notice=${notice} onSignedIn=${() => (setNotice(undefined), setSignedIn(true))} />`;
  return html`<div onClick=${linkClick}>
    <header class="top">
      <a class="brand" href=${href(HOME)}>Hooklake</a>
      <nav aria-label="Main">
        <ul>${PAGES.filter((page) => page.nav !== undefined).map(
          (page) => html`<li><a href=${href(fixedPath(page.path))} aria-current=${path.startsWith(page.path) ? 'page' : undefined}>${page.nav}</a></li>`,
        )}</ul>
      </nav>
      <button type="button" class="secondary" onClick=${() => (signOut(), setSignedIn(false))}>Sign out</button>
    </header>
    <main id="main">
      <h1>${title}</h1>
      ${found === undefined ? html`<p data-testid="not-found">No console page at this address. <a href=${href(HOME)}>Pipelines</a></p>` : found.page.render(found.found!.params)}
    </main>
  </div>`;
}

const root = document.getElementById('app')!;
// The static "Loading…" line goes; Preact renders into the emptied element.
root.replaceChildren();
render(html`<${App} />`, root);
