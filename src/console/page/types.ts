/** The parts of `/api/routes` and `/api/services` the page reads (see src/admin/routes-api.ts). */

export interface RouteInfo {
  readonly id: string;
  readonly hosts: string[];
  readonly match: unknown;
  readonly destinations: { cluster: string; host: string; port: number; subset: string; weight: number }[];
  readonly mirrors: { cluster: string; host: string; port: number; subset: string; percentage: number; origin: 'config' | 'override' }[];
  readonly override: { destination: { host: string; port?: number; subset?: string }; percentage: number; enabled: boolean } | null;
}

export interface ServiceInfo {
  readonly host: string;
  readonly ports: { number: number; name: string | null; protocol: string; mirrorable: boolean }[];
  readonly dynamicPort: boolean;
  readonly subsets: string[];
}

/** One API error as the admin API reports it. */
export interface FieldError {
  readonly code?: string;
  readonly field?: string;
  readonly message: string;
}
