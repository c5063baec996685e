/**
 * The Traffic Mirror policy editor of the selected route, after the seed console's form: Destination
 * Service, Port Number (with "Dynamic Port" only for a single-port service), percentage, Enable, and
 * Apply. It sends what the operator chose to `PUT /api/routes/{id}/mirror` and shows the API's errors
 * next to the fields they name; it does not second-guess the API, so a script and the page get the same
 * answers.
 */
import { ApiError, sendJson } from './api.ts';
import { byId, h } from './dom.ts';
import type { FieldError, RouteInfo, ServiceInfo } from './types.ts';

const DYNAMIC = 'dynamic';
const CHOOSE = '';
type Field = 'host' | 'port' | 'subset' | 'percentage' | 'enabled' | 'form';

/** Which control an API error belongs to, from the field path it names. */
export function fieldOf(error: FieldError): Field {
  const path = error.field ?? '';
  if (/(^|\.)destination\.host$/.test(path) || path.endsWith('destination')) return 'host';
  if (/(^|\.)destination\.port$/.test(path)) return 'port';
  if (/(^|\.)destination\.subset$/.test(path)) return 'subset';
  if (/(^|\.)percentage$/.test(path)) return 'percentage';
  if (/(^|\.)enabled$/.test(path)) return 'enabled';
  return 'form';
}

function errorsOf(body: unknown, status: number): FieldError[] {
  if (typeof body === 'object' && body !== null) {
    const b = body as { errors?: FieldError[]; message?: string; error?: string };
    if (Array.isArray(b.errors) && b.errors.length > 0) return b.errors;
    if (typeof b.message === 'string') return [{ message: b.message }];
    if (typeof b.error === 'string') return [{ message: b.error }];
  }
  return [{ message: `the admin API answered ${status}` }];
}

export interface EditorCallbacks {
  /** After a change was applied (or reset): reload the routes and show it. */
  onApplied(): Promise<void>;
}

export class MirrorEditor {
  readonly #host = byId<HTMLSelectElement>('mirror-host');
  readonly #port = byId<HTMLSelectElement>('mirror-port');
  readonly #portHelp = byId('mirror-port-help');
  readonly #subset = byId<HTMLSelectElement>('mirror-subset');
  readonly #percentage = byId<HTMLInputElement>('mirror-percentage');
  readonly #enabled = byId<HTMLInputElement>('mirror-enabled');
  readonly #reset = byId<HTMLButtonElement>('mirror-reset');
  readonly #apply = byId<HTMLButtonElement>('mirror-apply');
  readonly #status = byId('mirror-status');
  readonly #callbacks: EditorCallbacks;
  #services: ServiceInfo[] = [];
  #route: RouteInfo | null = null;

  constructor(callbacks: EditorCallbacks) {
    this.#callbacks = callbacks;
    this.#host.addEventListener('change', () => this.#fillPorts(null, false));
    byId<HTMLFormElement>('mirror-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit();
    });
    this.#reset.addEventListener('click', () => void this.#resetToConfig());
  }

  setServices(services: ServiceInfo[]): void {
    this.#services = services;
    const chosen = this.#host.value;
    this.#host.replaceChildren(
      ...services.map((s) => {
        const mirrorable = s.ports.some((p) => p.mirrorable);
        const protocols = [...new Set(s.ports.map((p) => p.protocol))].join('/');
        return h(
          'option',
          { value: s.host, disabled: !mirrorable },
          mirrorable ? s.host : `${s.host} (${protocols} only: a mirror needs HTTP or HTTPS)`,
        );
      }),
    );
    if (chosen !== '') this.#host.value = chosen;
  }

  /** Shows `route`'s policy: its override, else its first configured mirror, else an empty form. */
  show(route: RouteInfo): void {
    const sameRoute = this.#route?.id === route.id;
    this.#route = route;
    byId('editor-route').textContent = route.id;
    byId('override-badge').hidden = route.override === null;
    this.#reset.hidden = route.override === null;
    if (sameRoute && this.#dirty) return;
    this.#dirty = false;
    // The same route refreshed (after a change, or a reload elsewhere) keeps its last message.
    if (!sameRoute) this.#clearErrors();
    const o = route.override;
    const m = route.mirrors[0];
    const firstMirrorable = this.#services.find((s) => s.ports.some((p) => p.mirrorable))?.host ?? '';
    const host = o?.destination.host ?? m?.host ?? firstMirrorable;
    this.#host.value = this.#services.find((s) => s.host === host || s.host.startsWith(`${host}.`))?.host ?? host;
    const port = o !== null ? (o.destination.port ?? null) : (m?.port ?? null);
    this.#fillPorts(port, o !== null && o.destination.port === undefined);
    this.#subset.value = o?.destination.subset ?? m?.subset ?? '';
    this.#percentage.value = String(o?.percentage ?? m?.percentage ?? 100);
    this.#enabled.checked = o !== null ? o.enabled : m !== undefined;
  }

  #dirty = false;

  /** Marks the form as being edited, so the once-a-second refresh does not overwrite it. */
  watchEdits(): void {
    for (const el of [this.#host, this.#port, this.#subset, this.#percentage, this.#enabled]) {
      el.addEventListener('input', () => (this.#dirty = true));
      el.addEventListener('change', () => (this.#dirty = true));
    }
  }

  #service(): ServiceInfo | undefined {
    return this.#services.find((s) => s.host === this.#host.value);
  }

  #fillPorts(port: number | null, dynamic: boolean): void {
    const service = this.#service();
    const ports = service?.ports ?? [];
    const options: HTMLOptionElement[] = [];
    if (service?.dynamicPort) options.push(h('option', { value: DYNAMIC }, 'Dynamic Port'));
    else options.push(h('option', { value: CHOOSE }, 'Choose a port'));
    for (const p of ports) {
      const name = p.name === null ? '' : ` ${p.name}`;
      options.push(h('option', { value: String(p.number) }, `${p.number}${name} (${p.protocol}${p.mirrorable ? '' : ', cannot be mirrored'})`));
    }
    this.#port.replaceChildren(...options);
    this.#port.value = dynamic && service?.dynamicPort ? DYNAMIC : port !== null && ports.some((p) => p.number === port) ? String(port) : options[0]!.value;
    this.#portHelp.textContent = service?.dynamicPort
      ? 'Dynamic Port: the service has one port, used whatever its number.'
      : 'Dynamic Port is not available for a multi-port service: choose one.';
    this.#subset.replaceChildren(h('option', { value: '' }, 'none (all endpoints)'), ...(service?.subsets ?? []).map((s) => h('option', { value: s }, s)));
  }

  #clearErrors(): void {
    for (const field of ['host', 'port', 'subset', 'percentage', 'enabled', 'form'] as const) {
      byId(`mirror-${field}-error`).textContent = '';
      document.getElementById(`mirror-${field}`)?.removeAttribute('aria-invalid');
    }
    this.#status.textContent = '';
  }

  #showErrors(errors: FieldError[]): void {
    const byField = new Map<Field, string[]>();
    for (const e of errors) byField.set(fieldOf(e), [...(byField.get(fieldOf(e)) ?? []), e.message]);
    for (const [field, messages] of byField) {
      byId(`mirror-${field}-error`).textContent = messages.join(' ');
      document.getElementById(`mirror-${field}`)?.setAttribute('aria-invalid', 'true');
    }
    this.#status.textContent = 'Not applied: nothing changed.';
  }

  #body(): unknown {
    const port = this.#port.value;
    const pct = this.#percentage.value.trim();
    return {
      destination: {
        host: this.#host.value,
        ...(port !== DYNAMIC && port !== CHOOSE && { port: Number(port) }),
        ...(this.#subset.value !== '' && { subset: this.#subset.value }),
      },
      // Sent as typed, so the API (not the page) judges it; an empty field is not a number.
      percentage: pct === '' ? null : Number(pct),
      enabled: this.#enabled.checked,
    };
  }

  async #submit(): Promise<void> {
    const route = this.#route;
    if (route === null) return;
    this.#clearErrors();
    this.#apply.disabled = true;
    try {
      const result = await sendJson<{ version: string }>('PUT', `/api/routes/${encodeURIComponent(route.id)}/mirror`, this.#body());
      this.#dirty = false;
      await this.#callbacks.onApplied();
      this.#status.textContent = `Applied: config ${result.version}.`;
    } catch (error) {
      this.#showErrors(error instanceof ApiError ? errorsOf(error.body, error.status) : [{ message: String(error) }]);
    } finally {
      this.#apply.disabled = false;
    }
  }

  async #resetToConfig(): Promise<void> {
    const route = this.#route;
    if (route === null) return;
    this.#clearErrors();
    try {
      const result = await sendJson<{ version: string }>('DELETE', `/api/routes/${encodeURIComponent(route.id)}/mirror`);
      this.#dirty = false;
      await this.#callbacks.onApplied();
      this.#status.textContent = `Reset to the configured policy: config ${result.version}.`;
    } catch (error) {
      this.#showErrors(error instanceof ApiError ? errorsOf(error.body, error.status) : [{ message: String(error) }]);
    }
  }
}
