// The clinic's identity in the portal: its name (header, document title), logo and brand colours, read once
// from the public GET /clinic at start and again after an admin saves them. The colours become CSS
// variables; the server accepts only colours white text is readable on (WCAG AA 4.5:1), so the shell puts
// white text on them.
import { api, type Schemas } from './api/client';

export type Clinic = Schemas['Clinic'];

let current: Clinic | null = null;
const listeners = new Set<() => void>();

export const clinic = () => current;
export const clinicName = () => current?.name ?? 'Telecare';

export function onClinicChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Applies the clinic's settings to the page: CSS variables, the title's suffix, and every subscriber. */
export function applyClinic(c: Clinic): void {
  current = c;
  const root = document.documentElement.style;
  if (c.primaryColor) root.setProperty('--brand', c.primaryColor);
  else root.removeProperty('--brand');
  if (c.accentColor) root.setProperty('--accent', c.accentColor);
  else root.removeProperty('--accent');
  document.documentElement.classList.toggle('branded', !!c.primaryColor);
  document.title = document.title.replace(/ · .*$/, ` · ${c.name}`);
  for (const fn of listeners) fn();
}

export async function loadClinic(): Promise<void> {
  const { data } = await api.GET('/api/v1/clinic');
  if (data) applyClinic(data);
}

/** WCAG 2 contrast of white text on a #rrggbb colour (the server's rule, shown while choosing). */
export function contrastWithWhite(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return 1.05 / (l + 0.05);
}
