/**
 * Calls to the public admin API. When the admin server requires a token, the first 401 opens the token
 * dialog; the token is kept in sessionStorage (this tab only) and sent as a bearer header. No cookies:
 * another site's page cannot make the browser attach credentials.
 */
import { byId } from './dom.ts';

const TOKEN_KEY = 'shadowgate.adminToken';

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Headers every API call carries. */
export function authHeaders(): Record<string, string> {
  const t = token();
  return t === null ? {} : { authorization: `Bearer ${t}` };
}

let asking: Promise<void> | null = null;

/** Shows the token dialog (once, however many calls are waiting) and resolves when a token is entered. */
export function askForToken(rejected: boolean): Promise<void> {
  asking ??= new Promise<void>((resolve) => {
    const dialog = byId<HTMLDialogElement>('token-dialog');
    const input = byId<HTMLInputElement>('token-input');
    byId('token-error').textContent = rejected ? 'That token was not accepted.' : '';
    const form = byId<HTMLFormElement>('token-form');
    const onSubmit = (event: SubmitEvent): void => {
      event.preventDefault();
      if (input.value.trim() === '') return;
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      form.removeEventListener('submit', onSubmit);
      dialog.close();
      asking = null;
      resolve();
    };
    form.addEventListener('submit', onSubmit);
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
  return asking;
}

/** A fetch with the token; a 401 asks for the token and retries. Resolves with the raw response. */
export async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const hadToken = token() !== null;
    const response = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) } });
    if (response.status !== 401) return response;
    await response.text();
    if (hadToken) sessionStorage.removeItem(TOKEN_KEY);
    await askForToken(hadToken);
  }
}

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return text;
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await authorizedFetch(path, { headers: { accept: 'application/json' } });
  const body = await parse(response);
  if (!response.ok) throw new ApiError(response.status, body);
  return body as T;
}

/** PUT/DELETE with a JSON body; API errors come back as ApiError with the body the API sent. */
export async function sendJson<T>(method: 'PUT' | 'DELETE' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await authorizedFetch(path, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const parsed = await parse(response);
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed as T;
}
